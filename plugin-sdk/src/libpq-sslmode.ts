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
