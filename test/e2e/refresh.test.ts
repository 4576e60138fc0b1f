/**
 * `refreshAbove` (issue 8): on a sync with one source, a table whose pending change records reach that
 * fraction of its rows is copied whole to the targets (TRUNCATE, then COPY) instead of key by key. Run by
 * `bucardo kick S 0` as processes, with a config of `refreshAbove` 0.5 and `batchSize` 100, on a source A
 * and targets B and C, over `t` (2,000 rows, analyzed on A) and `u` (1,000 rows, autovacuum off, never
 * analyzed, so A has no row figure for it):
 *
 *  - a bulk change of three quarters of `t` copies it whole (the targets' `t` gets a new relfilenode, and a
 *    row only C had is gone; A reads it with one sequential scan, not through its key index), `u`'s few changes go key by key, every database converges, and the next run
 *    is empty;
 *  - a run whose only changes are copied whole moves the checkpoint all the same: the next run is empty;
 *  - a quarter of `t`, and all of `u` (no statistics), go key by key: no relfilenode changes; so do ten
 *    keys of `t` updated 120 times each, whose 1,200 records reach half of `t` but whose keys do not;
 *  - where a reader holds `t` on C, C's table is emptied with DELETE after TRUNCATE waited two seconds, while
 *    B's is truncated: the run does not wait for the reader (nor make new readers queue behind it); and
 *    where a foreign key points at `t` on B, B's is emptied with DELETE too;
 *  - killed after the copy, in the middle of `u`'s transactions, the next run resumes with the same layout:
 *    it copies `t` whole again, skips `u`'s committed transactions, and converges;
 *  - with key partitions, the table copied whole is not counted and the rest is cut as usual; a run that
 *    copies every changed table whole captures none, and still consumes their records;
 *  - a sync's own `refreshabove=` (update sync, shown by status) wins over the config's; 0 never, empty the
 *    config's; bad values are refused naming the setting;
 *  - a sync with two sources never copies whole;
 *  - (in process, with capture taps) a write committed just before the capture is in the copy, and one
 *    committed just after it is in the copy and comes again in the next run.
 */
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { definePlugin } from '@bucardo/plugin-sdk';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { assertConverged, withClient } from '../src/helpers/databases.js';
import { statusDetail, waitFor, type Db, type DaemonWorld } from './support/daemon-world.js';
import { batchConfig, openRun, threeDatabaseWorld, throttleInserts } from './support/lifecycle-kit.js';
import { Harness, expectOutcome } from './support/sync-harness.js';

const server = serverFromInfo(inject('pg'));

const T_ROWS = 2_000;
const U_ROWS = 1_000;
const BATCH = 100;

/** The relfilenode of each table on `db`: TRUNCATE gives a table a new one, DELETE and COPY do not. */
async function fileNodes(world: DaemonWorld, db: Db): Promise<Record<string, string>> {
  const rows = await world.query(db.url, "SELECT pg_relation_filenode('t')::text AS t, pg_relation_filenode('u')::text AS u");
  return rows[0] as Record<string, string>;
}

/** How often `t` was read on `db` by a sequential scan and through an index (the server's statistics). */
async function scansOfT(world: DaemonWorld, db: Db): Promise<{ seq: number; idx: number }> {
  const rows = await world.query(db.url, "SELECT seq_scan::int AS seq, coalesce(idx_scan, 0)::int AS idx FROM pg_stat_user_tables WHERE relid = 't'::regclass");
  return rows[0] as { seq: number; idx: number };
}

/**
 * The scans of `t` on `db` once they stop moving: a session's counts reach the server's statistics when it
 * goes idle (at most once a second) or ends, so they are read until two readings over a second apart agree.
 */
async function settledScansOfT(world: DaemonWorld, db: Db): Promise<{ seq: number; idx: number }> {
  let last = await scansOfT(world, db);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const now = await scansOfT(world, db);
    if (now.seq === last.seq && now.idx === last.idx) return now;
    last = now;
  }
}

