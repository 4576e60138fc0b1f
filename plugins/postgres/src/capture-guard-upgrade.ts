import type pg from 'pg';
import type { Logger } from '@bucardo/plugin-sdk';
import { CAPTURE_SCHEMA, CAPTURING_FUNCTION } from './capture-names.js';
import { capturingFunctionSql } from './capture-install.js';
import { lockCaptureChanges } from './capture-lock.js';

/**
 * Capture installed by an earlier version has a `bucardo.capturing()` that skips the writes of any role
 * that sets `bucardo.replicating`: an application could hide its changes from every sync. Installing
 * capture replaces it, but a database whose syncs are all set up would keep it for good; so a source
 * session brings it up to date when it opens (one catalog statement; the replacement once per database).
 * A role that may not replace it (not the schema's owner) leaves it, and the log says what to run.
 * Once per process for each role and database: a daemon opens source sessions for every run that starts
 * afresh, every probe after a failure and every conflict reader, and the answer does not change back.
 */
export async function upgradeCaptureGuard(client: pg.Client, db: string, log: Logger): Promise<void> {
  const where = `${client.user}@${client.host}:${client.port}/${client.database}`;
  if (checked.has(where)) return;
  checked.add(where);
  const { rows: [found] } = await client.query<{ outdated: string; owner: string; owner_name: string }>(
    `SELECT p.prosrc NOT LIKE '%pg_has_role%' AS outdated, n.nspowner::oid::text AS owner, n.nspowner::regrole::text AS owner_name
       FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
      WHERE p.oid OPERATOR(pg_catalog.=) pg_catalog.to_regprocedure($1)`, [`${CAPTURING_FUNCTION}()`]);
  if (found?.outdated !== 't') return;
  try {
    await client.query('BEGIN');
    await lockCaptureChanges(client);
    await client.query(capturingFunctionSql(found.owner));
    await client.query('COMMIT');
    log.log('normal', `Database "${db}": ${CAPTURING_FUNCTION}() brought up to date: bucardo.replicating now spares only the writes of role ${found.owner_name} (the sync's), where any role that set it had its writes left uncaptured`, { db });
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    log.log('warn', `Database "${db}": ${CAPTURING_FUNCTION}() lets any role that sets bucardo.replicating write without being captured, and could not be brought up to date (${(error as Error).message}): connect to it as role ${found.owner_name}, the owner of schema "${CAPTURE_SCHEMA}" (bucardo update db ${db} user=…), and it is replaced when the next run opens its sessions`, { db });
  }
}

/** Roles and databases whose capture guard this process has seen to, as `user@host:port/database`. */
const checked = new Set<string>();
