import { BucardoError } from '@bucardo/plugin-sdk';

/** The `sslmode=` values a database may have, as libpq names them. */
const MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;

/**
 * Checks `sslmode=` when a database is added or changed. A value node-postgres would take for "TLS, the
 * certificate unchecked" (a typo such as `verify_full`, or `verify-ca`, which it has no mode for) must not
 * pass: whoever set it meant the certificate to be checked. `prefer` and `allow` fall back to plain text
 * when TLS fails, which anyone on the path can force, and node-postgres cannot do them anyway.
 */
export function checkSslMode(value: string): void {
  if ((MODES as readonly string[]).includes(value)) return;
  const why = value === 'prefer' || value === 'allow'
    ? `sslmode=${value} falls back to an unencrypted connection, which anyone on the network can force, and is not offered`
    : `sslmode=${value} is not one of ${MODES.join(', ')}`;
  throw new BucardoError('INVALID_ARGUMENT', `${why}: give require (TLS, the server's certificate unchecked), verify-ca (checked against the trusted CAs), verify-full (and its host name), or disable`, { item: 'sslmode' });
}
