/**
 * A run stopped halfway (a kick's timeout, a daemon giving its sync up) rolls back only the transaction it
 * is in. Its error says what it had committed and is kept on the receivers (transactions, tables copied
 * whole, an initial copy's committed batches), or that nothing was. The next run goes on from there, as
 * after a run that failed or was killed: it skips the committed transactions (a run that fails again
 * before its first commit passes the point on), and converges. No point is left or taken once the
 * checkpoints moved: after a later phase fails, after the sync is removed and added again, or after its
 * checkpoints are moved by hand.
 * In process, stopped through `runSync`'s signal at a chosen point: an apply tap counts the table
 * batches, or the control database's record of an initial copy's progress is watched.
 */
import os from 'node:os';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { definePlugin } from '@bucardo/plugin-sdk';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { bucardoEnv, runBucardo } from '../src/helpers/cli.js';
import { assertConverged, withClient } from '../src/helpers/databases.js';
import { statusDetail } from './support/daemon-world.js';
import { Harness, expectOutcome, type SyncWorld } from './support/sync-harness.js';

const server = serverFromInfo(inject('pg'));
const ROWS = 500;
const BATCH = 100;
const SCHEMA = `CREATE TABLE t (id int PRIMARY KEY, v text); CREATE TABLE u (id int PRIMARY KEY, v text);
  INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, ${ROWS}) AS i; INSERT INTO u SELECT i, 'v' || i FROM generate_series(1, ${ROWS}) AS i; ANALYZE t, u`;

/**
 * Stops the run it is given (`arm`), or makes it fail (`failAt`), when the apply hook is about to write its
 * n-th table batch.
 */
function stopper() {
  let controller = new AbortController();
  let stopAt = Infinity;
  let failAt = Infinity;
  let applied = 0;
  const plugin = definePlugin({
    name: 'stop-at-batch',
    apply(host) {
      host.hooks.apply.tapPromise({ name: 'stop-at-batch', stage: -10 }, async (outcome) => {
        applied++;
        if (applied === stopAt) controller.abort(new Error('stopped by the test'));
        if (applied === failAt) throw new Error('the archive is full');
        return outcome;
      });
    },
  });
  const reset = () => {
    controller = new AbortController();
    stopAt = failAt = Infinity;
    applied = 0;
  };
  const arm = (at: number) => {
    reset();
    stopAt = at;
    return controller.signal;
  };
  const failOn = (at: number) => {
    reset();
    failAt = at;
  };
  return { plugin, arm, failOn, reset };
}

/** `bucardo status SYNC`, run as a process, as label → value. */
async function statusOf(sync: string): Promise<Map<string, string>> {
  const result = await runBucardo(['status', sync], { env: bucardoEnv(server, harness.control), cwd: os.tmpdir() });
  expect(result.code, result.stdout + result.stderr).toBe(0);
  return statusDetail(result.stdout);
}

/** The resume point a run left in the control database. */
async function resumeOf(runId: string): Promise<unknown> {
  return withClient(server.url(harness.control), async (control) => (await control.query('SELECT resume FROM bucardo.syncrun WHERE id = $1', [runId])).rows[0]!.resume);
}

async function count(world: SyncWorld, db: string, sql: string): Promise<number> {
  return Number((await world.sql(db, sql))[0]!.n);
}

const harness = new Harness(server, 'stop');