async function createTables(world: DaemonWorld, dbs: readonly Db[]): Promise<void> {
  for (const db of dbs) {
    await world.query(db.url, `INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, ${T_ROWS}) AS i;
      CREATE TABLE u (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = false);
      INSERT INTO u SELECT i, 'u' || i FROM generate_series(1, ${U_ROWS}) AS i`);
  }
}

describe('refreshAbove: a table most of which changed is copied whole to the targets', () => {
  const setup = threeDatabaseWorld(server, 'rf');
  const { world } = setup;
  let config: string | undefined;
  const kick = () => setup.kids.spawn('--config', (config ??= batchConfig(world, BATCH, { refreshAbove: 0.5 })), '--log-level', 'normal', 'kick', 'rf', '0');
  const targetNodes = async () => ({ b: await fileNodes(world, setup.b), c: await fileNodes(world, setup.c) });
  /** Every database converged, and on the targets, how many rows of t and of u have values starting with these words. */
  const convergedWith = async (words: { t: string; u: string }, counts: { t: number; u: number }) => {
    await assertConverged([setup.a.url, setup.b.url, setup.c.url], { t: 'id', u: 'id' });
    for (const db of [setup.b, setup.c]) {
      expect(await world.query(db.url, 'SELECT (SELECT count(*)::int FROM t WHERE v LIKE $1) AS t, (SELECT count(*)::int FROM u WHERE v LIKE $2) AS u', [`${words.t}%`, `${words.u}%`]), db.name)
        .toEqual([counts]);
    }
  };

  it('sets up a one-source sync over t (analyzed on A) and u (never analyzed)', async () => {
    const { a, b, c } = setup;
    await createTables(world, [a, b, c]);
    // the figure the decision reads stays the one of this ANALYZE
    await world.query(a.url, 'ALTER TABLE t SET (autovacuum_enabled = false)');
    await world.query(a.url, 'VACUUM ANALYZE t');
    await world.api.addTables(['t', 'u'], { herd: 'rf_h', db: a.name });
    await world.api.addDbGroup('rf_g', [`${a.name}:source`, `${b.name}:target`, `${c.name}:target`]);
    await world.api.addSync('rf', { herd: 'rf_h', dbs: 'rf_g', autokick: 'false' });
    // what the decision reads: a row figure for t, none for u
    expect(await world.query(a.url, "SELECT relname, reltuples::int AS rows, relpages > 0 AS paged FROM pg_class WHERE relname IN ('t', 'u') AND relkind = 'r' ORDER BY relname"))
      .toEqual([{ relname: 't', rows: T_ROWS, paged: true }, { relname: 'u', rows: expect.any(Number) as number, paged: false }]);
  });

  it('copies t whole when its change records reach half its rows, applies u key by key, and the next run is empty', async () => {
    const { a, b, c } = setup;
    const before = await targetNodes();
    await world.query(c.url, "INSERT INTO t VALUES (999999, 'only on C')");
    await world.query(a.url, `UPDATE t SET v = 'bulk' || id WHERE id <= 1500;
      DELETE FROM t WHERE id > 1990;
      INSERT INTO t VALUES (5001, 'new');
      UPDATE u SET v = 'few' || id WHERE id <= 10;
      SELECT pg_stat_force_next_flush()`);
    const scansBefore = await settledScansOfT(world, a);

    const run = await kick().exited;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Kick rf: \[\d+ s\] DONE!$/m);
    expect(run.stderr).toContain(`Table public.t has 1511 changed keys (1511 change records) on ${a.name} for about ${T_ROWS} rows (refreshAbove 0.5): copying it whole to ${b.name}, ${c.name}`);
    expect(run.stderr).not.toContain('Table public.u has');
    const after = await targetNodes();
    expect(after.b.t).not.toBe(before.b.t);
    expect(after.c.t).not.toBe(before.c.t);
    expect([after.b.u, after.c.u]).toEqual([before.b.u, before.c.u]);
    // most of t changed, so A read it with one scan and a sort, not through its key index, which now
    // points at a dead row version beside most live ones (the kick's sessions are gone: their counts are in)
    expect(await settledScansOfT(world, a)).toEqual({ seq: scansBefore.seq + 1, idx: scansBefore.idx });

    await assertConverged([a.url, b.url, c.url], { t: 'id', u: 'id' });
    for (const db of [b, c]) {
      expect(await world.query(db.url, "SELECT count(*)::int AS n, count(*) FILTER (WHERE v LIKE 'bulk%')::int AS bulk, count(*) FILTER (WHERE id = 999999)::int AS drift FROM t"), db.name)
        .toEqual([{ n: T_ROWS - 10 + 1, bulk: 1500, drift: 0 }]);
      expect(await world.query(db.url, "SELECT count(*)::int AS n FROM u WHERE v LIKE 'few%'"), db.name).toEqual([{ n: 10 }]);
    }
    // the rows of t copied once each, and u's ten keys
    expect(await world.sql("SELECT outcome, inserts::int FROM bucardo.syncrun WHERE sync = 'rf' ORDER BY started DESC LIMIT 1"))
      .toEqual([{ outcome: 'good', inserts: T_ROWS - 10 + 1 + 10 }]);

    // t's change records were consumed by the run: nothing is left for the next
    const next = await kick().exited;
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.stderr).toMatch(/Sync "rf" empty: 0 inserts, 0 deletes, 0 conflicts/);
    expect(await targetNodes()).toEqual(after);
  });

  it('a run whose only changes are copied whole still consumes them: the next run is empty', async () => {
    const { a, b, c } = setup;
    await world.query(a.url, "UPDATE t SET v = 'only t' || id WHERE id <= 1200");
    const run = await kick().exited;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stderr).toContain(`Table public.t has 1200 changed keys (1200 change records) on ${a.name} for about ${T_ROWS} rows (refreshAbove 0.5): copying it whole to ${b.name}, ${c.name}`);
    await assertConverged([a.url, b.url, c.url], { t: 'id', u: 'id' });
    expect(await world.query(c.url, "SELECT count(*)::int AS n FROM t WHERE v LIKE 'only t%'")).toEqual([{ n: 1200 }]);
    const next = await kick().exited;
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.stderr).toMatch(/Sync "rf" empty: 0 inserts, 0 deletes, 0 conflicts/);
  });

  it('applies key by key below refreshAbove, and where the source has no row figure', async () => {
    const { a } = setup;
    const before = await targetNodes();
    await world.query(a.url, `UPDATE t SET v = 'quarter' || id WHERE id <= 500; UPDATE u SET v = 'all' || id`);
    const run = await kick().exited;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stderr).not.toContain('copying it whole');
    expect(await targetNodes()).toEqual(before);
    await convergedWith({ t: 'quarter', u: 'all' }, { t: 500, u: U_ROWS });
  });

  it('applies key by key a table whose records reach refreshAbove but are about a few keys changed many times', async () => {
    const { a, b, c } = setup;
    const before = await targetNodes();
    // 1,200 change records (more than half of t's rows, and a batch) about ten keys
    await world.query(a.url, `DO $$ BEGIN FOR i IN 1..120 LOOP UPDATE t SET v = 'hot' || id || '.' || i WHERE id <= 10; END LOOP; END $$`);
    const run = await kick().exited;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stderr).toContain(`Table public.t has 10 changed keys (1200 change records) on ${a.name} for about ${T_ROWS} rows (refreshAbove 0.5): applying its keys, not copying it whole`);
    expect(run.stderr).not.toContain('copying it whole to');
    expect(await targetNodes()).toEqual(before);
    expect(await world.sql("SELECT outcome, inserts::int FROM bucardo.syncrun WHERE sync = 'rf' ORDER BY started DESC LIMIT 1")).toEqual([{ outcome: 'good', inserts: 10 }]);
    for (const db of [b, c]) expect(await world.query(db.url, "SELECT count(*)::int AS n FROM t WHERE v LIKE 'hot%.120'"), db.name).toEqual([{ n: 10 }]);
    await assertConverged([a.url, b.url, c.url], { t: 'id', u: 'id' });
  });

  it('empties a target\'s table with DELETE where a reader holds it: the run waits two seconds for TRUNCATE, not for the reader', async () => {
    const { a, b, c } = setup;
    const before = await targetNodes();
    await world.query(a.url, "UPDATE t SET v = 'held' || id");
    // a reader of t on C keeps its transaction open across the whole run
    const reader = new pg.Client({ connectionString: c.url });
    await reader.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM t');
      const run = await kick().exited;
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stderr).toContain(`Emptying public.t on ${c.name} with DELETE, not TRUNCATE: others (readers of the table) held its lock for more than 2s`);
      expect(run.stderr).not.toContain(`Emptying public.t on ${b.name}`);
      const after = await targetNodes();
      expect(after.b.t).not.toBe(before.b.t);
      expect(after.c.t).toBe(before.c.t);
      // still in its transaction, the reader sees what the run committed (READ COMMITTED)
      expect((await reader.query("SELECT count(*)::int AS n FROM t WHERE v LIKE 'held%'")).rows).toEqual([{ n: T_ROWS - 10 + 1 }]);
    } finally {
      await reader.query('ROLLBACK').catch(() => undefined);
      await reader.end();
    }
    await assertConverged([a.url, b.url, c.url], { t: 'id', u: 'id' });
  });

  it('empties a target\'s table with DELETE where a foreign key points at it, which TRUNCATE refuses', async () => {
    const { a, b, c } = setup;
    await world.query(b.url, 'CREATE TABLE t_ref (id int REFERENCES t (id))');
    try {
      const before = await targetNodes();
      await world.query(a.url, "UPDATE t SET v = 'referenced' || id");
      const run = await kick().exited;
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stderr).toContain(`Emptying public.t on ${b.name} with DELETE, not TRUNCATE: a foreign key points at it`);
      const after = await targetNodes();
      expect(after.b.t).toBe(before.b.t);
      expect(after.c.t).not.toBe(before.c.t);
      await assertConverged([a.url, b.url, c.url], { t: 'id', u: 'id' });
    } finally {
      await world.query(b.url, 'DROP TABLE t_ref');
    }
  });

  it('a copy that fails on one target keeps nothing on any target and consumes nothing: fixed, the next run converges', async () => {
    const { a, b, c } = setup;
    await world.query(c.url, "ALTER TABLE t ADD CONSTRAINT t_no_bad CHECK (v NOT LIKE 'bad%') NOT VALID");
    await world.query(a.url, "UPDATE t SET v = 'bad' || id");
    const failed = await kick().exited;
    expect(failed.code, failed.stdout + failed.stderr).toBe(2);
    expect(failed.stdout).toMatch(/^Kick rf: \[\d+ s\] KILLED!$/m);
    expect(failed.stdout).toContain(`    new row for relation "t" violates check constraint "t_no_bad" (the row with key 1 from database "${a.name}") [APPLY_FAILED] (db ${c.name}, table public.t, key 1, sqlstate 23514)\n`);
    for (const db of [b, c]) expect(await world.query(db.url, "SELECT count(*)::int AS n, count(*) FILTER (WHERE v LIKE 'bad%')::int AS bad FROM t"), db.name).toEqual([{ n: T_ROWS - 10 + 1, bad: 0 }]);
    await world.query(c.url, 'ALTER TABLE t DROP CONSTRAINT t_no_bad');
    const fixed = await kick().exited;
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect(fixed.stderr).toContain('Table public.t has');
    await assertConverged([a.url, b.url, c.url], { t: 'id', u: 'id' });
    expect(await world.query(c.url, "SELECT count(*)::int AS n FROM t WHERE v LIKE 'bad%'")).toEqual([{ n: T_ROWS - 10 + 1 }]);
  });

  it('killed after the copy, the next run keeps the same layout: t copied whole again, u resumed where it was', async () => {
    const { kids, a, c } = setup;
    await world.query(a.url, `UPDATE t SET v = 'again' || id; UPDATE u SET v = 'resumed' || id`);
    // each of u's COPYs on C takes a quarter of a second: ten transactions of 100 keys
    const unthrottle = await throttleInserts(world, c.url, 'u');
    const first = kick();
    await waitFor('two of u\'s transactions to commit', async () => Number((await openRun(world, 'rf'))?.resume?.committed ?? 0) >= 2, 60_000, 10);
    const killed = await kids.kill(first);
    expect(killed.signal, killed.stdout + killed.stderr).toBe('SIGKILL');
    expect(killed.stderr).toContain('Table public.t has');
    const interrupted = (await openRun(world, 'rf'))!;
    expect(interrupted.resume!.refreshed).toEqual([{ schema: 'public', name: 't' }]);
    await unthrottle();

    const second = await kick().exited;
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stderr).toMatch(new RegExp(`Resuming run ${interrupted.id}: ${interrupted.resume!.committed} of ${U_ROWS / BATCH} transactions were already committed`));
    expect(second.stderr).toContain('Copying public.t whole again, as the interrupted run did');
    expect(second.stderr).not.toContain('copying it whole');
    await convergedWith({ t: 'again', u: 'resumed' }, { t: T_ROWS - 10 + 1, u: U_ROWS });
  });

  it('with key partitions: the table copied whole is not counted, and the rest is cut as usual', async () => {
    const { a } = setup;
    const partitioned = batchConfig(world, BATCH, { refreshAbove: 0.5, partitionSize: 400 });
    await world.query(a.url, "UPDATE t SET v = 'parts' || id; UPDATE u SET v = 'parts' || id");
    const run = await setup.kids.spawn('--config', partitioned, '--log-level', 'normal', 'kick', 'rf', '0').exited;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stderr).toContain('Table public.t has 1991 changed keys (1991 change records)');
    expect(run.stderr).toContain(`Sync "rf" has ${U_ROWS} change records to read: capturing them in 3 key partitions of at most ~400`);
    await convergedWith({ t: 'parts', u: 'parts' }, { t: T_ROWS - 10 + 1, u: U_ROWS });
  });

  it('a run that copies every changed table whole captures no table, and still consumes their records', async () => {
    const { a, b, c } = setup;
    await world.query(a.url, 'ANALYZE u');
    const before = await targetNodes();
    await world.query(a.url, "UPDATE t SET v = 'every' || id; UPDATE u SET v = 'every' || id");
    const run = await kick().exited;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stderr).toContain('Table public.t has 1991 changed keys (1991 change records)');
    expect(run.stderr).toContain(`Table public.u has ${U_ROWS} changed keys (${U_ROWS} change records) on ${a.name} for about ${U_ROWS} rows`);
    const after = await targetNodes();
    for (const db of ['b', 'c'] as const) for (const table of ['t', 'u'] as const) expect(after[db][table], `${db}.${table}`).not.toBe(before[db][table]);
    await assertConverged([a.url, b.url, c.url], { t: 'id', u: 'id' });
    const next = await kick().exited;
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.stderr).toMatch(/Sync "rf" empty: 0 inserts, 0 deletes, 0 conflicts/);
  });

  it('a sync\'s own refreshabove: set and shown, 0 never whatever the config, empty back to the config\'s; bad values refused', async () => {
    const { a, b } = setup;
    const plain = batchConfig(world, BATCH);
    const kickWith = (file: string) => setup.kids.spawn('--config', file, '--log-level', 'normal', 'kick', 'rf', '0').exited;
    const bulk = (word: string) => world.query(a.url, `UPDATE t SET v = '${word}' || id`);
    const copiedWhole = (stderr: string) => stderr.includes(`Table public.t has 1991 changed keys (1991 change records) on ${a.name} for about ${T_ROWS} rows (refreshAbove`);

    // the sync's own, with a config that has none
    expect(await world.ok('update', 'sync', 'rf', 'refreshabove=0.9')).toBe('Set refreshabove to 0.9\n');
    expect(statusDetail(await world.ok('status', 'rf')).get('Refresh above')).toBe('0.9');
    await bulk('own');
    const own = await kickWith(plain);
    expect(own.code, own.stdout + own.stderr).toBe(0);
    expect(own.stderr).toContain('(refreshAbove 0.9): copying it whole');

    // 0: never for this sync, though the config says 0.5
    expect(await world.ok('update', 'sync', 'rf', 'refreshabove=0')).toBe('Set refreshabove to 0 (never)\n');
    expect(statusDetail(await world.ok('status', 'rf')).get('Refresh above')).toBe('Never');
    const before = await targetNodes();
    await bulk('never');
    const never = await kick().exited;
    expect(never.code, never.stdout + never.stderr).toBe(0);
    expect(copiedWhole(never.stderr)).toBe(false);
    expect(await targetNodes()).toEqual(before);

    // empty: the config's again (0.5 with kick(), none with the plain config)
    expect(await world.ok('update', 'sync', 'rf', 'refreshabove=')).toBe("Set refreshabove to the config's\n");
    expect(statusDetail(await world.ok('status', 'rf')).has('Refresh above')).toBe(false);
    await bulk('none');
    const none = await kickWith(plain);
    expect(none.code, none.stdout + none.stderr).toBe(0);
    expect(copiedWhole(none.stderr)).toBe(false);
    await bulk('config');
    const fromConfig = await kick().exited;
    expect(fromConfig.code, fromConfig.stdout + fromConfig.stderr).toBe(0);
    expect(fromConfig.stderr).toContain('(refreshAbove 0.5): copying it whole');
    await convergedWith({ t: 'config', u: 'every' }, { t: T_ROWS - 10 + 1, u: U_ROWS });

    // bad values: refused naming the setting and the value, nothing changed
    await world.ok('update', 'sync', 'rf', 'refreshabove=0.9');
    for (const bad of ['half', '-0.5', 'Infinity', ' 0.5', '0x10', '1e-400']) {
      const refused = await world.bucardo('update', 'sync', 'rf', `refreshabove=${bad}`);
      expect(refused.code, bad).toBe(1);
      expect(refused.stderr, bad).toContain(`refreshabove must be a number, above 0 (a fraction of a table's rows), 0 (never) or empty (the config's), not "${bad}" [INVALID_ARGUMENT]`);
    }
    expect(await world.sql("SELECT refresh_above FROM bucardo.sync WHERE name = 'rf'")).toEqual([{ refresh_above: 0.9 }]);
    await world.ok('update', 'sync', 'rf', 'refreshabove=');
    const added = await world.bucardo('add', 'sync', 'rf_bad', 'herd=rf_h', `dbs=${a.name}:source,${b.name}:target`, 'refreshabove=lots');
    expect(added.code).toBe(1);
    expect(added.stderr).toContain('not "lots" [INVALID_ARGUMENT]');
    expect(await world.sql("SELECT count(*)::int AS n FROM bucardo.sync WHERE name = 'rf_bad'")).toEqual([{ n: 0 }]);
  });
});

