import { readService, type DatabaseSpec, type TlsSettings } from '@bucardo/plugin-sdk';
import { checkSslMode } from './tls-options.js';
import { splitUrlTls } from './url-tls.js';

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
 * A URL naming a TLS file has its TLS settings taken out of it, to be read and checked as the parameters'.
 */
export function connectionSettings(spec: DatabaseSpec, env: NodeJS.ProcessEnv = process.env): ConnectionSettings {
  const p = spec.params;
  if (p.url !== undefined) {
    const split = splitUrlTls(p.url);
    if (split !== undefined) return { url: split.url, tls: { ...tlsOf(p), ...split.tls } };
    // a URL that says sslmode= or ssl= gives node-postgres its mode
    return { url: p.url, ...(/[?&](sslmode|ssl)=/i.test(p.url) ? {} : { tls: tlsOf(p) }) };
  }
  const service = p.service === undefined ? {} : readService(p.service, env).settings;
  if (p.sslmode === undefined && service.sslmode !== undefined) checkSslMode(service.sslmode);
  const pick = (key: 'dbname' | 'host' | 'port' | 'user' | 'sslmode' | 'sslrootcert' | 'sslcert' | 'sslkey') => p[key] ?? service[key];
  const settings = {
    dbname: pick('dbname'), host: pick('host'), port: pick('port'), user: pick('user'),
    servicePassword: service.password,
  };
  const tls = { sslmode: pick('sslmode'), sslrootcert: pick('sslrootcert'), sslcert: pick('sslcert'), sslkey: pick('sslkey') };
  return { ...defined(settings), tls: defined(tls) };
}

function tlsOf(p: Readonly<Record<string, string>>): TlsSettings {
  return defined({ sslmode: p.sslmode, sslrootcert: p.sslrootcert, sslcert: p.sslcert, sslkey: p.sslkey });
}

function defined<T extends Record<string, string | undefined>>(record: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: string };
}
