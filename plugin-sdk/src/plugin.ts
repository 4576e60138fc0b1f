import type { ConflictStrategy } from './conflict.js';
import type { DatabaseDriver } from './database.js';
import type { SyncHooks } from './hooks.js';
import type { Logger, LoggerFactory } from './logger.js';

/** The major version of this SDK's contract. The core refuses plugins built for another major. */
export const SDK_VERSION = 1;

/** What a plugin's `apply` receives: the hooks to tap and the registries to fill. */
export interface PluginHost {
  /** The run's hooks, tap-only; every tap is tagged with the plugin's name. */
  readonly hooks: SyncHooks;
  /** A logger whose lines carry the plugin's name. */
  readonly log: Logger;
  /** Adds a database type (source and/or target). */
  registerDatabase(driver: DatabaseDriver): void;
  /** Adds a conflict strategy, selectable by name with `conflict=NAME`. */
  registerConflictStrategy(strategy: ConflictStrategy): void;
  /** Adds a logger, selectable by name in the config (`logger: NAME`). */
  registerLogger(factory: LoggerFactory): void;
}

/** A plugin: a name and an `apply` that registers what the plugin brings. Make one with `definePlugin`. */
export interface BucardoPlugin {
  /** Unique among the loaded plugins; used in error messages and as the tap name. */
  readonly name: string;
  /** The SDK major the plugin was built against (set by `definePlugin`). */
  readonly sdk?: number;
  /**
   * Called once when the plugin loads: register database types, strategies, loggers, tap hooks. A throw fails
   * loading with PLUGIN_ERROR (hook `apply`).
   */
  apply(host: PluginHost): void | Promise<void>;
}

/**
 * Types a plugin and stamps it with the SDK version it was built against (unless it says its own). A
 * class instance is stamped in place, so `apply`, the methods it calls and its private fields stay where
 * they are (a spread copied own fields only, and the plugin was refused for having no apply()).
 */
export function definePlugin<P extends BucardoPlugin>(plugin: P): P & { readonly sdk: number } {
  const proto = Object.getPrototypeOf(plugin) as object | null;
  if (proto === Object.prototype || proto === null) return { sdk: SDK_VERSION, ...plugin };
  // a class instance is stamped itself, not copied: a copy has none of its #private fields
  if ((plugin as { sdk?: number }).sdk === undefined && Object.isExtensible(plugin)) {
    Object.defineProperty(plugin, 'sdk', { value: SDK_VERSION, enumerable: true, writable: true, configurable: true });
  }
  return plugin as P & { readonly sdk: number };
}

/**
 * What a plugin package exports by default so that a config can name it as a string: a function of the
 * options given as `['package-name', options]` (called with `undefined` for a bare `'package-name'`).
 */
export type PluginFactory<Options = Record<string, unknown>> = (options?: Options) => BucardoPlugin;