describe('refreshAbove with two sources', () => {
  const setup = threeDatabaseWorld(server, 'rf2');
  const { world } = setup;

  it('never copies whole: one source\'s rows are not the sync\'s', async () => {
    const { kids, a, b, c } = setup;
    await createTables(world, [a, b, c]);
    await world.query(a.url, 'VACUUM ANALYZE t');
    await world.api.addTables(['t', 'u'], { herd: 'rf2_h', db: a.name });
    await world.api.addDbGroup('rf2_g', [`${a.name}:source`, `${b.name}:source`, `${c.name}:target`]);
    await world.api.addSync('rf2', { herd: 'rf2_h', dbs: 'rf2_g', autokick: 'false' });
    const config = batchConfig(world, BATCH, { refreshAbove: 0.5 });
    const before = { b: await fileNodes(world, b), c: await fileNodes(world, c) };
    await world.query(a.url, "UPDATE t SET v = 'from A' || id");
    await world.query(b.url, "INSERT INTO t VALUES (7001, 'from B')");

    const run = await kids.spawn('--config', config, '--log-level', 'normal', 'kick', 'rf2', '0').exited;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stderr).not.toContain('copying it whole');
    expect({ b: await fileNodes(world, b), c: await fileNodes(world, c) }).toEqual(before);
    await assertConverged([a.url, b.url, c.url], { t: 'id', u: 'id' });
    expect(await world.query(c.url, "SELECT count(*)::int AS n, count(*) FILTER (WHERE v LIKE 'from A%')::int AS a FROM t")).toEqual([{ n: T_ROWS + 1, a: T_ROWS }]);
  });

  it('says so when the sync is given refreshabove= (update sync, add sync), and not for 0', async () => {
    const { a, b, c } = setup;
    const note = (sync: string) => `Note: sync "${sync}" has 2 sources: refreshabove applies to a sync with one source only, so its tables stay key by key\n`;
    expect(await world.ok('update', 'sync', 'rf2', 'refreshabove=0.5')).toBe(`Set refreshabove to 0.5\n${note('rf2')}`);
    expect(await world.ok('update', 'sync', 'rf2', 'refreshabove=0')).toBe('Set refreshabove to 0 (never)\n');
    expect(await world.ok('add', 'sync', 'rf2b', 'herd=rf2_h', `dbs=${a.name}:source,${b.name}:source,${c.name}:target`, 'autokick=false', 'refreshabove=0.5'))
      .toBe(`Added sync "rf2b"\n${note('rf2b')}`);
  });
});

