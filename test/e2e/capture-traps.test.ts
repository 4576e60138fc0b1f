/**
 * The capture traps of ARCHITECTURE.md and the all-or-nothing apply, on real databases: a long
 * transaction that commits after later ones (trap 1), rows written by the sync not captured again
 * (trap 2), a user's write on a receiving database during the run (trap 3), checkpoints that move only
 * after every database committed, and plugin errors that name the plugin and the hook.
 * Three sources (A, B, C) and one target (D), each holding `t(id int primary key, v text, n int)`.
 */
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { definePlugin, type RunReport } from '@bucardo/plugin-sdk';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { assertConverged, withClient } from '../src/helpers/databases.js';
import { Harness, expectEverywhere, expectOutcome, tableText, type Role, type SyncWorld } from './support/sync-harness.js';

const harness = new Harness(serverFromInfo(inject('pg')), 'traps');
afterAll(() => harness.dispose());

const FOUR: Record<string, Role> = { A: 'source', B: 'source', C: 'source', D: 'target' };
const SEED = "CREATE TABLE t (id int PRIMARY KEY, v text, n int); INSERT INTO t SELECT i, 'seed', 0 FROM generate_series(1, 5) i;";
const SEEDED = ['(1,seed,0)', '(2,seed,0)', '(3,seed,0)', '(4,seed,0)', '(5,seed,0)'];

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

async function valueOf(w: SyncWorld, db: string, id: number): Promise<string | null | undefined> {
  const rows = await w.sql(db, 'SELECT v FROM t WHERE id = $1', [id]);
  return rows.length === 0 ? undefined : (rows[0]!.v as string | null);
}

async function deltaCount(w: SyncWorld, db: string): Promise<number> {
  return (await w.sql(db, 'SELECT count(*)::int AS n FROM bucardo."delta_public_t"'))[0]!.n as number;
}

describe('trap 1: commit order', () => {
  it('a transaction that commits after a later one is read by the first run that can see it', async () => {
    const w = await harness.setup({ tag: 'co', roles: FOUR, schema: SEED, tables: ['t'] });
    const t1 = await connect(w.url.A!);
    try {
      await t1.query('BEGIN');
      await t1.query("UPDATE t SET v = 'T1', n = 1 WHERE id = 1"); // gets its transaction id first
      await w.sql('A', "UPDATE t SET v = 'T2', n = 2 WHERE id = 2"); // a later transaction, committed
      const first = await w.run();
      expectOutcome(first, 'good');
      expect(first.inserts).toBe(1);
      for (const db of ['B', 'C', 'D']) {
        expect(await valueOf(w, db, 2), db).toBe('T2');
        expect(await valueOf(w, db, 1), db).toBe('seed'); // T1 still open: not visible, not lost
      }
      await t1.query('COMMIT');
    } finally {
      await t1.end();
    }
    const second = await w.run();
    expectOutcome(second, 'good');
    expect(second.inserts).toBe(1);
    await expectEverywhere(w, 't', 'id', ['(1,T1,1)', '(2,T2,2)', '(3,seed,0)', '(4,seed,0)', '(5,seed,0)']);
    expectOutcome(await w.run(), 'empty');
  });
});

describe('trap 2: echo', () => {
  it('rows the sync writes into a source are not captured there, and the next run is empty', async () => {
    const w = await harness.setup({ tag: 'echo', roles: FOUR, schema: SEED, tables: ['t'] });
    await w.sql('A', "INSERT INTO t VALUES (10, 'A', 10), (11, 'A', 11)");
    await w.sql('A', "UPDATE t SET v = 'A' WHERE id = 1");
    await w.sql('A', 'DELETE FROM t WHERE id = 2');
    expect(await deltaCount(w, 'B')).toBe(0);
    expect(await deltaCount(w, 'C')).toBe(0);
    const report = await w.run();
    expectOutcome(report, 'good');
    expect(report.databases.get(w.registered.B!)).toEqual({ inserted: 3, deleted: 2 });
    expect(await deltaCount(w, 'B')).toBe(0);
    expect(await deltaCount(w, 'C')).toBe(0);
    const next = await w.run();
    expectOutcome(next, 'empty');
    expect([next.inserts, next.deletes, next.conflicts]).toEqual([0, 0, 0]);
    await expectEverywhere(w, 't', 'id', ['(1,A,0)', '(3,seed,0)', '(4,seed,0)', '(5,seed,0)', '(10,A,10)', '(11,A,11)']);
  });
});

