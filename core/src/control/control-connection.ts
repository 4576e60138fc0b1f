import pg from 'pg';
import { BucardoError, type ControlDatabaseConfig } from '@bucardo/plugin-sdk';

/** The control database as resolved from config, flags and environment; unset fields come from PG* variables. */
export interface ControlTarget {
  readonly dbname: string;
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
}

/** Config first, then `BUCARDO_CONTROL_DB`, then Bucardo's default database name `bucardo`. */
export function resolveControlTarget(config: ControlDatabaseConfig = {}, env: NodeJS.ProcessEnv = process.env): ControlTarget {
  return {
    dbname: config.dbname ?? env.BUCARDO_CONTROL_DB ?? 'bucardo',
    ...(config.host === undefined ? {} : { host: config.host }),
    ...(config.port === undefined ? {} : { port: config.port }),
    ...(config.user === undefined ? {} : { user: config.user }),
    ...(config.password === undefined ? {} : { password: config.password }),
  };
}

export async function connectControl(target: ControlTarget, database = target.dbname, label = 'bucardo'): Promise<pg.Client> {
  const client = new pg.Client({
    database,
    ...(target.host === undefined ? {} : { host: target.host }),
    ...(target.port === undefined ? {} : { port: target.port }),
    ...(target.user === undefined ? {} : { user: target.user }),
    ...(target.password === undefined ? {} : { password: target.password }),
    application_name: label,
    connectionTimeoutMillis: 10_000,
  });
  client.on('error', () => { /* reported by the next query */ });
  try {
    await client.connect();
  } catch (error) {
    const sqlstate = (error as { code?: string }).code;
    if (sqlstate === '3D000' && database === target.dbname) {
      throw new BucardoError('CONTROL_NOT_INSTALLED', `The control database "${database}" does not exist: run "bucardo install" first`, { db: database, sqlstate, cause: error });
    }
    throw new BucardoError('CONNECTION_FAILED', `Cannot connect to the control database "${database}": ${(error as Error).message}`, { db: database, ...(sqlstate ? { sqlstate } : {}), cause: error });
  }
  return client;
}

/** Maps "relation bucardo.x does not exist" to a clear CONTROL_NOT_INSTALLED; passes anything else on. */
export function controlError(error: unknown, dbname: string): unknown {
  const sqlstate = (error as { code?: string } | null)?.code;
  if (sqlstate === '42P01' || sqlstate === '3F000') {
    return new BucardoError('CONTROL_NOT_INSTALLED', `The control database "${dbname}" has no Bucardo schema: run "bucardo install" first`, { db: dbname, sqlstate, cause: error });
  }
  return error;
}
