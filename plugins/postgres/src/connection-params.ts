import { BucardoError, checkSslMode, redactUrl, type DatabaseSpec } from '@bucardo/plugin-sdk';
import { absoluteTlsFile, checkUrlTls, TLS_FILES, withAbsoluteUrlFiles } from './url-tls.js';

/** `bucardo add db` parameters and their aliases (Bucardo's spellings). */
const aliases: Record<string, string> = {
  dbname: 'dbname', db: 'dbname',
  host: 'host', dbhost: 'host', pghost: 'host',
  port: 'port', dbport: 'port', pgport: 'port',
  user: 'user', dbuser: 'user', username: 'user',
  pass: 'pass', password: 'pass', dbpass: 'pass',
  sslmode: 'sslmode',
  sslrootcert: 'sslrootcert', sslcert: 'sslcert', sslkey: 'sslkey', sslpassword: 'sslpassword',
  service: 'service',
  url: 'url', dsn: 'url', dbdsn: 'url',
};

/**
 * node-postgres lays the parsed URL over the other settings, parts it does not name included (as empty,
 * which then fall back to the PG* environment): `host=` beside `url=` would be silently ignored (an
 * `update db` of a database added with a URL, say). Only the password may be given apart.
 */
function checkUrlAgainst(params: Readonly<Record<string, string>>): void {
  for (const key of ['host', 'port', 'user', 'dbname']) {
    if (params[key] !== undefined) {
      throw new BucardoError('INVALID_ARGUMENT', `Give ${key} in url=, not as ${key}= beside it: the url's would win (change the url instead)`, { item: key });
    }
  }
}

/** The parameters that are secrets: stored as given, never printed, and `env:NAME` read when connecting. */
const SECRETS = ['pass', 'sslpassword'] as const;

/** `pass=env:NAME`: the password is read from the environment variable NAME of the process that connects. */
const ENV_REFERENCE = /^env:(.*)$/s;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks the parameters. An unset host and port are taken from `PGHOSTADDR`/`PGHOST` and `PGPORT` of the
 * process that adds (or updates) the database, and stored, as Bucardo's `add db` does: the server that
 * process test-connected to is the one every run reaches, whatever the daemon's own environment says.
 * Unset user and password still come from PG* variables (and the password file) when connecting. Every
 * value but the password must be non-blank: `dbname=` or `host=   ` is an error naming the parameter,
 * never an empty value silently handed to libpq's defaults (leave a parameter out to default it). An
 * empty `pass=` is no password, as in libpq. `pass=env:NAME` is kept as that reference: the password
 * itself is never stored. `sslpassword=` (the client key's passphrase) is taken the same way.
 */
export function normalizeParams(params: Readonly<Record<string, string>>, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const normalized: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    const canonical = aliases[key.toLowerCase()];
    if (!canonical) {
      throw new BucardoError('INVALID_ARGUMENT', `Unknown option "${key}" for a PostgreSQL database (known: ${Object.keys(aliases).join(', ')})`, { item: key });
    }
    if (canonical === 'pass' || canonical === 'sslpassword') {
      // as in libpq, an empty password is no password (PGPASSWORD and the password file then apply);
      // a password (or a key's passphrase) may be anything else, blanks included
      if (value !== '') normalized[canonical] = value;
      continue;
    }
    if (value.trim() === '') {
      throw new BucardoError('INVALID_ARGUMENT', `${key}= needs a value (${value === '' ? 'it is empty' : 'it is only blanks'}); leave it out to use the default`, { item: key });
    }
    normalized[canonical] = value;
  }
  if (normalized.port !== undefined) checkPort(normalized.port, '');
  if (normalized.sslmode !== undefined) checkSslMode(normalized.sslmode);
  for (const key of SECRETS) {
    const reference = passwordReference(normalized[key]);
    if (reference !== undefined && !ENV_NAME.test(reference)) {
      throw new BucardoError('INVALID_ARGUMENT', `${key}=env:NAME needs the name of an environment variable (letters, digits, underscores), not "${reference}"`, { item: key });
    }
  }
  // stored absolute (a daemon's working directory is not the command's), in a url='s query too
  for (const name of TLS_FILES) {
    const file = normalized[name];
    if (file !== undefined) normalized[name] = absoluteTlsFile(name, file);
  }
  if (normalized.url !== undefined) {
    checkUrlAgainst(normalized);
    checkUrlTls(normalized.url, normalized);
    normalized.url = withAbsoluteUrlFiles(normalized.url);
  }
  if (normalized.service !== undefined) {
    if (normalized.url !== undefined) throw new BucardoError('INVALID_ARGUMENT', 'Give either service= or url=, not both', { item: 'service' });
    // the service is read when connecting: the host and port it leaves out come from the environment then
    return normalized;
  }
  if (normalized.dbname === undefined && normalized.url === undefined) {
    throw new BucardoError('INVALID_ARGUMENT', 'A PostgreSQL database needs dbname=NAME (or url=postgres://…, or service=NAME)', { item: 'dbname' });
  }
  return normalized.url === undefined ? withEnvironmentDefaults(normalized, env) : normalized;
}