describe('trap 3: a concurrent local write during apply', () => {
  it('a write on B after the run captured B is not overwritten, and wins on the next run', async () => {
    let url = '';
    let armed = false;
    const lateWriter = definePlugin({
      name: 'late-writer',
      apply(host) {
        // fetch runs after capture and before apply: a user's write here is newer than what the run carries
        host.hooks.fetch.tapPromise('late-writer', async () => {
          if (!armed) return;
          armed = false;
          await withClient(url, (c) => c.query("UPDATE t SET v = 'B late', n = 2 WHERE id = 1"));
        });
      },
    });
    const w = await harness.setup({ tag: 'lw', roles: FOUR, schema: SEED, tables: ['t'], plugins: [lateWriter] });
    url = w.url.B!;
    await w.sql('A', "UPDATE t SET v = 'A', n = 1 WHERE id = 1");
    await w.sql('A', "UPDATE t SET v = 'A', n = 1 WHERE id = 3"); // an uncontested key in the same batch
    armed = true;
    const first = await w.run();
    expectOutcome(first, 'good');
    expect(armed).toBe(false);
    expect(first.deferred).toBeGreaterThanOrEqual(1);
    expect(await valueOf(w, 'B', 1)).toBe('B late');
    for (const db of ['A', 'C', 'D']) expect(await valueOf(w, db, 1), db).toBe('A');
    for (const db of ['A', 'B', 'C', 'D']) expect(await valueOf(w, db, 3), db).toBe('A');

    const second = await w.run();
    expectOutcome(second, 'good');
    expect(second.deferred).toBe(0);
    await expectEverywhere(w, 't', 'id', ['(1,"B late",2)', '(2,seed,0)', '(3,A,1)', '(4,seed,0)', '(5,seed,0)']);
    expectOutcome(await w.run(), 'empty');
  });

  it('an UPDATE on B of a row the batch deletes, holding its lock while apply waits, survives', async () => {
    let url = '';
    let dbname = '';
    let armed = false;
    let user: Promise<{ sawApplyWaiting: boolean }> | undefined;
    /** Updates row 2 on B in an open transaction, waits until the sync's DELETE blocks on its lock, then commits. */
    const holdThenCommit = async (client: pg.Client): Promise<{ sawApplyWaiting: boolean }> => {
      let sawApplyWaiting = false;
      try {
        for (let i = 0; i < 250 && !sawApplyWaiting; i++) {
          const waiting = await withClient(harness.server.url(), (c) => c.query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND application_name LIKE 'bucardo%'`, [dbname]));
          sawApplyWaiting = (waiting.rowCount ?? 0) > 0;
          if (!sawApplyWaiting) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await client.query('COMMIT');
      } finally {
        await client.end();
      }
      return { sawApplyWaiting };
    };
    const lockHolder = definePlugin({
      name: 'lock-holder',
      apply(host) {
        host.hooks.fetch.tapPromise('lock-holder', async () => {
          if (!armed) return;
          armed = false;
          const client = await connect(url);
          await client.query('BEGIN');
          await client.query("UPDATE t SET v = 'B kept', n = 22 WHERE id = 2");
          user = holdThenCommit(client); // commits in the background, once apply waits for the lock
        });
      },
    });
    const w = await harness.setup({ tag: 'lk', roles: FOUR, schema: SEED, tables: ['t'], plugins: [lockHolder] });
    url = w.url.B!;
    dbname = w.dbname.B!;
    await w.sql('A', 'DELETE FROM t WHERE id = 2');
    await w.sql('C', "UPDATE t SET v = 'C', n = 4 WHERE id = 4");
    armed = true;
    const first = await w.run();
    const { sawApplyWaiting } = await user!;
    expectOutcome(first, 'good');
    expect(sawApplyWaiting).toBe(true);
    expect(first.deferred).toBeGreaterThanOrEqual(1);
    expect(await valueOf(w, 'B', 2)).toBe('B kept');
    for (const db of ['A', 'C', 'D']) expect(await valueOf(w, db, 2), db).toBeUndefined();
    for (const db of ['A', 'B', 'C', 'D']) expect(await valueOf(w, db, 4), db).toBe('C');

    const second = await w.run();
    expectOutcome(second, 'good');
    await expectEverywhere(w, 't', 'id', ['(1,seed,0)', '(2,"B kept",22)', '(3,seed,0)', '(4,C,4)', '(5,seed,0)']);
    expectOutcome(await w.run(), 'empty');
  });
});

describe('checkpoints advance only after every database committed', () => {
  it('a database that rejects a row fails the run, nothing is applied anywhere, and the next run delivers it all', async () => {
    const w = await harness.setup({ tag: 'ck', roles: FOUR, schema: SEED, tables: ['t'] });
    await w.sql('D', "ALTER TABLE t ADD CONSTRAINT no_bad CHECK (v IS DISTINCT FROM 'bad')");
    await w.sql('A', "INSERT INTO t VALUES (10, 'from A', 10)");
    await w.sql('B', "INSERT INTO t VALUES (20, 'bad', 20)");
    await w.sql('C', "UPDATE t SET v = 'from C' WHERE id = 3");
    await w.sql('C', 'DELETE FROM t WHERE id = 5');
    const failed = await w.run();
    expectOutcome(failed, 'bad');
    expect(failed.error).toMatchObject({ code: 'APPLY_FAILED', db: w.registered.D, table: 'public.t', sqlstate: '23514' });
    // every database still holds only its own rows: the others' writes were rolled back
    expect(await tableText(w.url.A!, 't', 'id')).toEqual([...SEEDED, '(10,"from A",10)']);
    expect(await tableText(w.url.B!, 't', 'id')).toEqual([...SEEDED, '(20,bad,20)']);
    expect(await tableText(w.url.C!, 't', 'id')).toEqual(['(1,seed,0)', '(2,seed,0)', '(3,"from C",0)', '(4,seed,0)']);
    expect(await tableText(w.url.D!, 't', 'id')).toEqual(SEEDED);
    // the same failure again: the checkpoints did not move
    expectOutcome(await w.run(), 'bad');

    await w.sql('D', 'ALTER TABLE t DROP CONSTRAINT no_bad');
    const healed = await w.run();
    expectOutcome(healed, 'good');
    expect(healed.inserts).toBe(3);
    await expectEverywhere(w, 't', 'id', ['(1,seed,0)', '(2,seed,0)', '(3,"from C",0)', '(4,seed,0)', '(10,"from A",10)', '(20,bad,20)']);
    expectOutcome(await w.run(), 'empty');
  });

  it('a plugin failing after the core applied (stage 10) rolls every database back; nothing is lost', async () => {
    let failApply = true;
    const seen: string[][] = [];
    const failAfterApply = definePlugin({
      name: 'fail-after-apply',
      apply(host) {
        host.hooks.apply.tapPromise({ name: 'fail-after-apply', stage: 10 }, async (outcome) => {
          seen.push([...outcome.results.keys()].sort());
          if (failApply) throw new Error('refusing this batch');
        });
      },
    });
    const w = await harness.setup({ tag: 'pf', roles: FOUR, schema: SEED, tables: ['t'], plugins: [failAfterApply] });
    await w.sql('A', "INSERT INTO t VALUES (10, 'from A', 10)");
    await w.sql('B', "UPDATE t SET v = 'from B' WHERE id = 1");
    await w.sql('C', 'DELETE FROM t WHERE id = 2');
    const failed = await w.run();
    expectOutcome(failed, 'bad');
    expect(failed.error).toMatchObject({ code: 'PLUGIN_ERROR', plugin: 'fail-after-apply', hook: 'apply' });
    expect(failed.error?.message).toContain('refusing this batch');
    // the core had written to all four databases before the plugin threw
    expect(seen[0]).toEqual(Object.values(w.registered).sort());
    expect(await tableText(w.url.A!, 't', 'id')).toEqual([...SEEDED, '(10,"from A",10)']);
    expect(await tableText(w.url.B!, 't', 'id')).toEqual(['(1,"from B",0)', ...SEEDED.slice(1)]);
    expect(await tableText(w.url.C!, 't', 'id')).toEqual(['(1,seed,0)', ...SEEDED.slice(2)]);
    expect(await tableText(w.url.D!, 't', 'id')).toEqual(SEEDED);

    failApply = false;
    const healed = await w.run();
    expectOutcome(healed, 'good');
    await expectEverywhere(w, 't', 'id', ['(1,"from B",0)', '(3,seed,0)', '(4,seed,0)', '(5,seed,0)', '(10,"from A",10)']);
    await assertConverged(w.urls as string[], { t: 'id' });
  });
});

describe('plugin errors', () => {
  it('a throwing tap is reported as PLUGIN_ERROR naming the plugin and the hook; a throwing report tap fails nothing', async () => {
    let throwIn: 'capture' | 'fetch' | 'resolve' | undefined;
    const reports: RunReport[] = [];
    const flaky = definePlugin({
      name: 'flaky',
      apply(host) {
        host.hooks.capture.tapPromise('flaky-capture', async () => { if (throwIn === 'capture') throw new Error('capture went wrong'); });
        host.hooks.fetch.tap('flaky-fetch', () => { if (throwIn === 'fetch') throw new TypeError('fetch went wrong'); });
        host.hooks.resolve.tapPromise('flaky-resolve', async () => { if (throwIn === 'resolve') throw new Error('resolve went wrong'); });
        host.hooks.report.tapPromise('flaky-report', async (report) => {
          reports.push(report);
          throw new Error('the report tap always fails');
        });
      },
    });
    const w = await harness.setup({ tag: 'pe', roles: FOUR, schema: SEED, tables: ['t'], plugins: [flaky] });
    await w.sql('A', "UPDATE t SET v = 'A' WHERE id = 1");
    await w.sql('B', "UPDATE t SET v = 'B' WHERE id = 1"); // a conflict, so resolve fires
    for (const hook of ['capture', 'fetch', 'resolve'] as const) {
      throwIn = hook;
      const report = await w.run();
      expectOutcome(report, 'bad');
      expect(report.error, hook).toMatchObject({ code: 'PLUGIN_ERROR', plugin: 'flaky', hook });
      expect(report.error?.message).toContain(`${hook} went wrong`);
      expect(await tableText(w.url.D!, 't', 'id')).toEqual(SEEDED);
    }
    throwIn = undefined;
    const good = await w.run();
    expectOutcome(good, 'good'); // the report tap threw, and the run is still good
    expect(good.conflicts).toBe(1);
    expect(reports.map((report) => report.outcome)).toEqual(['bad', 'bad', 'bad', 'good']);
    await expectEverywhere(w, 't', 'id', ['(1,B,0)', ...SEEDED.slice(1)]);
    const [status] = await w.bucardo.status([w.sync]);
    expect(status?.state).toBe('Good');
  });
});
