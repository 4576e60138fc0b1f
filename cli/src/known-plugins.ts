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

/** The known package a misspelt name most likely meant. */
export function closestPackage(name: string): string | undefined {
  return closestName(name, Object.keys(knownPluginPackages));
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
