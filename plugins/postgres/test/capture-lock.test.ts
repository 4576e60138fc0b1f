/**
 * Installing and removing capture wait for one advisory lock, under the key every version takes
 * (`hashtext('bucardo capture install')`): two `add sync` on one database, or a removal beside an install,
 * never race on the `bucardo` schema. Here a session of another process holds that key, and each waits
 * for it (seen in pg_stat_activity) and goes on once it is let go.
 */
import { describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { silentLogger } from '@bucardo/plugin-sdk';
import { createDatabase, dropDatabase, serverFromInfo, uniqueName, withClient } from '@bucardo/test';
import { installCapture, removeCapture } from '../src/capture-install.js';
import { connect } from '../src/connect.js';
import { describeTables } from '../src/introspect.js';
import { resolveOptions } from '../src/postgres-options.js';
import { registeredDriver } from './support/driver.js';

const server = serverFromInfo(inject('pg'));

/** Whether backend `pid` waits for an advisory lock (read on a connection of its own: no snapshot). */
async function waitsForAdvisoryLock(url: string, pid: number): Promise<boolean> {
  return withClient(url, async (c) => (await c.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock' AND wait_event = 'advisory'", [pid])).rows.length > 0);
}

/** Runs `work` on `client` while another session holds the capture lock; expects it to wait, then to finish. */
async function waitsForTheLock(url: string, client: pg.Client, work: () => Promise<unknown>): Promise<void> {
  const holder = new pg.Client({ connectionString: url });
  await holder.connect();
  try {
    await holder.query("BEGIN; SELECT pg_advisory_xact_lock(hashtext('bucardo capture install'))");
    const pid = Number((await client.query<{ pid: string }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
    let done = false;
    const working = work().then(() => { done = true; });
    const deadline = Date.now() + 10_000;
    while (!(await waitsForAdvisoryLock(url, pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await waitsForAdvisoryLock(url, pid)).toBe(true);
    expect(done).toBe(false);
    await holder.query('COMMIT');
    await working;
  } finally {
    await holder.end();
  }
}

describe('the capture lock', () => {
  it('installing and removing capture wait for the key another process holds', async () => {
    const db = uniqueName('capturelock');
    const url = await createDatabase(server, db);
    // the plugin's own connection: every value as PostgreSQL prints it, as the plugin's statements expect
    const client = await connect({ name: 'c', type: 'postgres', params: registeredDriver().normalizeParams({ url }) }, { log: silentLogger, label: 'capture lock' }, resolveOptions());
    try {
      await client.query('CREATE TABLE t (id int PRIMARY KEY, v text)');
      const shapes = (await describeTables(client, [{ schema: 'public', name: 't' }])).map((shape) => shape!);
      await waitsForTheLock(url, client, () => installCapture(client, shapes, 'test'));
      expect((await client.query("SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = 't'::regclass AND NOT tgisinternal")).rows).toEqual([{ n: '2' }]);
      await waitsForTheLock(url, client, () => removeCapture(client, [{ schema: 'public', name: 't' }]));
      expect((await client.query("SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = 't'::regclass AND NOT tgisinternal")).rows).toEqual([{ n: '0' }]);
    } finally {
      await client.end();
      await dropDatabase(server, db);
    }
  });
});
