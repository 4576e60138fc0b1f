/** Options of the PostgreSQL plugin (`postgres({ … })` in bucardo.config.ts). */
export interface PostgresOptions {
  /** Seconds to wait for a connection before failing. Default 10. */
  readonly connectTimeout?: number;
  /** Extra settings for every session, e.g. `{ statement_timeout: '0' }`. */
  readonly sessionSettings?: Readonly<Record<string, string>>;
}

export interface ResolvedPostgresOptions {
  readonly connectTimeout: number;
  readonly sessionSettings: Readonly<Record<string, string>>;
}

/**
 * Settings on every connection. Row images and keys travel as each type's text output, so every session
 * must print values the same way: UTC, ISO dates, hex bytea, full float precision.
 */
export const TEXT_STABLE_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  TimeZone: 'UTC',
  DateStyle: 'ISO,YMD',
  IntervalStyle: 'postgres',
  extra_float_digits: '3',
  bytea_output: 'hex',
  client_encoding: 'UTF8',
});

export function resolveOptions(options: PostgresOptions = {}): ResolvedPostgresOptions {
  return {
    connectTimeout: options.connectTimeout ?? 10,
    sessionSettings: { ...TEXT_STABLE_SETTINGS, ...options.sessionSettings },
  };
}
