import { BucardoError } from '@bucardo/plugin-sdk';

/** The `sslmode=` values a database may have, as libpq names them. */
const MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
type SslMode = (typeof MODES)[number];

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

/**
 * node-postgres's `ssl` for an `sslmode`: `require` encrypts without checking the certificate, as libpq
 * does without a root certificate; `verify-ca` checks that a trusted CA signed it (Node's CAs, and those of
 * NODE_EXTRA_CA_CERTS) but not the host name; `verify-full` checks both. Undefined: node-postgres's own
 * default (PGSSLMODE).
 */
export function tlsOptions(sslmode: string | undefined): false | { rejectUnauthorized: boolean; checkServerIdentity?: () => undefined } | undefined {
  switch (sslmode as SslMode | undefined) {
    case undefined: return undefined;
    case 'disable': return false;
    case 'require': return { rejectUnauthorized: false };
    case 'verify-ca': return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full': return { rejectUnauthorized: true };
  }
  // stored before the values were checked (`prefer`, a typo): never weaker than the closest mode
  return sslmode === 'prefer' || sslmode === 'allow' ? { rejectUnauthorized: false } : { rejectUnauthorized: true };
}
