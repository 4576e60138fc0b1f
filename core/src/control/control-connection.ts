import pg from 'pg';
import { BucardoError, defaultPassword, isBucardoError, libpqTls, NODE_POSTGRES_LOST, readService, tlsBesideService, type ControlDatabaseConfig, type NodeTlsOptions, type PasswordTarget, type ServiceDefinition, type TlsSettings } from '@bucardo/plugin-sdk';
import { lostConnection } from '../run/database-error.js';
import { ADDED_COLUMNS, ADDED_TABLES, noSchema, olderSchema } from './schema-check.js';

/** The control database as resolved from config, flags, PGSERVICE and environment; unset fields come from PG* variables. */
export interface ControlTarget {
  readonly dbname: string;
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  /** The service (`control.service`, else PGSERVICE) whose settings fill in the fields above, when one is set. */
  readonly service?: string;
  /** The password the service gives, where no password was given. */
  readonly servicePassword?: string;
  /** The config's sslmode, TLS files and key passphrase, else the service's; unset ones come from PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY. */
  readonly tls?: TlsSettings;
}

/**
 * Config first, then (for the database name) `BUCARDO_CONTROL_DB`, then the service (the config's
 * `service`, else PGSERVICE, as libpq lets the parameter win over the variable; read from the service file
 * now), then Bucardo's default database name `bucardo`; the rest from PG* variables.
 */
export function resolveControlTarget(config: ControlDatabaseConfig = {}, env: NodeJS.ProcessEnv = process.env, configFile?: string): ControlTarget {
  const named = config.service !== undefined ? { name: config.service, from: 'control.service' } : env.PGSERVICE ? { name: env.PGSERVICE, from: 'PGSERVICE' } : undefined;
  const service = named === undefined ? undefined : controlService(named.name, named.from, env);
  const s = service?.settings ?? {};
  const host = config.host ?? s.host;
  const port = config.port ?? (s.port === undefined ? undefined : Number(s.port));
  const user = config.user ?? s.user;
  return {
    dbname: config.dbname ?? env.BUCARDO_CONTROL_DB ?? s.dbname ?? 'bucardo',
    ...(host === undefined ? {} : { host }),
    ...(port === undefined ? {} : { port }),
    ...(user === undefined ? {} : { user }),
    ...(config.password === undefined ? {} : { password: config.password }),
    ...(service === undefined ? {} : { service: service.name }),
    ...(s.password === undefined ? {} : { servicePassword: s.password }),
    tls: configTls(config, service, configFile),
  };
}

const CONTROL_TLS_FILES = ['sslrootcert', 'sslcert', 'sslkey', 'sslpassword'] as const;

/**
 * The config's TLS settings over the service's, the config's own named in messages as the config names
 * them (`control.sslkey in /srv/bucardo.config.ts`), not as `add db`'s parameters (`sslkey=`).
 */
function configTls(config: ControlDatabaseConfig, service: ServiceDefinition | undefined, configFile: string | undefined): TlsSettings {
  const tls = tlsBesideService(controlTlsSettings(config), service);
  const given = CONTROL_TLS_FILES.filter((key) => config[key] !== undefined);
  if (given.length === 0) return tls;
  const where = configFile === undefined ? '' : ` in ${configFile}`;
  return { ...tls, named: Object.fromEntries(given.map((key) => [key, `control.${key}${where}`])) };
}

/** The config's own TLS settings, which win over the service's. */
function controlTlsSettings(config: ControlDatabaseConfig): Partial<Record<'sslmode' | 'sslrootcert' | 'sslcert' | 'sslkey' | 'sslpassword', string>> {
  const { sslmode, sslrootcert, sslcert, sslkey, sslpassword } = config;
  return Object.fromEntries(Object.entries({ sslmode, sslrootcert, sslcert, sslkey, sslpassword }).filter(([, value]) => value !== undefined));
}

/** The control database's service, its failures said of the control database and of where its name came from. */
function controlService(name: string, from: string, env: NodeJS.ProcessEnv): ServiceDefinition {
  try {
    return readService(name, env);
  } catch (error) {
    if (!isBucardoError(error)) throw error;
    throw new BucardoError(error.code, `The control database's service (${from}=${name}): ${error.message}`, { ...error.subject, cause: error });
  }
}

