import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { BucardoError, type BucardoPlugin, type PluginSpec } from '@bucardo/plugin-sdk';
import { conflictStandard } from '@bucardo/conflict-standard';
import { loggerText } from '@bucardo/logger-text';
import { postgres } from '@bucardo/plugin-postgres';
import { targetSqlfile } from '@bucardo/target-sqlfile';
// the plugin without the driver, which it loads when a MongoDB database is used
import { mongodb } from '@bucardo/target-mongodb/plugin';

/** The plugins every installation has unless the config replaces one by name. */
export function standardPlugins(): BucardoPlugin[] {
  return [postgres(), conflictStandard(), loggerText(), targetSqlfile(), mongodb()];
}

/**
 * Turns the config's plugin list into plugin objects: objects are used as they are; a package name (or
 * `[name, options]`) is imported relative to the config file, and its default export is called with the
 * options when it is a factory. The standard plugins are added for every name the list does not have.
 */
export async function resolvePlugins(specs: readonly PluginSpec[] | undefined, configPath: string | undefined): Promise<BucardoPlugin[]> {
  const plugins: BucardoPlugin[] = [];
  for (const spec of specs ?? []) {
    if (!spec) continue;
    if (typeof spec === 'string') plugins.push(await importPlugin(spec, undefined, configPath));
    else if (Array.isArray(spec)) plugins.push(await importPlugin(spec[0], spec[1], configPath));
    else plugins.push(spec as BucardoPlugin);
  }
  const names = new Set(plugins.map((plugin) => plugin?.name));
  return [...plugins, ...standardPlugins().filter((plugin) => !names.has(plugin.name))];
}

async function importPlugin(name: string, options: Record<string, unknown> | undefined, configPath: string | undefined): Promise<BucardoPlugin> {
  let module: { default?: unknown };
  try {
    const resolved = createRequire(configPath ?? `${process.cwd()}/`).resolve(name);
    module = await import(pathToFileURL(resolved).href) as { default?: unknown };
  } catch (error) {
    throw new BucardoError('PLUGIN_NOT_FOUND', `Cannot load plugin "${name}"${configPath ? ` named in ${configPath}` : ''}: ${(error as Error).message}`, { plugin: name, cause: error });
  }
  const exported = module.default ?? module;
  const plugin = typeof exported === 'function' ? (exported as (o?: unknown) => unknown)(options) : exported;
  if (typeof plugin !== 'object' || plugin === null) {
    throw new BucardoError('PLUGIN_INVALID', `Package "${name}" does not export a plugin or a plugin factory`, { plugin: name });
  }
  return plugin as BucardoPlugin;
}
