import { BucardoError, redactUrl, type DatabaseSpec } from '@bucardo/plugin-sdk';
import { parseCollections } from './mongodb-options.js';

/** `bucardo add db NAME type=mongo …` parameters and their aliases (Bucardo's spellings, case-insensitive). */
const aliases: Record<string, string> = {
  dbname: 'dbname', db: 'dbname', database: 'dbname',
  host: 'host', dbhost: 'host',
  port: 'port', dbport: 'port',
  user: 'user', dbuser: 'user', username: 'user',
  pass: 'pass', password: 'pass', dbpass: 'pass',
  url: 'url', uri: 'url', dsn: 'url', dbdsn: 'url',
  authsource: 'authSource',
  replicaset: 'replicaSet',
  tls: 'tls', ssl: 'tls',
  collections: 'collections',
  omitnulls: 'omitNulls',
  chunksize: 'chunkSize',
};

const DEFAULT_HOST = 'localhost';
const DEFAULT_PORT = '27017';

/** `name:27017` or `[::1]:27017` (an IPv6 address needs its brackets). */
const hasPort = /^(?:\[[^\]]*\]|[^:[\]]+):\d+$/;

const urlPattern = /^(mongodb(?:\+srv)?):\/\/(?:([^@/]*)@)?([^/?#]+)(?:\/([^?#]*))?(\?[^#]*)?$/;

function invalid(key: string, message: string): BucardoError {
  return new BucardoError('INVALID_ARGUMENT', message, { item: key });
}

function booleanParam(key: string, value: string): string {
  const lower = value.toLowerCase();
  if (['true', 't', 'yes', 'on', '1'].includes(lower)) return 'true';
  if (['false', 'f', 'no', 'off', '0'].includes(lower)) return 'false';
  throw invalid(key, `${key} must be true or false, not "${value}"`);
}

/** MongoDB's rules for database names: not empty, none of `/\. "$` or NUL, under 64 bytes. */
function checkDatabaseName(key: string, name: string): void {
  if (name === '' || /[/\\. "$\u0000]/.test(name) || Buffer.byteLength(name) >= 64) {
    throw invalid(key, `"${name}" is not a valid MongoDB database name`);
  }
}

/**
 * Checks the parameters: `dbname` (or the database in `url`), `host`/`port`/`user`/`pass` or a
 * `mongodb://` / `mongodb+srv://` `url`, and the writer's `collections`, `omitNulls`, `chunkSize`.
 * Throws INVALID_ARGUMENT naming the bad key.
 */
export function normalizeParams(params: Readonly<Record<string, string>>): Record<string, string> {
  const normalized: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    const canonical = aliases[key.toLowerCase()];
    if (!canonical) {
      throw invalid(key, `Unknown option "${key}" for a MongoDB database (known: ${[...new Set(Object.values(aliases))].join(', ')})`);
    }
    normalized[canonical] = value;
  }
  if (normalized.url !== undefined) {
    const match = urlPattern.exec(normalized.url);
    if (!match) throw invalid('url', `url must be a mongodb:// or mongodb+srv:// URL, not "${redactUrl(normalized.url)}"`);
    for (const key of ['host', 'port', 'user', 'pass', 'authSource', 'replicaSet', 'tls'] as const) {
      if (normalized[key] !== undefined) throw invalid(key, `Give either url or ${key}, not both (put it in the url)`);
    }
    const path = match[4] ? decodeURIComponent(match[4]) : '';
    if (path !== '') checkDatabaseName('url', path);
  }
  if (normalized.port !== undefined && !/^\d{1,5}$/.test(normalized.port)) {
    throw invalid('port', `port must be a number, not "${normalized.port}"`);
  }
  if (normalized.host !== undefined && !/^[^\s/?#@]+$/.test(normalized.host)) {
    throw invalid('host', `"${normalized.host}" is not a host name`);
  }
  if (normalized.pass !== undefined && normalized.user === undefined) {
    throw invalid('pass', 'A password needs user=NAME too');
  }
  if (normalized.dbname !== undefined) checkDatabaseName('dbname', normalized.dbname);
  if (normalized.dbname === undefined && databaseOfUrl(normalized.url) === undefined) {
    throw invalid('dbname', 'A MongoDB database needs dbname=NAME (or a url=mongodb://HOST/NAME that names one)');
  }
  if (normalized.tls !== undefined) normalized.tls = booleanParam('tls', normalized.tls);
  if (normalized.omitNulls !== undefined) normalized.omitNulls = booleanParam('omitNulls', normalized.omitNulls);
  if (normalized.chunkSize !== undefined && (!/^\d{1,9}$/.test(normalized.chunkSize) || Number(normalized.chunkSize) < 1)) {
    throw invalid('chunkSize', `chunkSize must be a positive integer, not "${normalized.chunkSize}"`);
  }
  if (normalized.collections !== undefined) {
    try {
      parseCollections(normalized.collections);
    } catch (error) {
      throw invalid('collections', `collections must be SCHEMA.TABLE:COLLECTION,…: ${(error as Error).message}`);
    }
  }
  return normalized;
}

function databaseOfUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const path = urlPattern.exec(url)?.[4];
  return path ? decodeURIComponent(path) : undefined;
}

/** The database the documents go to: `dbname`, else the one the url names. */
export function databaseName(spec: DatabaseSpec): string {
  return spec.params.dbname ?? databaseOfUrl(spec.params.url) ?? '';
}

/** The connection string, password included (never printed: see `describeConnection`). */
export function connectionUrl(spec: DatabaseSpec): string {
  const p = spec.params;
  if (p.url !== undefined) return p.url;
  const port = p.port ?? DEFAULT_PORT;
  const hosts = (p.host ?? DEFAULT_HOST).split(',').map((host) => (hasPort.test(host) ? host : `${host}:${port}`)).join(',');
  const auth = p.user === undefined ? '' : `${encodeURIComponent(p.user)}${p.pass === undefined ? '' : `:${encodeURIComponent(p.pass)}`}@`;
  return `mongodb://${auth}${hosts}/${query(p)}`;
}

function query(p: Readonly<Record<string, string>>): string {
  const search = new URLSearchParams();
  if (p.authSource !== undefined) search.set('authSource', p.authSource);
  if (p.replicaSet !== undefined) search.set('replicaSet', p.replicaSet);
  if (p.tls !== undefined) search.set('tls', p.tls);
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** What `bucardo list dbs` shows: the connection string without the password, and the database. */
export function describeConnection(spec: DatabaseSpec): string {
  const p = spec.params;
  const url = redactUrl(connectionUrl(p.pass === undefined ? spec : { ...spec, params: { ...p, pass: '*****' } }));
  const dbname = databaseName(spec);
  if (p.url !== undefined) return p.dbname === undefined ? `mongo ${url}` : `mongo ${url} (database ${dbname})`;
  return `mongo ${url.replace(/\/(\?|$)/, `/${dbname}$1`)}`;
}

/** A one-line location for error messages, without the password: `host:port/dbname`. */
export function locationOf(spec: DatabaseSpec): string {
  return describeConnection(spec).replace(/^mongo /, '');
}
