import pg from 'pg';
import { BucardoError, defaultPassword, isBucardoError, libpqTlsSetup, type DatabaseSpec, type LibpqTlsSetup, type OpenContext, type PasswordTarget } from '@bucardo/plugin-sdk';
import { explicitPassword, locationOf, passwordReference, type PasswordSource } from './connection-params.js';
import type { ResolvedPostgresOptions } from './postgres-options.js';
import { keepLostReason } from './lost-reason.js';
import { logServerNotices } from './server-notices.js';
import { connectionSettings, type ConnectionSettings } from './connection-settings.js';

/** Every value arrives as the text PostgreSQL printed: keys and row images stay exact (no JS number or Date). */
const rawText = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

/**
 * Opens a connection to a database of a sync. Unset host, port and user fall back to the PG* environment,
 * as libpq does; the password is, in order: the URL's, `pass=` (`env:NAME` read from this process's
 * environment, or the password itself), a non-empty PGPASSWORD, then the password file (PGPASSFILE or
 * ~/.pgpass).
 * Failures name the database, its location and where the password came from, never the password.
 */
export async function connect(spec: DatabaseSpec, context: OpenContext, options: ResolvedPostgresOptions): Promise<pg.Client> {
  const p = spec.params;
  const explicit = explicitPassword(spec);
  // the service file and the TLS files are read now: an edit or a renewed certificate applies to the next connection
  const { settings, tls: { ssl: tls, rootFile } } = connectionSetup(spec);
  let passwordSource: PasswordSource = explicit.source;
  const passwordOf = async (params: PasswordTarget) => {
    if (explicit.password !== undefined) return explicit.password;
    if (settings.servicePassword !== undefined) {
      passwordSource = 'service';
      return settings.servicePassword;
    }
    const fallback = defaultPassword(params);
    passwordSource = fallback?.source ?? 'none';
    return fallback?.password;
  };
  const client = new pg.Client({
    ...(settings.url === undefined ? {} : { connectionString: settings.url }),
    ...(settings.dbname === undefined ? {} : { database: settings.dbname }),
    ...(settings.host === undefined ? {} : { host: settings.host }),
    ...(settings.port === undefined ? {} : { port: Number(settings.port) }),
    ...(settings.user === undefined ? {} : { user: settings.user }),
    // A function, called only when the server asks for a password (a password in the URL takes precedence
    // over it), so that node-postgres's own, deprecated pgpass lookup is never used.
    password: passwordOf,
    ...(tls === undefined ? {} : { ssl: tls }),
    application_name: context.label.slice(0, 63),
    connectionTimeoutMillis: options.connectTimeout * 1000,
    options: Object.entries(options.sessionSettings).map(([name, value]) => `-c ${name}=${value.replace(/([\\ ])/g, '\\$1')}`).join(' '),
    types: rawText,
  } as pg.ClientConfig);
  const urlPassword = settings.url !== undefined && urlHasPassword(settings.url);
  if (urlPassword && explicit.password === undefined) passwordSource = 'url';
  // node-postgres lays the parsed URL over the config, and a URL without a password gives '', so pass= (and
  // PGPASSWORD, the password file) would never be asked: the function goes back where the URL has none
  if (settings.url !== undefined && !urlPassword) (client as unknown as { password: unknown }).password = passwordOf;
  // An idle connection that dies reports through the next query; without a listener it would crash the process.
  client.on('error', (error) => context.log.log('debug', `connection to ${spec.name} lost: ${error.message}`, { db: spec.name }));
  keepLostReason(client);
  logServerNotices(client, spec.name, context.log);
  try {
    await client.connect();
  } catch (error) {
    // A failure during authentication (node-postgres found no password) leaves the socket open: close it,
    // or the process lives on until the server gives up on the login.
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    const sqlstate = (error as { code?: string }).code;
    throw new BucardoError('CONNECTION_FAILED', `Cannot connect to database "${spec.name}" (${locationOf(spec)}): ${describeFailure(error as Error, passwordSource, passwordReference(p.pass), client.user, rootFile)}`, {
      db: spec.name, ...(sqlstate && /^[0-9A-Z]{5}$/.test(sqlstate) ? { sqlstate } : {}), cause: error,
    });
  }
  return client;
}

/**
 * The settings (the service's under the database's) and Node's TLS options, the files read and checked; a
 * failure names the database. Without a mode of the database's own, node-postgres would read PGSSLMODE, and
 * take a typo there for plain text: `libpqTls` refuses it (a URL that says sslmode= or ssl= gives
 * node-postgres its mode, and the variable is never read).
 */
function connectionSetup(spec: DatabaseSpec): { settings: ConnectionSettings; tls: LibpqTlsSetup } {
  try {
    const settings = connectionSettings(spec);
    return { settings, tls: settings.tls === undefined ? { ssl: undefined } : libpqTlsSetup(settings.tls) };
  } catch (error) {
    if (!isBucardoError(error)) throw error;
    const why = error.subject.item === 'PGSSLMODE' ? error.message : `Cannot connect to database "${spec.name}" (${locationOf(spec)}): ${error.message}`;
    throw new BucardoError(error.code, why, { ...error.subject, db: spec.name, cause: error });
  }
}

/** What Node says of a server certificate that no trusted authority signed. */
const CERTIFICATE_REFUSED = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT']);

/** The driver's message, clearer where it is about the password; the password itself is never in it. */
function describeFailure(error: Error, source: PasswordSource, reference: string | undefined, user: string | undefined, rootFile: string | undefined): string {
  const message = error.message;
  // node-postgres says "SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string" when it had none
  if (source === 'none' && /password must be a string|no password/i.test(message)) {
    return 'the server asks for a password and none was given (pass=, pass=env:NAME, PGPASSWORD or a password file entry)';
  }
  if ((error as { code?: string }).code === '28P01') {
    const from = { pass: 'pass=', env: `the environment variable ${reference}`, url: 'the url', service: 'the service file', PGPASSWORD: 'PGPASSWORD', pgpass: 'the password file', none: 'nowhere' }[source];
    return `${message} (the password came from ${from})`;
  }
  if (CERTIFICATE_REFUSED.has(String((error as { code?: string }).code))) {
    return rootFile !== undefined
      ? `${message} (no CA of the root certificate file ${rootFile} signed the server's certificate: it replaces Node's CAs)`
      : `${message} (sslmode=verify-ca and verify-full trust Node's certificate authorities: give your CA's certificate in sslrootcert=, PGSSLROOTCERT or NODE_EXTRA_CA_CERTS of the process that connects, the daemon's too)`;
  }
  if ((error as { code?: string }).code === '42501' && message.includes('session_replication_role')) {
    return `${message}: applyAsReplica (or sessionSettings) asks for it; connect as a superuser, or GRANT SET ON PARAMETER session_replication_role TO ${user === undefined ? 'the role' : quoteIdent(user)} (PostgreSQL 15 or later)`;
  }
  return message;
}

export const quoteIdent = (name: string): string => pg.escapeIdentifier(name);
export const quoteLiteral = (value: string): string => pg.escapeLiteral(value);

function urlHasPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return /\/\/[^/@]*:[^@]*@/.test(url);
  }
}
