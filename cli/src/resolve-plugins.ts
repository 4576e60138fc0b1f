import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BucardoError, isBucardoError, type BucardoPlugin, type PluginSpec } from '@bucardo/plugin-sdk';
import { conflictStandard } from '@bucardo/conflict-standard';
import { loggerText } from '@bucardo/logger-text';
import { postgres } from '@bucardo/plugin-postgres';
import { targetSqlfile } from '@bucardo/target-sqlfile';
// the plugin without the driver, which it loads when a MongoDB database is used
import { mongodb } from '@bucardo/target-mongodb/plugin';
import { closestPackage } from './known-plugins.js';
import { noteLoaded } from './loaded-modules.js';
import { oneLine } from './one-line.js';

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
  const namedIn = configPath ? ` named in ${configPath}` : '';
  let resolved: string;
  try {
    resolved = createRequire(configPath ?? `${process.cwd()}/`).resolve(name);
  } catch (error) {
    // node's message holds a multi-line "Require stack": what it says is that the name resolves to nothing
    const from = configPath ? path.dirname(configPath) : process.cwd();
    const closest = closestPackage(name, from);
    const hint = closest && closest !== name ? `; did you mean "${closest}"?` : '';
    throw new BucardoError('PLUGIN_NOT_FOUND', `Cannot load plugin "${name}"${namedIn}: no such package or file can be imported from ${from}${hint}`, { plugin: name, cause: error });
  }
  let module: { default?: unknown };
  try {
    module = await import(pathToFileURL(resolved).href) as { default?: unknown };
  } catch (error) {
    // found, but it threw as it loaded: the plugin's failure, as a throwing apply() is
    throw new BucardoError('PLUGIN_ERROR', `Cannot load plugin "${name}" (${resolved})${namedIn}: ${oneLine(error)}`, { plugin: name, hook: 'import', cause: error });
  }
  noteLoaded(name, resolved);
  const exported = module.default ?? module;
  let plugin: unknown = exported;
  if (typeof exported === 'function') {
    try {
      // awaited: an async factory's rejection is the same failure as a throw
      plugin = await (exported as (o?: unknown) => unknown)(options);
    } catch (error) {
      // a coded refusal (options it does not take: CONFIG_INVALID naming them) keeps its code and subject,
      // said of the plugin and the config file as any other factory failure; `hook: 'factory'` marks it as
      // a load failure whatever its code (a factory's CONNECTION_FAILED is not the control database's)
      const own = isBucardoError(error) ? error : undefined;
      throw new BucardoError(own?.code ?? 'PLUGIN_ERROR', `Cannot load plugin "${name}" (${resolved})${namedIn}: its factory failed: ${oneLine(error)}`, {
        ...own?.subject, plugin: name, hook: 'factory', cause: error,
      });
    }
  }
  if (typeof plugin !== 'object' || plugin === null) {
    throw new BucardoError('PLUGIN_INVALID', `Package "${name}" (${resolved})${namedIn} does not export a plugin or a plugin factory`, { plugin: name });
  }
  return plugin as BucardoPlugin;
}
