import { BucardoError } from './errors.js';
import { readTlsFiles, type SslPassword, type TlsFileSettings } from './libpq-tls-files.js';
import { checkPgSslMode, checkSslMode } from './libpq-sslmode.js';
import type { ServiceDefinition } from './libpq-service.js';

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
  /** The passphrase of an encrypted `key`. */
  readonly passphrase?: string;
}

/** A connection's TLS settings as given: its own `sslmode` (libpq's modes), and its files. */
export interface TlsSettings extends TlsFileSettings {
  /** `disable`, `require`, `verify-ca` or `verify-full`; unset: PGSSLMODE, as node-postgres reads it. */
  readonly sslmode?: string;
}

type TlsKey = 'sslmode' | 'sslrootcert' | 'sslcert' | 'sslkey' | 'sslpassword';
const TLS_KEYS: readonly TlsKey[] = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'sslpassword'];

/**
 * A connection's TLS settings: each one it was given (`own`), else its service's, which messages then say
 * is the service's (`from`: a refused mode, a missing file name `service "prod", FILE`).
 */
export function tlsBesideService(own: Readonly<Partial<Record<Exclude<TlsKey, 'sslpassword'>, string>> & { sslpassword?: SslPassword }>, service: ServiceDefinition | undefined): TlsSettings {
  const settings: Partial<Record<TlsKey, SslPassword>> = {};
  const from: Partial<Record<TlsKey, string>> = {};
  for (const key of TLS_KEYS) {
    const theirs = service?.settings[key];
    if (own[key] !== undefined) settings[key] = own[key];
    else if (theirs !== undefined) {
      settings[key] = theirs;
      from[key] = `service "${service!.name}", ${service!.file}`;
    }
  }
  return (Object.keys(from).length === 0 ? settings : { ...settings, from }) as TlsSettings;
}

/** Node's TLS options for a connection, and the root certificate file they trust, for messages. */
export interface LibpqTlsSetup {
  /** What node-postgres's `ssl` takes (see `libpqTls`). */
  readonly ssl: NodeTlsOptions | false | undefined;
  /** The root certificate file that replaced Node's CAs and where its name came from (`/etc/ca.pem (PGSSLROOTCERT)`). */
  readonly rootFile?: string;
}

/** `libpqTlsSetup`'s TLS options alone. */
export function libpqTls(settings: TlsSettings, env: NodeJS.ProcessEnv = process.env): NodeTlsOptions | false | undefined {
  return libpqTlsSetup(settings, env).ssl;
}

/**
 * Node's TLS options for a connection, its files read now (see `readTlsFiles`). A mode of the connection's
 * own must be one of `SSLMODE_VALUES` (`checkSslMode`, naming where a service's came from), and has libpq's meaning: `require` checks nothing, unless a root certificate file applies (then it is
 * `verify-ca`, as in libpq); `verify-ca` checks the CA; `verify-full` the host name too; a root
 * certificate file replaces Node's CAs, and `sslrootcert=system` keeps them but needs `verify-full`.
 * Without one, PGSSLMODE has node-postgres's meaning (every mode but `disable` and `no-verify` checks the
 * certificate and the host name), now with the files. `false` is no TLS; undefined, no TLS asked for at
 * all (the files are not read, and the ones the settings name are an `INVALID_ARGUMENT`: nothing would
 * send them).
 */
export function libpqTlsSetup(settings: TlsSettings, env: NodeJS.ProcessEnv = process.env): LibpqTlsSetup {
  if (settings.sslmode !== undefined) checkSslMode(settings.sslmode, settings.from?.sslmode);
  // libpq 16: sslrootcert=system makes verify-full the default mode
  const own = settings.sslmode ?? (settings.sslrootcert === 'system' ? 'verify-full' : undefined);
  const mode = own ?? pgSslMode(env);
  if (mode === undefined) {
    const named = (['sslrootcert', 'sslcert', 'sslkey'] as const).find((name) => settings[name] !== undefined);
    if (named !== undefined) {
      throw new BucardoError('INVALID_ARGUMENT', `${named}=${settings[named]} is given, but no sslmode (nor PGSSLMODE): nothing would use it; give sslmode=require, verify-ca or verify-full`, { item: named });
    }
    return { ssl: undefined };
  }
  if (mode === 'disable') return { ssl: false };
  const files = readTlsFiles(settings, env);
  if (files.systemRoots && mode !== 'verify-full' && own !== undefined) {
    throw new BucardoError('INVALID_ARGUMENT', `sslrootcert=system needs sslmode=verify-full (a public CA signs certificates for anyone's servers: only the host name tells yours), not sslmode=${mode}`, { item: 'sslrootcert' });
  }
  const client = { ...(files.cert === undefined ? {} : { cert: files.cert, key: files.key!, ...(files.passphrase === undefined ? {} : { passphrase: files.passphrase }) }), ...(files.ca === undefined ? {} : { ca: files.ca }) };
  const unchecked = { rejectUnauthorized: false, ...client };
  const caOnly = { rejectUnauthorized: true, checkServerIdentity: () => undefined, ...client };
  const full = { rejectUnauthorized: true, ...client };
  const rootFile = files.caFile === undefined ? {} : { rootFile: files.caFile };
  if (own === undefined) return { ssl: mode === 'no-verify' ? unchecked : full, ...rootFile };
  // own is require, verify-ca or verify-full (checked above; disable returned)
  return { ssl: mode === 'require' ? (files.ca === undefined ? unchecked : caOnly) : mode === 'verify-ca' ? caOnly : full, ...rootFile };
}

/** PGSSLMODE when set (a value node-postgres does not know is refused, see `checkPgSslMode`). */
function pgSslMode(env: NodeJS.ProcessEnv): string | undefined {
  checkPgSslMode(env);
  return env.PGSSLMODE || undefined;
}
