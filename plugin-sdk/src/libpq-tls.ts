import { BucardoError } from './errors.js';
import { readTlsFiles, type TlsFileSettings } from './libpq-tls-files.js';
import { checkPgSslMode } from './libpq-sslmode.js';

/** What node-postgres's `ssl` takes: Node's TLS options. */
export interface NodeTlsOptions {
  /** Whether the server's certificate must be signed by a trusted CA. */
  readonly rejectUnauthorized: boolean;
  /** Set (to a function accepting any name) where the host name is not checked. */
  readonly checkServerIdentity?: () => undefined;
  /** The trusted CAs in place of Node's (PEM). */
  readonly ca?: string;
  /** The client certificate (PEM). */
  readonly cert?: string;
  /** Its private key (PEM). */
  readonly key?: string;
}

/** A connection's TLS settings as given: its own `sslmode` (libpq's modes), and its files. */
export interface TlsSettings extends TlsFileSettings {
  /** `disable`, `require`, `verify-ca` or `verify-full`; unset: PGSSLMODE, as node-postgres reads it. */
  readonly sslmode?: string;
}

/**
 * Node's TLS options for a connection, its files read now (see `readTlsFiles`). A mode of the connection's
 * own has libpq's meaning: `require` checks nothing, unless a root certificate file applies (then it is
 * `verify-ca`, as in libpq); `verify-ca` checks the CA; `verify-full` the host name too; a root
 * certificate file replaces Node's CAs, and `sslrootcert=system` keeps them but needs `verify-full`.
 * Without one, PGSSLMODE has node-postgres's meaning (every mode but `disable` and `no-verify` checks the
 * certificate and the host name), now with the files. `false` is no TLS; undefined, no TLS asked for at
 * all (the files are not read, and the ones the settings name are an `INVALID_ARGUMENT`: nothing would
 * send them).
 */
export function libpqTls(settings: TlsSettings, env: NodeJS.ProcessEnv = process.env): NodeTlsOptions | false | undefined {
  // libpq 16: sslrootcert=system makes verify-full the default mode
  const own = settings.sslmode ?? (settings.sslrootcert === 'system' ? 'verify-full' : undefined);
  const mode = own ?? pgSslMode(env);
  if (mode === undefined) {
    const named = (['sslrootcert', 'sslcert', 'sslkey'] as const).find((name) => settings[name] !== undefined);
    if (named !== undefined) {
      throw new BucardoError('INVALID_ARGUMENT', `${named}=${settings[named]} is given, but no sslmode (nor PGSSLMODE): nothing would use it; give sslmode=require, verify-ca or verify-full`, { item: named });
    }
    return undefined;
  }
  if (mode === 'disable') return false;
  const files = readTlsFiles(settings, env);
  if (files.systemRoots && mode !== 'verify-full' && own !== undefined) {
    throw new BucardoError('INVALID_ARGUMENT', `sslrootcert=system needs sslmode=verify-full (a public CA signs certificates for anyone's servers: only the host name tells yours), not sslmode=${mode}`, { item: 'sslrootcert' });
  }
  const client = { ...(files.cert === undefined ? {} : { cert: files.cert, key: files.key! }), ...(files.ca === undefined ? {} : { ca: files.ca }) };
  const unchecked = { rejectUnauthorized: false, ...client };
  const caOnly = { rejectUnauthorized: true, checkServerIdentity: () => undefined, ...client };
  const full = { rejectUnauthorized: true, ...client };
  if (own === undefined) return mode === 'no-verify' ? unchecked : full;
  switch (mode) {
    case 'require': return files.ca === undefined ? unchecked : caOnly;
    case 'verify-ca': return caOnly;
    case 'verify-full': return full;
  }
  // stored before the values were checked (`prefer`, a typo): never weaker than the closest mode
  return mode === 'prefer' || mode === 'allow' ? unchecked : full;
}

/** PGSSLMODE when set (a value node-postgres does not know is refused, see `checkPgSslMode`). */
function pgSslMode(env: NodeJS.ProcessEnv): string | undefined {
  checkPgSslMode(env);
  return env.PGSSLMODE || undefined;
}