describe('refreshAbove and writes committed around the capture', () => {
  const harness = new Harness(server, 'rfw');
  afterAll(() => harness.dispose());

  it('a write committed before the capture is in the copy; one committed after it is in the copy and comes again next run', async () => {
    let url = '';
    let armed = false;
    // a capture tap before the core's (its changes are in the capture) and one after it (they are not)
    const writer = definePlugin({
      name: 'writer-around-capture',
      apply(host) {
        host.hooks.capture.tapPromise({ name: 'before', stage: -10 }, async () => {
          if (armed) await withClient(url, (client) => client.query("UPDATE t SET v = 'before capture' WHERE id = 1; DELETE FROM t WHERE id = 2"));
        });
        host.hooks.capture.tapPromise({ name: 'after', stage: 10 }, async () => {
          if (!armed) return;
          armed = false;
          await withClient(url, (client) => client.query("UPDATE t SET v = 'after capture' WHERE id = 3; INSERT INTO t VALUES (1000, 'after capture')"));
        });
      },
    });
    const w = await harness.setup({
      tag: 'rfw', roles: { A: 'source', B: 'target' }, tables: ['t'], plugins: [writer], runSizes: { refreshAbove: 0.5, batchSize: 10 },
      schema: "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 200) AS i; ANALYZE t",
    });
    url = w.url.A!;
    const nodeOfB = async () => (await w.sql('B', "SELECT pg_relation_filenode('t')::text AS node"))[0]!.node;
    const before = await nodeOfB();
    await w.sql('A', "UPDATE t SET v = 'bulk' || id");
    armed = true;
    const first = await w.run();
    expectOutcome(first, 'good');
    expect(armed).toBe(false);
    expect(await nodeOfB()).not.toBe(before);
    // both writes are on B already: the copy read after the capture
    await assertConverged(w.urls as string[], { t: 'id' });
    expect(await w.sql('B', 'SELECT id, v FROM t WHERE id IN (1, 2, 3, 1000) ORDER BY id')).toEqual([
      { id: 1, v: 'before capture' }, { id: 3, v: 'after capture' }, { id: 1000, v: 'after capture' },
    ]);
    // the after-capture changes were not consumed: the next run carries them (key by key, two keys) again
    const second = await w.run();
    expectOutcome(second, 'good');
    expect(second.inserts).toBe(2);
    await assertConverged(w.urls as string[], { t: 'id' });
    expectOutcome(await w.run(), 'empty');
  });
});