export async function connectControl(target: ControlTarget, database = target.dbname, label = 'bucardo'): Promise<pg.Client> {
  // the control connection has no sslmode of its own but its service's: node-postgres would read PGSSLMODE,
  // and a typo there means plain text (libpqTls refuses it); the TLS files are read now, at every connect
  const tls = controlTls(target, database);
  const client = new pg.Client({
    database,
    ...(target.host === undefined ? {} : { host: target.host }),
    ...(target.port === undefined ? {} : { port: target.port }),
    ...(target.user === undefined ? {} : { user: target.user }),
    // Without one given, the service's, PGPASSWORD or the password file, looked up by us: node-postgres's own
    // pgpass lookup is deprecated (it warns on every connection) and goes away in pg 9.
    password: target.password ?? (async (params: PasswordTarget) =>
      target.servicePassword ?? defaultPassword(params)?.password),
    ...(tls === undefined ? {} : { ssl: tls }),
    application_name: label,
    connectionTimeoutMillis: 10_000,
  } as pg.ClientConfig); // its types give the password function no argument; it is called with the parameters
  client.on('error', () => { /* reported by the next query */ });
  try {
    await client.connect();
  } catch (error) {
    // A failure during authentication leaves the socket open: close it, or the process waits for the server
    // to give up on the login.
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    const sqlstate = (error as { code?: string }).code;
    if (sqlstate === '3D000' && database === target.dbname) {
      throw new BucardoError('CONTROL_NOT_INSTALLED', `The control database "${database}" does not exist: run "bucardo install" first`, { db: database, sqlstate, cause: error });
    }
    // node-postgres says "SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string" when it had none
    const reason = target.password === undefined && /password must be a string/i.test((error as Error).message)
      ? 'the server asks for a password and none was given (--db-pass, PGPASSWORD or a password file entry)'
      : (error as Error).message;
    throw new BucardoError('CONNECTION_FAILED', `Cannot connect to the control database "${database}": ${reason}`, { db: database, ...(sqlstate ? { sqlstate } : {}), cause: error });
  }
  return client;
}

/** Node's TLS options of the control connection; a bad TLS file is said of the control database. */
function controlTls(target: ControlTarget, database: string): NodeTlsOptions | false | undefined {
  try {
    return libpqTls(target.tls ?? {});
  } catch (error) {
    if (!isBucardoError(error) || error.subject.item === 'PGSSLMODE') throw error;
    throw new BucardoError(error.code, `Cannot connect to the control database "${database}": ${error.message}`, { ...error.subject, db: database, cause: error });
  }
}

/** The columns added to control tables after they were first created (any other missing column is a fault). */
const ADDED_COLUMN_NAMES = new Set(ADDED_COLUMNS.map(([, column]) => column));

/** The errors `controlError` made of a lost control connection: a database of a sync may share the control database's name. */
const CONTROL_LOST = new WeakSet<object>();

/** Whether `error` is `controlError`'s word for a lost control connection (not a replicated database's). */
export function isControlLost(error: unknown): boolean {
  return typeof error === 'object' && error !== null && CONTROL_LOST.has(error);
}

/**
 * Maps "relation bucardo.x does not exist" to a clear CONTROL_NOT_INSTALLED, and "column … does not exist"
 * for a column of `ADDED_COLUMNS` (or a missing table of `ADDED_TABLES`) to the same code, saying that
 * `bucardo install` brings the schema up to date; a connection that broke (the server restarted, the
 * backend was ended) to CONNECTION_FAILED naming the control database, where the driver's words
 * (`read ECONNRESET`) said nothing of which database was gone; passes anything else on.
 */
export function controlError(error: unknown, dbname: string): unknown {
  if (!isBucardoError(error) && controlLost(error)) {
    const code = (error as { code?: unknown }).code;
    const sqlstate = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? { sqlstate: code } : {};
    const lost = new BucardoError('CONNECTION_FAILED', `Lost the connection to the control database "${dbname}": ${(error as Error).message}`, { db: dbname, ...sqlstate, cause: error });
    CONTROL_LOST.add(lost);
    return lost;
  }
  const sqlstate = (error as { code?: string } | null)?.code;
  const missingTable = sqlstate === '42P01' ? /relation "(?:bucardo\.)?(\w+)" does not exist/.exec((error as Error).message ?? '')?.[1] : undefined;
  if (missingTable !== undefined && ADDED_TABLES.has(missingTable)) return olderSchema(dbname, (error as Error).message, { sqlstate: sqlstate!, cause: error });
  if (sqlstate === '42P01' || sqlstate === '3F000') return noSchema(dbname, { sqlstate, cause: error });
  if (sqlstate === '42703' && ADDED_COLUMN_NAMES.has(missingColumn((error as Error).message ?? '') ?? '')) {
    return olderSchema(dbname, (error as Error).message, { sqlstate, cause: error });
  }
  return error;
}

/**
 * Whether the control database's connection is gone: what any database says of it, or node-postgres's
 * words, which no plugin marks here, for the control database is the core's own node-postgres client.
 */
function controlLost(error: unknown): boolean {
  return lostConnection(error) || (error instanceof Error && NODE_POSTGRES_LOST.test(error.message));
}

/**
 * The column of a "column … does not exist" message: a SELECT says `column d.lease_ms does not exist` or
 * `column "lease_ms" does not exist`, an INSERT or UPDATE `column "lease_ms" of relation "daemon" does not exist`.
 */
function missingColumn(message: string): string | undefined {
  return /^column "?(?:\w+\.)?(\w+)"?(?: of relation "\w+")? does not exist$/.exec(message)?.[1];
}
