import type pg from 'pg';
import type { Logger } from '@bucardo/plugin-sdk';

/**
 * How long the sync's writing sessions wait on a lock before they look for a deadlock: a tenth of the
 * server's default (1 s). In a deadlock the session that looks first is the one rolled back, so with this
 * the run is, whenever its wait closes the cycle within 900 ms of the application's: the run retries the
 * transaction (nothing is lost), where an application transaction would have failed.
 */
export const RUN_DEADLOCK_TIMEOUT = '100ms';

/**
 * How many deadlocks in a row a session gives way in. Under a steady load on a hot row (pgbench's one
 * branch), every attempt of the run would close a cycle again and lose, and the sync would stall until the
 * load stops; after this many, the next attempt keeps the server's `deadlock_timeout`, where the
 * application may be the victim instead, so the run gets through.
 */
export const DEADLOCKS_GIVEN_WAY = 2;

/**
 * Sets the session's `deadlock_timeout` to `RUN_DEADLOCK_TIMEOUT`. Only superusers (or roles granted SET
 * on it, PostgreSQL 15+) may: it asks first, since a refused SET is an ERROR in the server's log on every
 * connection; for others the server's setting stays, and our log says so at debug level. Returns whether
 * it was set.
 */
export async function preferToBeTheDeadlockVictim(client: pg.Client, db: string, log: Logger): Promise<boolean> {
  if (!(await maySetDeadlockTimeout(client))) {
    log.log('debug', `deadlock_timeout stays the server's on ${db} (the role may not set it): an application transaction may be the victim of a deadlock with the sync`, { db });
    return false;
  }
  await client.query(`SET deadlock_timeout = '${RUN_DEADLOCK_TIMEOUT}'`);
  return true;
}

/** Counts the deadlocks a session lost in a row, and says when its next transaction stops giving way. */
export class DeadlockYield {
  #lost = 0;
  readonly #giving: boolean;

  constructor(giving: boolean) {
    this.#giving = giving;
  }

  /** What the next transaction adds after BEGIN: the server's own value, once the session gave way enough. */
  get beginSql(): string {
    return this.#giving && this.#lost >= DEADLOCKS_GIVEN_WAY ? '; SET LOCAL deadlock_timeout TO DEFAULT' : '';
  }

  /** A statement of the transaction failed: a deadlock it lost counts. */
  failed(error: unknown): void {
    if ((error as { code?: string }).code === '40P01') this.#lost++;
  }

  committed(): void {
    this.#lost = 0;
  }
}

/** Whether the session's role may set `deadlock_timeout` (a superuser, or granted SET on it, PostgreSQL 15+). */
export async function maySetDeadlockTimeout(client: pg.Client): Promise<boolean> {
  // the sessions read every value as text: booleans are 't' and 'f'
  const { rows: [role] } = await client.query<{ su: string; version: string }>(
    "SELECT rolsuper AS su, pg_catalog.current_setting('server_version_num') AS version FROM pg_catalog.pg_roles WHERE rolname = current_user");
  // has_parameter_privilege exists from PostgreSQL 15 on: asked only there
  return role?.su === 't' || (role !== undefined && Number(role.version) >= 150000
    && (await client.query<{ may: string }>("SELECT pg_catalog.has_parameter_privilege('deadlock_timeout', 'SET') AS may")).rows[0]?.may === 't');
}
