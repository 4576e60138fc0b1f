import type pg from 'pg';

/**
 * The advisory lock key of everything that changes a database's capture (installing it, removing it,
 * bringing its guard up to date): two `add sync` on one database at once would race on CREATE SCHEMA and
 * CREATE TABLE, and a removal must not drop the schema an install is filling. Bucardo's processes on any
 * host meet on it, so its text never changes.
 */
export const CAPTURE_INSTALL_LOCK_SQL = "pg_catalog.hashtext('bucardo capture install')";

/** Takes the capture lock until the end of the transaction `client` is in (waits while another holds it). */
export async function lockCaptureChanges(client: pg.Client): Promise<void> {
  await client.query(`SELECT pg_catalog.pg_advisory_xact_lock(${CAPTURE_INSTALL_LOCK_SQL})`);
}
