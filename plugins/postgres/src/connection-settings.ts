import { readService, tlsBesideService, type DatabaseSpec, type TlsSettings } from '@bucardo/plugin-sdk';
import { explicitSslPassword } from './connection-params.js';
import { checkUrlTls, splitUrlTls, urlTlsMode } from './url-tls.js';

/** What a connection uses, read when it connects: the service's settings under the database's own. */
export interface ConnectionSettings {
  readonly url?: string;
  readonly dbname?: string;
  readonly host?: string;
  readonly port?: string;
  readonly user?: string;
  /** The service's password (the database's own `pass=` goes first). */
  readonly servicePassword?: string;
  /** The TLS settings to give `libpqTls`; undefined where a URL's own TLS is left to node-postgres. */
  readonly tls?: TlsSettings;
}

/**
 * The database's settings with its service's (`service=NAME`, read from the service file now, so an edit
 * applies to the next connection) under them, as libpq lays them: a setting given to the database wins.
 * A URL naming a TLS file has its TLS settings taken out of it, to be read and checked as the parameters';
 * a URL is checked against the settings beside it again (a database stored before the check existed).
 */
export function connectionSettings(spec: DatabaseSpec, env: NodeJS.ProcessEnv = process.env): ConnectionSettings {
  const p = spec.params;
  if (p.url !== undefined) {
    checkUrlTls(p.url, p);
    const split = splitUrlTls(p.url);
    if (split !== undefined) return { url: split.url, tls: { ...tlsOf(spec, env), ...split.tls } };
    // a URL that says sslmode= or ssl= gives node-postgres its mode (checkUrlTls refused TLS settings beside it)
    return { url: p.url, ...(urlTlsMode(p.url) !== undefined ? {} : { tls: tlsOf(spec, env) }) };
  }
  const definition = p.service === undefined ? undefined : readService(p.service, env);
  const service = definition?.settings ?? {};
  const pick = (key: 'dbname' | 'host' | 'port' | 'user') => p[key] ?? service[key];
  const settings = {
    dbname: pick('dbname'), host: pick('host'), port: pick('port'), user: pick('user'),
    servicePassword: service.password,
  };
  return { ...defined(settings), tls: tlsBesideService(tlsOf(spec, env), definition) };
}

/**
 * The database's own TLS settings. `sslpassword=env:NAME` is read from this process's environment only
 * when the key turns out to be encrypted: libpq ignores the setting for an unencrypted key (or no TLS), so
 * an unset variable must not fail those connections.
 */
function tlsOf(spec: DatabaseSpec, env: NodeJS.ProcessEnv): TlsSettings {
  const p = spec.params;
  const sslpassword = p.sslpassword === undefined ? {} : { sslpassword: () => explicitSslPassword(spec, env) };
  return { ...defined({ sslmode: p.sslmode, sslrootcert: p.sslrootcert, sslcert: p.sslcert, sslkey: p.sslkey }), ...sslpassword };
}

function defined<T extends Record<string, string | undefined>>(record: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: string };
}
