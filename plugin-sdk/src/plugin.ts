import type { ConflictStrategy } from './conflict.js';
import type { DatabaseDriver } from './database.js';
import type { SyncHooks } from './hooks.js';
import type { Logger, LoggerFactory } from './logger.js';

/** The major version of this SDK's contract. The core refuses plugins built for another major. */
export const SDK_VERSION = 1;

/** What a plugin's `apply` receives: the hooks to tap and the registries to fill. */
export interface PluginHost {
  readonly hooks: SyncHooks;
  readonly log: Logger;
  /** Adds a database type (source and/or target). */
  registerDatabase(driver: DatabaseDriver): void;
  /** Adds a conflict strategy, selectable by name with `conflict=NAME`. */
  registerConflictStrategy(strategy: ConflictStrategy): void;
  /** Adds a logger, selectable by name in the config (`logger: NAME`). */
  registerLogger(factory: LoggerFactory): void;
}

export interface BucardoPlugin {
  /** Unique among the loaded plugins; used in error messages and as the tap name. */
  readonly name: string;
  /** The SDK major the plugin was built against (set by `definePlugin`). */
  readonly sdk?: number;
  apply(host: PluginHost): void | Promise<void>;
}

/** Types a plugin and stamps it with the SDK version it was built against. */
export function definePlugin<P extends BucardoPlugin>(plugin: P): P & { readonly sdk: number } {
  return { sdk: SDK_VERSION, ...plugin };
}
