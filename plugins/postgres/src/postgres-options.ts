import { BucardoError } from '@bucardo/plugin-sdk';

/** Options of the PostgreSQL plugin (`postgres({ … })` in bucardo.config.ts). */
export interface PostgresOptions {
  /** Seconds to wait for a connection before failing. Default 10. */
  readonly connectTimeout?: number;
  /** Extra settings for every session, e.g. `{ statement_timeout: '0' }`. */
  readonly sessionSettings?: Readonly<Record<string, string>>;
  /**
   * Write into databases with `session_replication_role = replica`, as Bucardo does: no trigger (user
   * triggers, foreign-key checks, the capture triggers) fires for the rows a sync writes. Needs a superuser,
   * or `GRANT SET ON PARAMETER session_replication_role` (PostgreSQL 15+). Default false.
   */
  readonly applyAsReplica?: boolean;
}

export interface ResolvedPostgresOptions {
  readonly connectTimeout: number;
  readonly sessionSettings: Readonly<Record<string, string>>;
  readonly applyAsReplica: boolean;
}

const MAX_CONNECT_TIMEOUT = 2_147_483;

/** The setting that `applyAsReplica` gives the sessions that write. */
export const REPLICA_SETTINGS: Readonly<Record<string, string>> = Object.freeze({ session_replication_role: 'replica' });

/**
 * Settings on every connection. Row images and keys travel as each type's text output, so every session
 * must print values the same way: UTC, ISO dates, hex bytea, full float precision, money in the C locale.
 */
export const TEXT_STABLE_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  TimeZone: 'UTC',
  DateStyle: 'ISO,YMD',
  IntervalStyle: 'postgres',
  extra_float_digits: '3',
  bytea_output: 'hex',
  client_encoding: 'UTF8',
  // money prints by the locale: a database set to de_DE would send 1.234,50 €, which one in C cannot read
  lc_monetary: 'C',
});

export function resolveOptions(options: PostgresOptions = {}): ResolvedPostgresOptions {
  const connectTimeout = options.connectTimeout ?? 10;
  // Node's timers hold at most 2^31 - 1 ms; a longer timeout would fire at once
  if (typeof connectTimeout !== 'number' || !(connectTimeout > 0 && connectTimeout <= MAX_CONNECT_TIMEOUT)) {
    invalid('connectTimeout', `connectTimeout must be a number of seconds above 0 and at most ${MAX_CONNECT_TIMEOUT}, not ${String(connectTimeout)}`);
  }
  const settings = options.sessionSettings ?? {};
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) invalid('sessionSettings', 'sessionSettings must be an object of setting names and values');
  for (const [name, value] of Object.entries(settings)) {
    if (typeof value !== 'string') invalid('sessionSettings', `sessionSettings.${name} must be a string, not ${String(value)}`);
  }
  const applyAsReplica = options.applyAsReplica ?? false;
  if (typeof applyAsReplica !== 'boolean') invalid('applyAsReplica', `applyAsReplica must be true or false, not ${String(applyAsReplica)}`);
  return { connectTimeout, sessionSettings: { ...TEXT_STABLE_SETTINGS, ...settings }, applyAsReplica };
}

function invalid(item: string, message: string): never {
  throw new BucardoError('CONFIG_INVALID', `postgres: ${message}`, { plugin: 'postgres', item });
}
