import { BucardoError, type TlsSettings } from '@bucardo/plugin-sdk';
import { checkSslMode } from './tls-options.js';

/** The TLS files a `url=` query may name, as libpq and pg-connection-string accept them. */
const URL_FILES = ['sslrootcert', 'sslcert', 'sslkey'] as const;

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
 * both in the URL and beside it. `service` in the query is refused: give `service=` instead of a URL.
 */
export function checkUrlTls(url: string, params: Readonly<Record<string, string>>): void {
  const query = queryOf(url);
  if (query === undefined) return;
  if (query.has('service')) throw new BucardoError('INVALID_ARGUMENT', 'service= in url= is not read: give service=NAME instead of the url', { item: 'service' });
  if (!URL_FILES.some((name) => query.has(name))) return;
  for (const name of [...URL_FILES, 'sslmode'] as const) {
    if (query.has(name) && params[name] !== undefined) {
      throw new BucardoError('INVALID_ARGUMENT', `${name} is both in url= and given as ${name}= beside it: give it once`, { item: name });
    }
  }
  const mode = query.get('sslmode');
  if (mode !== null) checkSslMode(mode);
}

/**
 * A URL whose query names a TLS file, without its TLS settings (they go to `libpqTls`, with libpq's
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
  if (!URL_FILES.some((name) => query.has(name))) return undefined;
  const tls: Record<string, string> = {};
  for (const name of [...URL_FILES, 'sslmode'] as const) {
    const value = query.get(name);
    if (value !== null) tls[name] = value;
    query.delete(name);
  }
  query.delete('ssl');
  return { url: parsed.toString(), tls };
}
