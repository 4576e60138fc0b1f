import {
  BucardoError, SDK_VERSION, isBucardoError,
  type BucardoPlugin, type ConflictStrategy, type DatabaseDriver, type Logger, type LoggerFactory, type PluginHost,
} from '@bucardo/plugin-sdk';
import type { CoreHooks } from '../hooks.js';
import { hookViewFor } from './hook-views.js';
import type { Registry } from './registry.js';

/**
 * Checks and applies plugins in order. A plugin must have a unique non-empty `name`, an `apply`
 * function, and (when stamped by `definePlugin`) this SDK's major version; each problem is a coded error
 * naming the plugin.
 */
export async function loadPlugins(plugins: readonly BucardoPlugin[], hooks: CoreHooks, registry: Registry, log: Logger): Promise<void> {
  const seen = new Set<string>();
  for (const [index, plugin] of plugins.entries()) {
    const name = checkPlugin(plugin, index);
    if (seen.has(name)) throw new BucardoError('PLUGIN_DUPLICATE', `Two plugins are named "${name}"; plugin names must be unique`, { plugin: name });
    seen.add(name);
    const host: PluginHost = Object.freeze({
      hooks: hookViewFor(hooks, name),
      log: log.child({ plugin: name }),
      registerDatabase: (driver: DatabaseDriver) => registry.addDatabase(driver, name),
      registerConflictStrategy: (strategy: ConflictStrategy) => registry.addConflictStrategy(strategy, name),
      registerLogger: (factory: LoggerFactory) => registry.addLogger(factory, name),
    });
    try {
      await plugin.apply(host);
    } catch (error) {
      // what it registered was refused, naming the plugin already
      if (isBucardoError(error) && (error.code === 'PLUGIN_DUPLICATE' || error.code === 'PLUGIN_INVALID')) throw error;
      throw new BucardoError('PLUGIN_ERROR', `[${name}] apply failed: ${error instanceof Error ? error.message : String(error)}`, { plugin: name, hook: 'apply', cause: error });
    }
  }
}

function checkPlugin(plugin: unknown, index: number): string {
  const candidate = plugin as Partial<BucardoPlugin> | null;
  const label = typeof candidate?.name === 'string' && candidate.name ? candidate.name : `at position ${index + 1}`;
  if (typeof candidate !== 'object' || candidate === null) {
    throw new BucardoError('PLUGIN_INVALID', `The plugin ${label} is not an object (got ${typeof plugin})`, { plugin: label });
  }
  if (typeof candidate.name !== 'string' || candidate.name.length === 0) {
    throw new BucardoError('PLUGIN_INVALID', `The plugin ${label} has no name`, { plugin: label });
  }
  if (typeof candidate.apply !== 'function') {
    throw new BucardoError('PLUGIN_INVALID', `The plugin "${candidate.name}" has no apply() function`, { plugin: candidate.name });
  }
  if (candidate.sdk !== undefined && candidate.sdk !== SDK_VERSION) {
    throw new BucardoError('PLUGIN_SDK_MISMATCH', `The plugin "${candidate.name}" was built for plugin SDK ${candidate.sdk}, this Bucardo has SDK ${SDK_VERSION}`, { plugin: candidate.name });
  }
  return candidate.name;
}
