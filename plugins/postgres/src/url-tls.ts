import path from 'node:path';
import { BucardoError, checkSslMode, type TlsSettings } from '@bucardo/plugin-sdk';

/** The TLS files a database may name, beside a `url=` or in its query, as libpq and pg-connection-string accept them. */
export const TLS_FILES = ['sslrootcert', 'sslcert', 'sslkey'] as const;

/**
 * A TLS file's path as stored: absolute against `cwd` (the daemon, which reads it, runs in another
 * directory than the command that stored it); `sslrootcert=system` (Node's CAs) is no path.
 */
export function absoluteTlsFile(name: (typeof TLS_FILES)[number], file: string, cwd: string = process.cwd()): string {
  return file === '' || (name === 'sslrootcert' && file === 'system') ? file : path.resolve(cwd, file);
}

/** Every TLS setting a database may be given, in a URL's query or beside it. */
const TLS_SETTINGS = ['sslmode', ...TLS_FILES, 'sslpassword'] as const;

/** The query settings that make us, not node-postgres, read a URL's TLS: its files, and a key's passphrase (node-postgres knows no `sslpassword`). */
const LIBPQ_TLS = [...TLS_FILES, 'sslpassword'] as const;

/** A URL's query, or undefined for a URL that does not parse (node-postgres says why when connecting). */
function queryOf(url: string): URLSearchParams | undefined {
  try {
    return new URL(url).searchParams;
  } catch {
    return undefined;
  }
}

/**
 * Checks a `url=` against the TLS settings beside it. node-postgres reads the files a URL names itself,
 * with none of libpq's checks, and lays a URL's TLS over the parameters': a URL that names a file has its
 * TLS settings taken over (`splitUrlTls`), so its `sslmode` must be one of ours, and a setting may not be
 * both in the URL and beside it. A URL whose query says `sslmode=` or `ssl=` and names no file keeps its
 * TLS for node-postgres, which would drop any TLS setting given beside it (a CA never checked): such a
 * setting is refused, whatever the URL names. `service` in the query is refused: give `service=` instead.
 * Run when the database is added or changed, and again when connecting (a database stored before).
 */
export function checkUrlTls(url: string, params: Readonly<Record<string, string>>): void {
  const query = queryOf(url);
  if (query === undefined) return;
  if (query.has('service')) throw new BucardoError('INVALID_ARGUMENT', 'service= in url= is not read: give service=NAME instead of the url', { item: 'service' });
  for (const name of TLS_SETTINGS) {
    if (query.has(name) && params[name] !== undefined) {
      throw new BucardoError('INVALID_ARGUMENT', `${name} is both in url= and given as ${name}= beside it: give it once`, { item: name });
    }
  }
  const urlMode = urlTlsMode(url);
  const beside = TLS_SETTINGS.find((name) => params[name] !== undefined);
  if (urlMode !== undefined && beside !== undefined) {
    throw new BucardoError('INVALID_ARGUMENT',
      `${beside}= is given beside a url= whose query says ${urlMode}=: the url's TLS settings would win and ${beside}= be ignored; give every TLS setting in the url's query, or none there`,
      { item: beside });
  }
  if (!LIBPQ_TLS.some((name) => query.has(name))) return;
  const mode = query.get('sslmode');
  if (mode !== null) checkSslMode(mode);
}

/**
 * The URL with the relative TLS file paths of its query made absolute against `cwd`: the daemon, which
 * reads them, runs in another directory than the command that stored them. Only those values change; the
 * rest of the URL is kept as written.
 */
export function withAbsoluteUrlFiles(url: string, cwd: string = process.cwd()): string {
  const start = url.indexOf('?');
  if (start < 0) return url;
  const end = url.indexOf('#', start) < 0 ? url.length : url.indexOf('#', start);
  const query = url.slice(start, end).replace(/([?&])(sslrootcert|sslcert|sslkey)=([^&]*)/g, (whole, separator: string, name: (typeof TLS_FILES)[number], raw: string) => {
    const file = new URLSearchParams(`v=${raw}`).get('v')!;
    const stored = absoluteTlsFile(name, file, cwd);
    return stored === file ? whole : `${separator}${name}=${encodeURIComponent(stored).replace(/%2F/g, '/')}`;
  });
  return url.slice(0, start) + query + url.slice(end);
}

/**
 * A URL whose query names a TLS file (or a key's passphrase), without its TLS settings (they go to `libpqTls`, with libpq's
 * meaning), and those settings; undefined for any other URL, whose TLS node-postgres decides.
 */
export function splitUrlTls(url: string): { url: string; tls: TlsSettings } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const query = parsed.searchParams;
  if (!LIBPQ_TLS.some((name) => query.has(name))) return undefined;
  const tls: Record<string, string> = {};
  for (const name of TLS_SETTINGS) {
    const value = query.get(name);
    if (value !== null) tls[name] = value;
    query.delete(name);
  }
  query.delete('ssl');
  return { url: parsed.toString(), tls };
}

/**
 * The TLS mode key a URL's query gives node-postgres (`sslmode` or `ssl`), which then decides its TLS:
 * matched as node-postgres matches it, case and all (`SSLMODE=` is no mode to it).
 */
export function urlTlsMode(url: string): 'sslmode' | 'ssl' | undefined {
  const query = queryOf(url);
  return query === undefined ? undefined : (['sslmode', 'ssl'] as const).find((name) => query.has(name));
}
