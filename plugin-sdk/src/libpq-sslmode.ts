import { BucardoError } from './errors.js';

/*
 * PGSSLMODE, for plugins and the core that connect to PostgreSQL with node-postgres: where a connection
 * gives no mode of its own, node-postgres reads the variable, and takes a value it does not know for none
 * at all, connecting in plain text.
 */

/** The PGSSLMODE values node-postgres knows: every one but `disable` and `no-verify` checks the server's certificate and host name. */
export const PGSSLMODE_VALUES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'] as const;

/**
 * Refuses a PGSSLMODE that node-postgres does not know (a typo such as `requir`, or libpq's `allow`),
 * which would silently give an unencrypted connection: an `INVALID_ARGUMENT` naming the variable, its
 * value and the modes. An unset or empty PGSSLMODE passes (no TLS asked for, as before).
 */
export function checkPgSslMode(env: NodeJS.ProcessEnv = process.env): void {
  const value = env.PGSSLMODE;
  if (value === undefined || value === '' || (PGSSLMODE_VALUES as readonly string[]).includes(value)) return;
  throw new BucardoError('INVALID_ARGUMENT',
    `The environment variable PGSSLMODE is "${value}", which is not one of ${PGSSLMODE_VALUES.join(', ')}: node-postgres would connect without TLS. Correct it, or unset it for no TLS`,
    { item: 'PGSSLMODE' });
}

/** The `sslmode` values a connection of its own may have, as libpq names them. */
export const SSLMODE_VALUES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;

/**
 * Checks a connection's own `sslmode` (a database's, a URL's, a service's), wherever it is given. A value
 * node-postgres would take for "TLS, the certificate unchecked" (a typo such as `verify_full`) must not
 * pass: whoever set it meant the certificate to be checked. `prefer` and `allow` fall back to plain text
 * when TLS fails, which anyone on the path can force, and node-postgres cannot do them anyway. `from` says
 * where a mode not given to the connection itself came from (`service "prod", /home/u/.pg_service.conf`).
 * An `INVALID_ARGUMENT` whose `item` is `sslmode`.
 */
export function checkSslMode(value: string, from?: string): void {
  if ((SSLMODE_VALUES as readonly string[]).includes(value)) return;
  const given = `sslmode=${value}${from === undefined ? '' : ` (from ${from})`}`;
  const why = value === 'prefer' || value === 'allow'
    ? `${given} falls back to an unencrypted connection, which anyone on the network can force, and is not offered`
    : `${given} is not one of ${SSLMODE_VALUES.join(', ')}`;
  throw new BucardoError('INVALID_ARGUMENT', `${why}: give require (TLS, the server's certificate unchecked), verify-ca (checked against the trusted CAs), verify-full (and its host name), or disable`, { item: 'sslmode' });
}