describe('a run stopped halfway', () => {
  afterAll(() => harness.dispose());
  const stop = stopper();
  /** A source A and a target B over t, every row of t updated on A: five transactions of a hundred keys. */
  const bulkChanged = async (tag: string, word: string) => {
    const w = await harness.setup({ tag, roles: { A: 'source', B: 'target' }, schema: SCHEMA, tables: ['t'], plugins: [stop.plugin], runSizes: { batchSize: BATCH } });
    await w.sql('A', `UPDATE t SET v = '${word}' || id`);
    return w;
  };
  /** The same, and a run that failed (a plugin's apply tap threw) after committing two of the five. */
  const failedAfterTwo = async (tag: string, word: string) => {
    const w = await bulkChanged(tag, word);
    stop.failOn(3);
    const failed = await w.run();
    expectOutcome(failed, 'bad');
    expect(failed.error).toMatchObject({ code: 'PLUGIN_ERROR', plugin: 'stop-at-batch' });
    stop.reset();
    return { w, failed };
  };

  it('after two of its five transactions: says they are kept, and they are; the next run converges', async () => {
    const w = await bulkChanged('stp', 'new');
    const report = await w.bucardo.runSync(w.sync, { signal: stop.arm(3) });
    expectOutcome(report, 'bad');
    expect(report.error).toMatchObject({
      code: 'RUN_ABORTED', sync: w.sync,
      message: 'The run was stopped before it finished (stopped by the test); what it had committed is kept (2 transactions committed on every database), and the next run does the rest',
    });
    expect(await count(w, 'B', "SELECT count(*) AS n FROM t WHERE v LIKE 'new%'")).toBe(2 * BATCH);
    // the next run goes on from there: the three transactions left, not the two committed
    stop.reset();
    const next = await w.run();
    expectOutcome(next, 'good');
    expect({ inserts: next.inserts, deletes: next.deletes }).toEqual({ inserts: 3 * BATCH, deletes: 3 * BATCH });
    await assertConverged(w.urls as string[], { t: 'id' });
    expect(await count(w, 'B', "SELECT count(*) AS n FROM t WHERE v LIKE 'new%'")).toBe(ROWS);
    expectOutcome(await w.run(), 'empty');
  });

  it('failing after two of five transactions, then before its first commit, then before it connects: the run after still goes on from the two', async () => {
    const { w, failed } = await failedAfterTwo('stf', 'new');
    expect((await statusOf(w.sync)).get('Next run resumes')).toBe(`run ${failed.runId}, after 2 committed transactions, if its batchSize is still ${BATCH}`);
    // a write after the failure waits for the run after the one that resumes: that one reads what the failed run read
    await w.sql('A', "UPDATE t SET v = 'later' WHERE id = 1");
    stop.failOn(1);
    expectOutcome(await w.run(), 'bad');
    // and a run that cannot even connect to the target
    stop.reset();
    await w.sql('A', `ALTER DATABASE ${w.dbname.B} RENAME TO ${w.dbname.B}_away`);
    const unreachable = await w.run();
    expect(unreachable.error).toMatchObject({ code: 'CONNECTION_FAILED', db: w.registered.B });
    await w.sql('A', `ALTER DATABASE ${w.dbname.B}_away RENAME TO ${w.dbname.B}`);
    expect(await count(w, 'B', "SELECT count(*) AS n FROM t WHERE v LIKE 'new%'")).toBe(2 * BATCH);
    // the point was handed on by the two runs that failed before committing anything; it names the run that committed
    expect((await statusOf(w.sync)).get('Next run resumes')).toBe(`run ${failed.runId}, after 2 committed transactions, if its batchSize is still ${BATCH}`);
    const resumed = await w.run();
    expectOutcome(resumed, 'good');
    expect(resumed.inserts).toBe(3 * BATCH);
    // its checkpoints moved: nothing of it is left to resume
    expect(await resumeOf(resumed.runId)).toBeNull();
    expect((await statusOf(w.sync)).has('Next run resumes')).toBe(false);
    expect(await count(w, 'B', "SELECT count(*) AS n FROM t WHERE v LIKE 'new%'")).toBe(ROWS);
    const after = await w.run();
    expectOutcome(after, 'good');
    expect(after.inserts).toBe(1);
    await assertConverged(w.urls as string[], { t: 'id' });
    expectOutcome(await w.run(), 'empty');
  });

  it('removed and added again under the same name after such a failure: the new sync starts afresh', async () => {
    const { w } = await failedAfterTwo('str', 'old');
    await w.bucardo.removeSync(w.sync);
    await w.bucardo.addSync(w.sync, { herd: 'str_h', dbs: 'str_g', autokick: 'false' });
    // no history of the sync removed before it: no runs, no resume point, no error
    const fresh = await statusOf(w.sync);
    expect(fresh.get('Current state')).toBe('No records found');
    expect([...fresh.keys()].filter((label) => /^(Last|Next run|Interrupted)/.test(label))).toEqual(['Last error']);
    expect(fresh.get('Last error')).toBe('');
    // the new sync reads from when it was added: the old sync's changes are not its own, these are, all five transactions of them
    await w.sql('A', "UPDATE t SET v = 'new' || id");
    const first = await w.run();
    expectOutcome(first, 'good');
    expect(first.inserts).toBe(ROWS);
    await assertConverged(w.urls as string[], { t: 'id' });
  });

  it('a failed run\'s point is not taken once the sync\'s checkpoints were moved by hand', async () => {
    const { w, failed } = await failedAfterTwo('stc', 'skipped');
    // an operator skips the backlog: A's checkpoint set to now
    const now = (await w.sql('A', 'SELECT pg_current_snapshot()::text AS now'))[0]!.now;
    await withClient(server.url(harness.control), (control) => control.query('UPDATE bucardo.checkpoint SET position = $2 WHERE sync = $1', [w.sync, now]));
    await w.sql('A', "UPDATE t SET v = 'after' WHERE id <= 3");
    expect((await statusOf(w.sync)).get('Next run starts afresh')).toBe(`not from run ${failed.runId}: the sync's checkpoints moved since`);
    const next = await w.run();
    expectOutcome(next, 'good');
    // only the three keys written after the skip (among the two committed transactions' keys): nothing of
    // the failed run's plan was taken over
    expect(next.inserts).toBe(3);
    expect(await count(w, 'B', "SELECT count(*) AS n FROM t WHERE v LIKE 'skipped%'")).toBe(2 * BATCH - 3);
    expect(await count(w, 'B', "SELECT count(*) AS n FROM t WHERE v = 'after'")).toBe(3);
  });

  it('a failed run\'s point is not taken by a run with another batchSize: status says on which condition it resumes, the run says why it does not', async () => {
    const { w, failed } = await failedAfterTwo('stb', 'new');
    expect((await statusOf(w.sync)).get('Next run resumes')).toBe(`run ${failed.runId}, after 2 committed transactions, if its batchSize is still ${BATCH}`);
    // a `bucardo kick` without a config: the default batchSize (100000), one transaction for all five hundred keys
    const kick = await runBucardo(['--log-level', 'normal', 'kick', w.sync, '0'], { env: bucardoEnv(server, harness.control), cwd: os.tmpdir() });
    expect(kick.code, kick.stdout + kick.stderr).toBe(0);
    expect(kick.stderr).toContain(`Not resuming run ${failed.runId}: batchSize changed (then ${BATCH}; now 100000); this run plans afresh from the sync's checkpoints`);
    expect(kick.stderr).not.toContain('Resuming run');
    const [next] = await withClient(server.url(harness.control), async (control) =>
      (await control.query("SELECT outcome, inserts::int FROM bucardo.syncrun WHERE sync = $1 ORDER BY id DESC LIMIT 1", [w.sync])).rows);
    expect(next).toEqual({ outcome: 'good', inserts: ROWS });
    expect(await count(w, 'B', "SELECT count(*) AS n FROM t WHERE v LIKE 'new%'")).toBe(ROWS);
    await assertConverged(w.urls as string[], { t: 'id' });
    expect([...(await statusOf(w.sync)).keys()].filter((label) => label.startsWith('Next run'))).toEqual([]);
  });

  it('a failed run\'s point is not taken once a table joined the sync: status says the next run starts afresh, and why', async () => {
    const { w, failed } = await failedAfterTwo('stt', 'new');
    await w.bucardo.addTables(['u'], { db: w.registered.A });
    expect(await w.bucardo.addTablesToSync(w.sync, ['u'])).toEqual([{ schema: 'public', name: 'u' }]);
    const status = await statusOf(w.sync);
    expect(status.has('Next run resumes')).toBe(false);
    expect(status.get('Next run starts afresh')).toBe(`not from run ${failed.runId}: the sync's tables changed (then public.t; now public.t, public.u)`);
    await w.sql('A', "UPDATE u SET v = 'new' || id WHERE id <= 10");
    const next = await w.run();
    expectOutcome(next, 'good');
    // all five transactions of t, the two committed ones again, and u's ten keys
    expect(next.inserts).toBe(ROWS + 10);
    expect(await count(w, 'B', "SELECT count(*) AS n FROM t WHERE v LIKE 'new%'")).toBe(ROWS);
    await assertConverged(w.urls as string[], { t: 'id', u: 'id' });
    expect([...(await statusOf(w.sync)).keys()].filter((label) => label.startsWith('Next run'))).toEqual([]);
  });

  it('failing after its checkpoints moved (a target refuses to set a sequence): nothing is left to resume', async () => {
    const w = await bulkChanged('sts', 'new');
    for (const db of ['A', 'B']) await w.sql(db, 'CREATE SEQUENCE s');
    await w.sql('A', "SELECT nextval('s') FROM generate_series(1, 5)");
    await w.bucardo.addSequences(['s'], { herd: 'sts_h', db: w.registered.A });
    await w.sql('B', `CREATE FUNCTION refuse() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no sequence changes here'; END $$;
      CREATE EVENT TRIGGER refuse ON ddl_command_start WHEN TAG IN ('ALTER SEQUENCE') EXECUTE FUNCTION refuse()`);
    const failed = await w.run();
    expectOutcome(failed, 'bad');
    expect(failed.error!.message).toContain('no sequence changes here');
    // its five transactions were committed and its checkpoints moved before the sequences: no point is left
    expect(await count(w, 'B', "SELECT count(*) AS n FROM t WHERE v LIKE 'new%'")).toBe(ROWS);
    expect(await resumeOf(failed.runId)).toBeNull();
    expect((await statusOf(w.sync)).has('Next run resumes')).toBe(false);
    await w.sql('B', 'DROP EVENT TRIGGER refuse');
    const next = await w.run();
    expect({ outcome: next.outcome, inserts: next.inserts }).toEqual({ outcome: 'empty', inserts: 0 });
    expect(await w.sql('B', 'SELECT last_value::int AS v FROM s')).toEqual([{ v: 5 }]);
  });

  it('before its first commit: says nothing was kept, and nothing is', async () => {
    const w = await bulkChanged('stn', 'new');
    const report = await w.bucardo.runSync(w.sync, { signal: stop.arm(1) });
    expectOutcome(report, 'bad');
    expect(report.error).toMatchObject({ code: 'RUN_ABORTED', message: 'The run was stopped before it finished (stopped by the test); nothing it did was kept' });
    expect(await count(w, 'B', "SELECT count(*) AS n FROM t WHERE v LIKE 'new%'")).toBe(0);
    expectOutcome(await w.run(), 'good');
    await assertConverged(w.urls as string[], { t: 'id' });
  });

  it('after a table copied whole (refreshAbove) and one transaction of another: names both', async () => {
    const w = await harness.setup({
      tag: 'stw', roles: { A: 'source', B: 'target', C: 'target' }, schema: SCHEMA, tables: ['t', 'u'], plugins: [stop.plugin], runSizes: { batchSize: BATCH, refreshAbove: 0.5 },
    });
    // t: every row changed, copied whole; u: a tenth of its rows at a time stays key by key, in two transactions
    await w.sql('A', `UPDATE t SET v = 'whole' || id; UPDATE u SET v = 'keyed' || id WHERE id <= ${2 * BATCH}`);
    const report = await w.bucardo.runSync(w.sync, { signal: stop.arm(2) });
    expectOutcome(report, 'bad');
    expect(report.error!.message).toBe(
      `The run was stopped before it finished (stopped by the test); what it had committed is kept (1 transaction committed on every database; public.t copied whole to ${w.registered.B}, ${w.registered.C}), and the next run does the rest`,
    );
    for (const db of ['B', 'C']) {
      expect(await count(w, db, "SELECT count(*) AS n FROM t WHERE v LIKE 'whole%'"), db).toBe(ROWS);
      expect(await count(w, db, "SELECT count(*) AS n FROM u WHERE v LIKE 'keyed%'"), db).toBe(BATCH);
    }
    // the next run keeps the layout: t copied whole again, then u's second transaction only
    stop.reset();
    const next = await w.run();
    expectOutcome(next, 'good');
    expect(next.tables.map(({ table, inserts }) => ({ table, inserts })).sort((x, y) => x.table.localeCompare(y.table)))
      .toEqual([{ table: 'public.t', inserts: ROWS }, { table: 'public.u', inserts: BATCH }]);
    await assertConverged(w.urls as string[], { t: 'id', u: 'id' });
  });

  it('in the middle of an initial copy: names the rows of it committed so far', async () => {
    const w = await harness.setup({ tag: 'sti', roles: { A: 'source', B: 'target' }, schema: SCHEMA, tables: ['t'], runSizes: { batchSize: BATCH } });
    await w.sql('B', 'TRUNCATE t');
    await w.bucardo.updateSync(w.sync, { onetimecopy: '1' });
    // each COPY into B takes a quarter of a second, so the run is still copying when it is stopped
    await w.sql('B', `CREATE FUNCTION throttle() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.25); RETURN NULL; END $$;
      CREATE TRIGGER throttle AFTER INSERT ON t FOR EACH STATEMENT EXECUTE FUNCTION throttle()`);
    const controller = new AbortController();
    const running = w.bucardo.runSync(w.sync, { signal: controller.signal });
    await withClient(server.url(harness.control), async (control) => {
      for (;;) {
        const progress = await control.query<{ rows: string }>('SELECT rows FROM bucardo.copy_progress WHERE sync = $1', [w.sync]);
        if (Number(progress.rows[0]?.rows ?? 0) >= 2 * BATCH) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    });
    controller.abort(new Error('stopped by the test'));
    const report = await running;
    expectOutcome(report, 'bad');
    const copied = await count(w, 'B', 'SELECT count(*) AS n FROM t');
    expect(copied % BATCH).toBe(0);
    expect(copied).toBeGreaterThanOrEqual(2 * BATCH);
    expect(copied).toBeLessThan(ROWS);
    expect(report.error!.message).toBe(
      `The run was stopped before it finished (stopped by the test); what it had committed is kept (public.t copied in part (${copied} rows) to ${w.registered.B}), and the next run does the rest`,
    );
    await w.sql('B', 'DROP TRIGGER throttle ON t');
    // the copy goes on after its last committed batch
    const next = await w.run();
    expectOutcome(next, 'good');
    expect(next.inserts).toBe(ROWS - copied);
    await assertConverged(w.urls as string[], { t: 'id' });
  });
});
