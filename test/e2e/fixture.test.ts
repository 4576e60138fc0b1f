/**
 * The fixture itself: the server from globalSetup answers, databases can be made and dropped, the built-in
 * pgbench workload produces pgbench's tables and keeps TPC-B's balance invariant, and fingerprints tell
 * equal tables from different ones.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmbeddedPostgres } from '../src/fixtures/embedded-postgres.js';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import {
  assertConverged,
  createDatabase,
  dropDatabase,
  tableFingerprint,
  uniqueName,
  withClient,
} from '../src/helpers/databases.js';
import { findPgbench, pgbenchInit, pgbenchRun } from '../src/helpers/workload/pgbench.js';
import { initPgbench, runTpcb } from '../src/helpers/workload/tpcb.js';

const server = serverFromInfo(inject('pg'));
const PGBENCH_TABLES = {
  pgbench_accounts: 'aid',
  pgbench_branches: 'bid',
  pgbench_tellers: 'tid',
  pgbench_history: undefined,
};

/** Row counts and balance sums of the pgbench tables: TPC-B keeps all four sums equal. */
async function pgbenchCounts(url: string) {
  return withClient(url, async (c) => {
    const { rows } = await c.query(`
      SELECT (SELECT count(*) FROM pgbench_accounts)::int AS accounts,
             (SELECT count(*) FROM pgbench_branches)::int AS branches,
             (SELECT count(*) FROM pgbench_tellers)::int AS tellers,
             (SELECT count(*) FROM pgbench_history)::int AS history,
             (SELECT sum(abalance) FROM pgbench_accounts)::int AS abalance,
             (SELECT sum(tbalance) FROM pgbench_tellers)::int AS tbalance,
             (SELECT sum(bbalance) FROM pgbench_branches)::int AS bbalance,
             (SELECT sum(delta) FROM pgbench_history)::int AS delta,
             (SELECT count(*) FROM pgbench_history WHERE delta <> 0)::int AS nonzero`);
    return rows[0];
  });
}

describe('pg fixture', () => {
  const a = uniqueName('fixture_a');
  const b = uniqueName('fixture_b');
  let urlA = '';
  let urlB = '';

  beforeAll(async () => {
    urlA = await createDatabase(server, a);
    urlB = await createDatabase(server, b);
  });

  afterAll(async () => {
    await dropDatabase(server, a);
    await dropDatabase(server, b);
  });

  it('connects to the server that globalSetup started', async () => {
    const row = await withClient(urlA, async (c) => (await c.query('SELECT current_database() AS db, version() AS v')).rows[0]);
    expect(row.db).toBe(a);
    expect(row.v).toMatch(/^PostgreSQL \d+/);
    expect(['env', 'docker', 'embedded']).toContain(server.source);
  });

  it('initialises pgbench tables at scale 1 and runs tpcb transactions that keep the balances', async () => {
    await initPgbench(urlA, { scale: 1 });
    const result = await runTpcb(urlA, { transactions: 50, seed: 42 });
    expect(result.transactions).toBe(50);

    const counts = await pgbenchCounts(urlA);
    expect(counts).toMatchObject({ accounts: 100000, branches: 1, tellers: 10, history: 50 });
    expect(counts.abalance).toBe(counts.delta);
    expect(counts.tbalance).toBe(counts.delta);
    expect(counts.bbalance).toBe(counts.delta);
    expect(counts.nonzero).toBeGreaterThan(40); // the deltas are random, not all zero

    const keys = await withClient(urlA, async (c) => {
      const { rows } = await c.query(`
        SELECT conrelid::regclass::text AS t FROM pg_constraint
         WHERE contype = 'p' AND conrelid::regclass::text LIKE 'pgbench_%' ORDER BY 1`);
      return rows.map((r) => r.t);
    });
    expect(keys).toEqual(['pgbench_accounts', 'pgbench_branches', 'pgbench_tellers']);
  });

  it('fingerprints equal tables equally and different tables differently', async () => {
    await initPgbench(urlB, { scale: 1 });
    // a template copy is equal to its original, table by table
    const copy = uniqueName('fixture_copy');
    const urlCopy = await createDatabase(server, copy, { template: b });
    try {
      const fingerprints = await assertConverged([urlB, urlCopy], PGBENCH_TABLES);
      expect(fingerprints[urlB]).toEqual(fingerprints[urlCopy]);
      expect(Object.keys(fingerprints[urlB] ?? {})).toEqual(Object.keys(PGBENCH_TABLES));

      // one changed column of one row is a different fingerprint of that table only
      await withClient(urlCopy, (c) => c.query('UPDATE pgbench_tellers SET tbalance = 1 WHERE tid = 7'));
      await expect(assertConverged([urlB, urlCopy], PGBENCH_TABLES)).rejects.toThrow(/not converged on pgbench_tellers\n/);
      expect(await tableFingerprint(urlCopy, 'pgbench_accounts', 'aid')).toBe(await tableFingerprint(urlB, 'pgbench_accounts', 'aid'));
    } finally {
      await dropDatabase(server, copy);
    }
    // the database that ran 50 transactions differs from a fresh one in every table
    for (const [table, key] of Object.entries(PGBENCH_TABLES)) {
      expect(await tableFingerprint(urlA, table, key)).not.toBe(await tableFingerprint(urlB, table, key));
    }
  });

  it('runs the same transactions for the same seed', async () => {
    for (const url of [urlA, urlB]) {
      await initPgbench(url, { scale: 1 });
      await runTpcb(url, { transactions: 20, clients: 2, seed: 7 });
    }
    // history rows differ in mtime; the balances they produced do not
    await assertConverged([urlA, urlB], { pgbench_accounts: 'aid', pgbench_tellers: 'tid', pgbench_branches: 'bid' });
    expect(await tableFingerprint(urlA, 'pgbench_history')).not.toBe(await tableFingerprint(urlB, 'pgbench_history'));
  });

  it.skipIf(!findPgbench())('builds the same tables as the real pgbench -i, and pgbench runs on them', async () => {
    await initPgbench(urlA, { scale: 1 });
    await pgbenchInit(urlB, { scale: 1 });
    await assertConverged([urlA, urlB], PGBENCH_TABLES);
    const columns = (url: string) =>
      withClient(url, async (c) => {
        const { rows } = await c.query(`
          SELECT table_name, column_name, data_type, character_maximum_length, is_nullable
            FROM information_schema.columns WHERE table_name LIKE 'pgbench_%' ORDER BY table_name, ordinal_position`);
        return rows;
      });
    expect(await columns(urlA)).toEqual(await columns(urlB));

    await pgbenchRun(urlA, { transactions: 10, clients: 2, seed: 1 });
    const counts = await pgbenchCounts(urlA);
    expect(counts.history).toBe(20);
    expect(counts.abalance).toBe(counts.delta);
    expect(counts.bbalance).toBe(counts.delta);
  });

  it('starts a cluster of its own with settings that override the throwaway ones', async () => {
    const durable = await startEmbeddedPostgres({ fsync: 'on', full_page_writes: 'on' });
    try {
      const settings = await withClient(durable.url(), async (c) => (await c.query<{ name: string; setting: string }>(
        "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'full_page_writes', 'max_connections') ORDER BY name")).rows);
      // the ones not overridden keep the fixture's values
      expect(settings).toEqual([{ name: 'fsync', setting: 'on' }, { name: 'full_page_writes', setting: 'on' }, { name: 'max_connections', setting: '300' }]);
    } finally {
      await durable.stop();
    }
  });
});
