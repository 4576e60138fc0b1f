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
 * Sets the session's `deadlock_timeout` to `RUN_DEADLOCK_TIMEOUT`. Only superusers (or roles granted SET
 * on it, PostgreSQL 15+) may: for others the server's setting stays, and the log says so at debug level.
 */
export async function preferToBeTheDeadlockVictim(client: pg.Client, db: string, log: Logger): Promise<void> {
  try {
    await client.query(`SET deadlock_timeout = '${RUN_DEADLOCK_TIMEOUT}'`);
  } catch (error) {
    log.log('debug', `Could not set deadlock_timeout on ${db} (${(error as Error).message}): an application transaction may be the victim of a deadlock with the sync`, { db });
  }
}