function checkPort(port: string, from: string): void {
  if (!/^\d{1,5}$/.test(port)) throw new BucardoError('INVALID_ARGUMENT', `port must be a number, not "${port}"${from}`, { item: 'port' });
}

/** `host` and `port` from the environment where the parameters leave them out (blank variables are unset, as in libpq). */
function withEnvironmentDefaults(params: Record<string, string>, env: NodeJS.ProcessEnv): Record<string, string> {
  const host = params.host ?? (env.PGHOSTADDR?.trim() || env.PGHOST?.trim() || undefined);
  const port = params.port ?? (env.PGPORT?.trim() || undefined);
  if (params.port === undefined && port !== undefined) checkPort(port, ' (from PGPORT)');
  return { ...params, ...(host === undefined ? {} : { host }), ...(port === undefined ? {} : { port }) };
}

/** The variable name of `pass=env:NAME`, or undefined for a literal password or none. */
export function passwordReference(pass: string | undefined): string | undefined {
  return pass === undefined ? undefined : ENV_REFERENCE.exec(pass)?.[1];
}

/**
 * What `bucardo list dbs` shows, in Bucardo's form: `psql -p PORT -U USER -d DBNAME -h HOST`, and
 * `(pass=env:NAME)`, `(sslpassword=env:NAME)`; a secret given as itself is never shown.
 */
export function describeConnection(spec: DatabaseSpec, env: NodeJS.ProcessEnv = process.env): string {
  const p = spec.params;
  const suffix = SECRETS.map((key) => {
    const reference = passwordReference(p[key]);
    return reference === undefined ? '' : ` (${key}=env:${reference})`;
  }).join('');
  if (p.url !== undefined) return `psql ${redactUrl(p.url)}${suffix}`;
  if (p.service !== undefined) return `service=${p.service}${givenBeside(p)}${suffix}`;
  const port = p.port ?? env.PGPORT ?? '5432';
  const user = p.user ?? env.PGUSER ?? env.USER ?? 'postgres';
  const host = p.host ?? env.PGHOST;
  return `psql -p ${port} -U ${user} -d ${p.dbname}${host ? ` -h ${host}` : ''}${suffix}`;
}

/** The settings given beside a service, which win over its own: ` dbname=x host=y`. */
function givenBeside(p: Readonly<Record<string, string>>): string {
  return ['dbname', 'host', 'port', 'user', 'sslmode'].filter((key) => p[key] !== undefined).map((key) => ` ${key}=${p[key]}`).join('');
}

/** A one-line location for error messages, without the password. */
export function locationOf(spec: DatabaseSpec, env: NodeJS.ProcessEnv = process.env): string {
  const p = spec.params;
  if (p.url !== undefined) return redactUrl(p.url);
  if (p.service !== undefined) return `service=${p.service}${givenBeside(p)}`;
  return `dbname=${p.dbname} host=${p.host ?? env.PGHOST ?? 'localhost'} port=${p.port ?? env.PGPORT ?? '5432'}`;
}

/** Where a password for a connection comes from, for error messages (never the password). */
export type PasswordSource = 'pass' | 'env' | 'url' | 'service' | 'PGPASSWORD' | 'pgpass' | 'none';

/**
 * The explicit password of a database: `pass=env:NAME` resolved from `env`, a literal `pass=`, or
 * undefined when none was given (then the URL's, PGPASSWORD or the password file apply, see
 * `defaultPassword`). A reference to a variable that is unset or empty is a CONNECTION_FAILED naming the
 * database and the variable.
 */
export function explicitPassword(spec: DatabaseSpec, env: NodeJS.ProcessEnv = process.env): { password?: string; source: PasswordSource } {
  const pass = spec.params.pass;
  if (pass === undefined) return { source: 'none' };
  const reference = passwordReference(pass);
  if (reference === undefined) return { password: pass, source: 'pass' };
  return { password: fromEnvironment(spec, 'pass', reference, env, `Cannot connect to database "${spec.name}" (${locationOf(spec, env)}): `), source: 'env' };
}

/**
 * The client key's passphrase: `sslpassword=env:NAME` resolved from `env` (as `explicitPassword`), the
 * passphrase itself, or undefined. Read with the other connection settings, whose failures the caller
 * says of the database: the message does not name it again.
 */
export function explicitSslPassword(spec: DatabaseSpec, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = spec.params.sslpassword;
  const reference = passwordReference(given);
  return reference === undefined ? given : fromEnvironment(spec, 'sslpassword', reference, env, '');
}

function fromEnvironment(spec: DatabaseSpec, key: (typeof SECRETS)[number], reference: string, env: NodeJS.ProcessEnv, prefix: string): string {
  const value = env[reference];
  if (value === undefined || value === '') {
    const what = key === 'pass' ? 'password' : "client key's passphrase";
    throw new BucardoError('CONNECTION_FAILED',
      `${prefix}its ${what} is ${key}=env:${reference}, and the environment variable ${reference} is ${value === undefined ? 'not set' : 'empty'} in this process`,
      { db: spec.name, item: reference });
  }
  return value;
}
