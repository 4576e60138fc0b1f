import { BucardoError, type DatabaseSpec } from '@bucardo/plugin-sdk';

/** `bucardo add db` parameters and their aliases (Bucardo's spellings). */
const aliases: Record<string, string> = {
  dbname: 'dbname', db: 'dbname',
  host: 'host', dbhost: 'host', pghost: 'host',
  port: 'port', dbport: 'port', pgport: 'port',
  user: 'user', dbuser: 'user', username: 'user',
  pass: 'pass', password: 'pass', dbpass: 'pass',
  sslmode: 'sslmode',
  url: 'url', dsn: 'url', dbdsn: 'url',
};

/** Checks the parameters; unset host, port, user and password come from PG* variables when connecting. */
export function normalizeParams(params: Readonly<Record<string, string>>): Record<string, string> {
  const normalized: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    const canonical = aliases[key.toLowerCase()];
    if (!canonical) {
      throw new BucardoError('INVALID_ARGUMENT', `Unknown option "${key}" for a PostgreSQL database (known: ${Object.keys(aliases).join(', ')})`, { item: key });
    }
    normalized[canonical] = value;
  }
  if (normalized.port !== undefined && !/^\d{1,5}$/.test(normalized.port)) {
    throw new BucardoError('INVALID_ARGUMENT', `port must be a number, not "${normalized.port}"`, { item: 'port' });
  }
  if (normalized.dbname === undefined && normalized.url === undefined) {
    throw new BucardoError('INVALID_ARGUMENT', 'A PostgreSQL database needs dbname=NAME (or url=postgres://…)', { item: 'dbname' });
  }
  return normalized;
}

/** What `bucardo list dbs` shows, in Bucardo's form: `psql -p PORT -U USER -d DBNAME -h HOST`. */
export function describeConnection(spec: DatabaseSpec, env: NodeJS.ProcessEnv = process.env): string {
  const p = spec.params;
  if (p.url !== undefined) return `psql ${redactUrl(p.url)}`;
  const port = p.port ?? env.PGPORT ?? '5432';
  const user = p.user ?? env.PGUSER ?? env.USER ?? 'postgres';
  const host = p.host ?? env.PGHOST;
  return `psql -p ${port} -U ${user} -d ${p.dbname}${host ? ` -h ${host}` : ''}`;
}

export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1*****@');
}

/** A one-line location for error messages, without the password. */
export function locationOf(spec: DatabaseSpec, env: NodeJS.ProcessEnv = process.env): string {
  const p = spec.params;
  if (p.url !== undefined) return redactUrl(p.url);
  return `dbname=${p.dbname} host=${p.host ?? env.PGHOST ?? 'localhost'} port=${p.port ?? env.PGPORT ?? '5432'}`;
}
