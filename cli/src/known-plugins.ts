import { readdirSync } from 'node:fs';
import path from 'node:path';
import { BucardoError, closestName, isBucardoError } from '@bucardo/plugin-sdk';

/**
 * This project's plugin packages, and the logger each registers: what an error suggests for a misspelt
 * package name, or for a logger the config selects without loading its package.
 */
export const knownPluginPackages: Readonly<Record<string, { readonly logger?: string }>> = Object.freeze({
  '@bucardo/plugin-postgres': {},
  '@bucardo/conflict-standard': {},
  '@bucardo/logger-text': { logger: 'text' },
  '@bucardo/logger-pino': { logger: 'pino' },
  '@bucardo/target-sqlfile': {},
  '@bucardo/target-mongodb': {},
});

/**
 * The package a misspelt name most likely meant: one of this project's, or a plugin package installed where
 * the config is (`bucardo-plugin-*`, or any scoped package). Only a failed load asks, so reading a few
 * `node_modules` folders costs nothing the rest of the time.
 */
export function closestPackage(name: string, from?: string): string | undefined {
  if (name.startsWith('.') || path.isAbsolute(name)) return undefined;
  return closestName(name, [...new Set([...Object.keys(knownPluginPackages), ...(from ? installedPluginPackages(from) : [])])]);
}

/** The `bucardo-plugin-*` and scoped packages in the `node_modules` folders from `dir` up to the root. */
function installedPluginPackages(dir: string): string[] {
  const names: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const modules = path.join(at, 'node_modules');
    for (const entry of entriesOf(modules)) {
      if (entry.startsWith('@')) names.push(...entriesOf(path.join(modules, entry)).map((inner) => `${entry}/${inner}`));
      else if (entry.startsWith('bucardo-plugin-')) names.push(entry);
    }
    if (path.dirname(at) === at) return names;
  }
}

function entriesOf(dir: string): string[] {
  try {
    return readdirSync(dir).filter((entry) => !entry.startsWith('.'));
  } catch {
    return [];
  }
}

/** The known package that registers logger `name`. */
export function packageOfLogger(name: string): string | undefined {
  return Object.entries(knownPluginPackages).find(([, registers]) => registers.logger === name)?.[0];
}

/**
 * The core's "no plugin registers the logger" with what only the CLI knows: the config file, and the
 * package to add when the logger is one of this project's (`logger: 'pino'` without `@bucardo/logger-pino`).
 */
export function explainMissingLogger(error: unknown, logger: string | undefined, configFile: string | undefined): unknown {
  if (!isBucardoError(error) || error.code !== 'PLUGIN_NOT_FOUND' || error.hook !== 'logger' || logger === undefined || error.item !== logger) return error;
  const pkg = packageOfLogger(logger);
  const hint = pkg ? `; the package ${pkg} registers it: add it to the config's plugins (plugins: ['${pkg}'])` : '';
  const message = configFile ? error.message.replace(' named in the config', ` named in ${configFile}`) : error.message;
  return new BucardoError('PLUGIN_NOT_FOUND', `${message}${hint}`, { hook: 'logger', item: logger, cause: error });
}
