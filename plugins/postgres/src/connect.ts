import pg from 'pg';
import { BucardoError, type DatabaseSpec, type OpenContext } from '@bucardo/plugin-sdk';
import { locationOf } from './connection-params.js';
import type { ResolvedPostgresOptions } from './postgres-options.js';

/** Every value arrives as the text PostgreSQL printed: keys and row images stay exact (no JS number or Date). */
const rawText = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

/**
 * Opens a connection to a database of a sync. Unset host, port, user and password fall back to the PG*
 * environment, as libpq does. Failures name the database and its location, never the password.
 */
export async function connect(spec: DatabaseSpec, context: OpenContext, options: ResolvedPostgresOptions): Promise<pg.Client> {
  const p = spec.params;
  const client = new pg.Client({
    ...(p.url === undefined ? {} : { connectionString: p.url }),
    ...(p.dbname === undefined ? {} : { database: p.dbname }),
    ...(p.host === undefined ? {} : { host: p.host }),
    ...(p.port === undefined ? {} : { port: Number(p.port) }),
    ...(p.user === undefined ? {} : { user: p.user }),
    ...(p.pass === undefined ? {} : { password: p.pass }),
    ...(p.sslmode === undefined || p.sslmode === 'disable' ? {} : { ssl: { rejectUnauthorized: p.sslmode === 'verify-full' } }),
    application_name: context.label.slice(0, 63),
    connectionTimeoutMillis: options.connectTimeout * 1000,
    options: Object.entries(options.sessionSettings).map(([name, value]) => `-c ${name}=${value.replace(/([\\ ])/g, '\\$1')}`).join(' '),
    types: rawText,
  });
  // An idle connection that dies reports through the next query; without a listener it would crash the process.
  client.on('error', (error) => context.log.log('debug', `connection to ${spec.name} lost: ${error.message}`, { db: spec.name }));
  try {
    await client.connect();
  } catch (error) {
    const sqlstate = (error as { code?: string }).code;
    throw new BucardoError('CONNECTION_FAILED', `Cannot connect to database "${spec.name}" (${locationOf(spec)}): ${(error as Error).message}`, {
      db: spec.name, ...(sqlstate && /^[0-9A-Z]{5}$/.test(sqlstate) ? { sqlstate } : {}), cause: error,
    });
  }
  return client;
}

export const quoteIdent = (name: string): string => pg.escapeIdentifier(name);
export const quoteLiteral = (value: string): string => pg.escapeLiteral(value);
