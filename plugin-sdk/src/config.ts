import type { LogLevel } from './logger.js';
import type { BucardoPlugin } from './plugin.js';

/**
 * A plugin in the config: the plugin object itself, a package name, or `[packageName, options]` (the
 * package's default export is called with the options). Falsy entries are ignored, so
 * `plugins: [isProd && metrics()]` works.
 */
export type PluginSpec = BucardoPlugin | string | readonly [string, Record<string, unknown>?] | false | null | undefined;

/**
 * Where the control database is; every field falls back to the PG* environment, the database to `bucardo`.
 * "The service" is `service` when given, else the one `PGSERVICE` names (as libpq: the parameter wins).
 */
export interface ControlDatabaseConfig {
  /** The database name. Default `BUCARDO_CONTROL_DB`, else the service's `dbname`, else `bucardo`. */
  readonly dbname?: string;
  /** The server host or socket directory. Default the service's, else `PGHOST`. */
  readonly host?: string;
  /** The server port. Default the service's, else `PGPORT`, else 5432. */
  readonly port?: number;
  /** The user name. Default the service's, else `PGUSER`. */
  readonly user?: string;
  /** The password. Default the service's, else `PGPASSWORD`, else the password file. */
  readonly password?: string;
  /** A service of libpq's service file (`PGSERVICEFILE`, else `~/.pg_service.conf`, then `PGSYSCONFDIR`), read at connect. Default `PGSERVICE`. */
  readonly service?: string;
  /** `disable`, `require`, `verify-ca` or `verify-full` (libpq's meaning). Default the service's, else `PGSSLMODE`. */
  readonly sslmode?: string;
  /** The CA certificates (PEM file, an absolute path) or `system`. Default the service's, else `PGSSLROOTCERT`, else `~/.postgresql/root.crt`. */
  readonly sslrootcert?: string;
  /** The client certificate (PEM file, an absolute path). Default the service's, else `PGSSLCERT`, else `~/.postgresql/postgresql.crt`. */
  readonly sslcert?: string;
  /** Its private key (PEM file, an absolute path). Default the service's, else `PGSSLKEY`, else `~/.postgresql/postgresql.key`. */
  readonly sslkey?: string;
  /** The passphrase of an encrypted private key. Default the service's. */
  readonly sslpassword?: string;
}

/** The shape of `bucardo.config.ts`. */
export interface BucardoConfig {
  /**
   * Plugins to load. The standard ones (postgres, the standard conflict strategies, the text logger)
   * are added for every name not listed here, so listing `postgres({ … })` replaces the default one.
   */
  readonly plugins?: readonly PluginSpec[];
  /** Where the control database is; unset fields come from the PG* environment. */
  readonly control?: ControlDatabaseConfig;
  /** The log level of the daemon and of runs. Default `normal`. */
  readonly logLevel?: LogLevel;
  /** The logger to use, by registered name. Default `text`. */
  readonly logger?: string;
  /** Options for the logger. */
  readonly loggerOptions?: Readonly<Record<string, unknown>>;
  /** The most keys one transaction carries per database; larger runs are split. Default 100000. */
  readonly batchSize?: number;
  /**
   * The most change records a run captures, settles and plans at once. A larger backlog (after a long
   * outage, say) is captured in key partitions, each applied before the next is read, so that the
   * process's memory stays bounded whatever the backlog. Default 500000 (about 50 MB of keys).
   */
  readonly partitionSize?: number;
  /**
   * For syncs with one source: when a run finds a table's pending change records at or above this fraction
   * of the table's rows (a bulk `UPDATE` of most of it, say), and at least `batchSize` of them, it copies
   * the table whole to the targets (emptied with `TRUNCATE`, then `COPY`) instead of deleting and
   * re-inserting every changed key. Much less work for the targets, but `TRUNCATE` keeps readers of the
   * targets' table waiting until that table's copy commits. Keys, not records: where the records reach
   * the fraction, the source is asked how many keys they are about, and a row updated five times counts
   * once. Unset (the default): tables are always applied key by key. `0.5` is a good value where the
   * targets can take the lock.
   */
  readonly refreshAbove?: number;
  /** Where the daemon keeps its pid file (`--pid-dir`). Default `/var/run/bucardo`, else a temp directory. */
  readonly pidDir?: string;
}

/** Types a config; returns it unchanged. */
export function defineConfig(config: BucardoConfig): BucardoConfig {
  return config;
}
