/**
 * Serialization failures and deadlocks on a target, through the public API: the run's transaction is
 * rolled back on every database and tried again with backoff, the retries are counted in the report and
 * in bucardo.syncrun, and the run ends good with every database identical. Past the retry limit the run
 * fails with nothing applied anywhere, and the next run delivers everything.
 *
 * Injected failures: a statement trigger on the target raises SQLSTATE 40001 or 40P01 for the attempts a
 * plan table names, counting attempts with a sequence (nextval is not rolled back with the transaction).
 * A real deadlock: a user's transaction on the target holds a row the run needs and then asks for one the
 * run holds. And a deferred constraint trigger that fails on one database: it is checked before any
 * database commits, so the run is bad with nothing committed anywhere, and the next run applies it.
 */
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Bucardo } from '@bucardo/core';
import { standardPlugins } from '@bucardo/cli';
import { definePlugin, type Logger } from '@bucardo/plugin-sdk';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { assertConverged, withClient } from '../src/helpers/databases.js';
import { databaseObjects } from './support/control-state.js';
import { Harness, expectEverywhere, expectOutcome, tableText, type Role, type SyncWorld } from './support/sync-harness.js';
import { controlOn } from '../src/helpers/connection-specs.js';

const harness = new Harness(serverFromInfo(inject('pg')), 'retry');
afterAll(() => harness.dispose());

const ROLES: Record<string, Role> = { A: 'source', B: 'source', D: 'target' };

/** The conflicts the audit holds for one run, as `table key winner` (logical winner name). */
async function auditOf(w: SyncWorld, runId: string): Promise<string[]> {
  const logical = new Map(Object.entries(w.registered).map(([name, registered]) => [registered, name]));
  return (await w.bucardo.listConflicts({ sync: w.sync, limit: 1000 }))
    .filter((row) => row.runId === runId)
    .map((row) => `${row.table} ${row.key} ${row.winner === null ? 'none' : logical.get(row.winner)}`)
    .sort();
}
const SCHEMA = `CREATE TABLE t (id int PRIMARY KEY, v text); CREATE TABLE u (id int PRIMARY KEY, v text);
  INSERT INTO t SELECT i, 'seed' FROM generate_series(1, 5) i; INSERT INTO u SELECT i, 'seed' FROM generate_series(1, 5) i;`;

/** On D only: attempt n of inserting into t raises the SQLSTATE that fault_plan gives for n, if any. */
const FAULTS = `
  CREATE SEQUENCE fault_attempt;
  CREATE TABLE fault_plan (attempt int PRIMARY KEY, sqlstate text NOT NULL);
  CREATE FUNCTION fault() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    n bigint := nextval('fault_attempt');
    code text := (SELECT sqlstate FROM fault_plan WHERE attempt = n);
  BEGIN
    IF code IS NOT NULL THEN
      RAISE EXCEPTION 'injected failure % on attempt %', code, n USING ERRCODE = code;
    END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER fault BEFORE INSERT ON t FOR EACH STATEMENT EXECUTE FUNCTION fault();`;

describe('serialization failures and deadlocks on a target', () => {
  it('are retried with backoff and counted, and the run ends good; past the limit the run fails and the next one delivers', async () => {
    const w = await harness.setup({ tag: 'sf', roles: ROLES, schema: SCHEMA, tables: ['t', 'u'] });
    await w.sql('D', FAULTS);
    const attempts = async (): Promise<number> => Number((await w.sql('D', 'SELECT last_value, is_called FROM fault_attempt'))[0]!.last_value);

    // attempts 1 and 3 fail with a serialization failure, attempt 2 with a deadlock; attempt 4 succeeds
    await w.sql('D', "INSERT INTO fault_plan VALUES (1, '40001'), (2, '40P01'), (3, '40001')");
    // and a conflict on t 3 that B wins: its audit record is written while each attempt applies
    await w.sql('A', "INSERT INTO t VALUES (10, 'A'); UPDATE u SET v = 'A' WHERE id = 1; UPDATE t SET v = 'A' WHERE id = 3");
    await w.sql('B', "UPDATE t SET v = 'B' WHERE id = 2; DELETE FROM u WHERE id = 5; UPDATE t SET v = 'B' WHERE id = 3");
    const started = Date.now();
    const report = await w.run();
    expectOutcome(report, 'good');
    expect(report.retries).toBe(3);
    expect(await attempts()).toBe(4);
    // backoff 50 + 100 + 200 ms between the attempts
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    // the counts are those of the attempt that committed, not the sum of all attempts
    // D received t 10, 2 and 3 and u 1, and lost t 2 and 3, u 1 and u 5 (rewritten or deleted)
    expect(report.databases.get(w.registered.D!)).toEqual({ inserted: 4, deleted: 4 });
    // the conflict is recorded once, by the attempt that committed; the three rolled back recorded nothing
    expect(await auditOf(w, report.runId)).toEqual(['public.t 3 B']);
    const [run] = await withClient(harness.server.url(harness.control), async (c) =>
      (await c.query('SELECT outcome, retries, inserts::int FROM bucardo.syncrun WHERE id = $1', [report.runId])).rows);
    expect(run).toEqual({ outcome: 'good', retries: 3, inserts: report.inserts });
    await expectEverywhere(w, 't', 'id', ['(1,seed)', '(2,B)', '(3,B)', '(4,seed)', '(5,seed)', '(10,A)']);
    await expectEverywhere(w, 'u', 'id', ['(1,A)', '(2,seed)', '(3,seed)', '(4,seed)']);

    // six failures in a row: the first attempt and five retries; the run fails and nothing is applied
    await w.sql('D', "INSERT INTO fault_plan SELECT g, '40001' FROM generate_series(5, 10) g");
    await w.sql('A', "INSERT INTO t VALUES (11, 'A'); UPDATE u SET v = 'A' WHERE id = 3");
    await w.sql('B', "UPDATE u SET v = 'B' WHERE id = 2; UPDATE u SET v = 'B' WHERE id = 3");
    // every row of every table on every database (readable for t and u; fingerprinted for every user table),
    // and the sync's checkpoints: the failed run must leave all of it as it was
    const contents = async () => Object.fromEntries(await Promise.all(w.names.map(async (db) => [db, {
      t: await tableText(w.url[db]!, 't', 'id'), u: await tableText(w.url[db]!, 'u', 'id'), objects: await databaseObjects(w.url[db]!),
    }] as const)));
    const checkpoints = async () => withClient(harness.server.url(harness.control), async (c) =>
      (await c.query('SELECT db, position, updated FROM bucardo.checkpoint WHERE sync = $1 ORDER BY db', [w.sync])).rows);
    const contentsBefore = await contents();
    const checkpointsBefore = await checkpoints();
    expect(checkpointsBefore, 'the sync has checkpoints to keep').not.toEqual([]);
    const failed = await w.run();
    expectOutcome(failed, 'bad');
    expect(failed.retries).toBe(5);
    expect(await contents(), 'every table on every database after the failed run').toEqual(contentsBefore);
    expect(await checkpoints(), 'the checkpoints after the failed run').toEqual(checkpointsBefore);
    const [failedRun] = await withClient(harness.server.url(harness.control), async (c) =>
      (await c.query("SELECT outcome, retries, error->>'sqlstate' AS sqlstate FROM bucardo.syncrun WHERE id = $1", [failed.runId])).rows);
    expect(failedRun).toEqual({ outcome: 'bad', retries: 5, sqlstate: '40001' });
    expect(failed.error).toMatchObject({ sqlstate: '40001', db: w.registered.D });
    expect(failed.error?.message).toContain('injected failure 40001 on attempt 10');
    expect(await tableText(w.url.D!, 't', 'id')).not.toContain('(11,A)');
    expect(await tableText(w.url.B!, 't', 'id')).not.toContain('(11,A)');
    expect(await tableText(w.url.A!, 'u', 'id')).toContain('(2,seed)');
    expect(await auditOf(w, failed.runId), 'the audit of the failed run').toEqual([]);

    const healed = await w.run();
    expectOutcome(healed, 'good');
    expect(healed.retries).toBe(0);
    expect(await auditOf(w, healed.runId)).toEqual(['public.u 3 B']);
    await expectEverywhere(w, 't', 'id', ['(1,seed)', '(2,B)', '(3,B)', '(4,seed)', '(5,seed)', '(10,A)', '(11,A)']);
    await expectEverywhere(w, 'u', 'id', ['(1,A)', '(2,B)', '(3,B)', '(4,seed)']);
    expectOutcome(await w.run(), 'empty');
  });

  it('a deferred constraint that fails on one database: nothing is committed anywhere, and the next run converges', async () => {
    const w = await harness.setup({ tag: 'cf', roles: ROLES, schema: SCHEMA, tables: ['t', 'u'] });
    // a deferred constraint trigger on D fails, once: checked before any database commits
    await w.sql('D', `
      CREATE SEQUENCE commit_attempt;
      CREATE FUNCTION fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('commit_attempt') = 1 THEN RAISE EXCEPTION 'injected failure at commit'; END IF;
        RETURN NULL;
      END $$;
      CREATE CONSTRAINT TRIGGER fail_commit AFTER INSERT ON u DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_commit();`);
    await w.sql('A', "INSERT INTO t VALUES (10, 'A'); UPDATE u SET v = 'A' WHERE id = 1; UPDATE t SET v = 'A' WHERE id = 3");
    await w.sql('B', "UPDATE t SET v = 'B' WHERE id = 2; INSERT INTO u VALUES (20, 'B'); UPDATE t SET v = 'B' WHERE id = 3");
    const failed = await w.run();
    expectOutcome(failed, 'bad');
    expect(failed.error?.message).toContain('injected failure at commit');
    expect(await tableText(w.url.D!, 'u', 'id')).toEqual(['(1,seed)', '(2,seed)', '(3,seed)', '(4,seed)', '(5,seed)']);
    // A and B did not commit the run's writes either: B's new row is still only on B
    expect(await tableText(w.url.A!, 'u', 'id')).toEqual(['(1,A)', '(2,seed)', '(3,seed)', '(4,seed)', '(5,seed)']);
    // the audit commits only after every database did: the failed run recorded nothing, the replay records it
    expect(await auditOf(w, failed.runId), 'the audit of the failed run').toEqual([]);

    const healed = await w.run();
    expectOutcome(healed, 'good');
    expect(await auditOf(w, healed.runId)).toEqual(['public.t 3 B']);
    await expectEverywhere(w, 't', 'id', ['(1,seed)', '(2,B)', '(3,B)', '(4,seed)', '(5,seed)', '(10,A)']);
    await expectEverywhere(w, 'u', 'id', ['(1,A)', '(2,seed)', '(3,seed)', '(4,seed)', '(5,seed)', '(20,B)']);
    expectOutcome(await w.run(), 'empty');
  });

  it('a real deadlock with a user transaction on the target: the run is the victim, retries, and ends good', async (ctx) => {
    const w = await harness.setup({ tag: 'dl', roles: ROLES, schema: SCHEMA, tables: ['t', 'u'] });
    const user = new pg.Client({ connectionString: w.url.D });
    await user.connect();
    try {
      await user.query('BEGIN');
      try {
        // the run's session detects the deadlock first (after the default 1 s), so the run is the victim
        await user.query("SET LOCAL deadlock_timeout = '20s'");
      } catch {
        await user.query('ROLLBACK');
        ctx.skip(); // deadlock_timeout can only be set by a superuser
      }
      await user.query("UPDATE u SET v = 'user' WHERE id = 1"); // the run will need this row …
      await w.sql('A', "UPDATE t SET v = 'A' WHERE id = 1; UPDATE u SET v = 'A' WHERE id = 1");
      const running = w.run();
      // … after it has deleted t 1 on D: wait until it waits for u 1
      for (let i = 0; ; i++) {
        const waiting = await withClient(harness.server.url(), (c) => c.query(
          "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND wait_event_type = 'Lock'", [w.dbname.D, `bucardo ${w.sync}`]));
        if ((waiting.rowCount ?? 0) > 0) break;
        if (i > 500) throw new Error('the run never waited for the user\'s lock');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // now the user asks for the row the run holds: a deadlock, which the run's session detects
      await user.query("UPDATE t SET v = 'user' WHERE id = 1");
      await user.query('COMMIT');
      const report = await running;
      expectOutcome(report, 'good');
      expect(report.retries).toBe(1);
    } finally {
      await user.end();
    }
    // D is a target: the sources' version is written over the user's
    await expectEverywhere(w, 't', 'id', ['(1,A)', '(2,seed)', '(3,seed)', '(4,seed)', '(5,seed)']);
    await expectEverywhere(w, 'u', 'id', ['(1,A)', '(2,seed)', '(3,seed)', '(4,seed)', '(5,seed)']);
    await assertConverged(w.urls as string[], { t: 'id', u: 'id' });
  });
});

describe('a deadlock whose cycle the run closes', () => {
  /**
   * The first `times` attempts of a run: after the run wrote t on D, and before it writes u there, a new
   * application transaction holding u 1 asks for t 1 and waits. Each such transaction commits as soon as
   * its UPDATE of t 1 is through; `updates` holds what each UPDATE gave (its result, or its error).
   */
  function userWaitsFirst(times: number) {
    const state = { url: '', dbname: '', updates: [] as Array<Promise<unknown>>, arm: (more: number) => { left += more; } };
    let left = times;
    const plugin = definePlugin({
      name: 'user-waits-first',
      apply(host) {
        host.hooks.apply.tapPromise({ name: 'user-waits-first', stage: 10 }, async (outcome, args) => {
          if (left === 0 || args.batch.shape.table.name !== 't') return outcome;
          left--;
          const user = new pg.Client({ connectionString: state.url });
          await user.connect();
          const pid = (await user.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
          await user.query("BEGIN; UPDATE u SET v = 'user' WHERE id = 1"); // the run will need this row after t
          state.updates.push(user.query("UPDATE t SET v = 'user' WHERE id = 1").then(
            async (result) => { await user.query('COMMIT'); return result; },
            async (error: unknown) => { await user.query('ROLLBACK'); return error; },
          ).finally(() => user.end()));
          for (let i = 0; ; i++) {
            const waiting = await withClient(harness.server.url(), (c) => c.query(
              "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND pid = $2 AND wait_event_type = 'Lock'", [state.dbname, pid]));
            if ((waiting.rowCount ?? 0) > 0) break;
            if (i > 500) throw new Error('the user never waited for the run\'s lock');
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          return outcome;
        });
      },
    });
    return { plugin, state };
  }

  async function superuser(w: SyncWorld): Promise<boolean> {
    const [role] = await w.sql('D', 'SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user');
    return role?.su === true;
  }

  it('an application transaction waiting on a row the run holds, holding one the run needs next: the run is the victim, not the application', async (ctx) => {
    const { plugin, state } = userWaitsFirst(1);
    const w = await harness.setup({ tag: 'dv', roles: ROLES, schema: SCHEMA, tables: ['t', 'u'], plugins: [plugin] });
    if (!(await superuser(w))) ctx.skip(); // the sync's sessions may set deadlock_timeout only as a superuser
    Object.assign(state, { url: w.url.D, dbname: w.dbname.D });
    await w.sql('A', "UPDATE t SET v = 'A' WHERE id = 1; UPDATE u SET v = 'A' WHERE id = 1");
    const report = await w.run();
    // the application's transaction went on: its UPDATE waited for the run's rollback, and committed
    expect(await Promise.all(state.updates)).toMatchObject([{ rowCount: 1 }]);
    expectOutcome(report, 'good');
    expect(report.retries).toBe(1);
    // D is a target: the sources' version is written over the user's, which committed first
    await expectEverywhere(w, 't', 'id', ['(1,A)', '(2,seed)', '(3,seed)', '(4,seed)', '(5,seed)']);
    await expectEverywhere(w, 'u', 'id', ['(1,A)', '(2,seed)', '(3,seed)', '(4,seed)', '(5,seed)']);
  });

  it('after giving way in two deadlocks in a row, the run holds on: the third costs the application its transaction, and the run gets through', async (ctx) => {
    const { plugin, state } = userWaitsFirst(3);
    const w = await harness.setup({ tag: 'dh', roles: ROLES, schema: SCHEMA, tables: ['t', 'u'], plugins: [plugin] });
    if (!(await superuser(w))) ctx.skip();
    Object.assign(state, { url: w.url.D, dbname: w.dbname.D });
    await w.sql('A', "UPDATE t SET v = 'A' WHERE id = 1; UPDATE u SET v = 'A' WHERE id = 1");
    const report = await w.run();
    const [first, second, third] = await Promise.all(state.updates);
    expect([first, second]).toMatchObject([{ rowCount: 1 }, { rowCount: 1 }]);
    expect(third).toMatchObject({ code: '40P01' });
    expectOutcome(report, 'good');
    expect(report.retries).toBe(2);
    await expectEverywhere(w, 't', 'id', ['(1,A)', '(2,seed)', '(3,seed)', '(4,seed)', '(5,seed)']);
    await expectEverywhere(w, 'u', 'id', ['(1,A)', '(2,seed)', '(3,seed)', '(4,seed)', '(5,seed)']);
    // a commit ends the streak: the next run gives way again
    state.arm(1);
    await w.sql('A', "UPDATE t SET v = 'A2' WHERE id = 1; UPDATE u SET v = 'A2' WHERE id = 1");
    const next = await w.run();
    expect(await state.updates[3]).toMatchObject({ rowCount: 1 });
    expectOutcome(next, 'good');
    expect(next.retries).toBe(1);
    await expectEverywhere(w, 't', 'id', ['(1,A2)', '(2,seed)', '(3,seed)', '(4,seed)', '(5,seed)']);
  });
});

describe('the conflict audit', () => {
  it('its kept control connection dropped by the server between runs: the next run opens another and still records its conflicts', async () => {
    const w = await harness.setup({ tag: 'ac', roles: ROLES, schema: SCHEMA, tables: ['t', 'u'] });
    const auditSessions = () => withClient(harness.server.url(harness.control), async (c) =>
      (await c.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE '% audit'", [harness.control])).rows.map((row) => row.pid));
    /** A conflict on t `id` that B wins, a run, and its audit: exactly that conflict. */
    const runWithConflictOn = async (id: number) => {
      await w.sql('A', `UPDATE t SET v = 'A' WHERE id = ${id}`);
      await w.sql('B', `UPDATE t SET v = 'B' WHERE id = ${id}`);
      const report = await w.run();
      expectOutcome(report, 'good');
      expect(await auditOf(w, report.runId), `the audit of the run with a conflict on ${id}`).toEqual([`public.t ${id} B`]);
    };
    await runWithConflictOn(1);
    // kept for the next run, idle
    const kept = await auditSessions();
    expect(kept).toHaveLength(1);
    await withClient(harness.server.url(harness.control), (c) => c.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [kept]));

    await runWithConflictOn(2);
    const now = await auditSessions();
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(kept[0]);
    await expectEverywhere(w, 't', 'id', ['(1,B)', '(2,B)', '(3,seed)', '(4,seed)', '(5,seed)']);
  });

  it('a control database that refuses its rows: the run is good and its rows arrive, the audit has none of them, and a warning says how many were lost', async () => {
    const w = await harness.setup({ tag: 'ar', roles: ROLES, schema: SCHEMA, tables: ['t', 'u'] });
    const warnings: string[] = [];
    const capture: Logger = { log: (level, message) => { if (level === 'warn') warnings.push(message); }, child: () => capture };
    const bucardo = await Bucardo.open({
      plugins: [definePlugin({ name: 'capture-logger', apply: (host) => host.registerLogger({ name: 'capture', create: () => capture }) }), ...standardPlugins()],
      logger: 'capture', logLevel: 'warn',
      control: controlOn(harness.server, harness.control),
    });
    const control = harness.server.url(harness.control);
    await withClient(control, (c) => c.query("ALTER TABLE bucardo.conflict_log ADD CONSTRAINT audit_refuses_4 CHECK (key <> '4')"));
    try {
      await w.sql('A', "UPDATE t SET v = 'A' WHERE id = 4; INSERT INTO u VALUES (10, 'A')");
      await w.sql('B', "UPDATE t SET v = 'B' WHERE id = 4");
      const report = await bucardo.runSync(w.sync);
      expectOutcome(report, 'good');
      expect(report.conflicts).toBe(1);
      await expectEverywhere(w, 't', 'id', ['(1,seed)', '(2,seed)', '(3,seed)', '(4,B)', '(5,seed)']);
      await expectEverywhere(w, 'u', 'id', ['(1,seed)', '(2,seed)', '(3,seed)', '(4,seed)', '(5,seed)', '(10,A)']);
      expect(await auditOf(w, report.runId)).toEqual([]);
      expect(warnings.filter((line) => line.startsWith('could not record 1 conflicts for the audit: ')), warnings.join('\n')).toHaveLength(1);
    } finally {
      await withClient(control, (c) => c.query('ALTER TABLE bucardo.conflict_log DROP CONSTRAINT audit_refuses_4'));
      await bucardo.close();
    }
  });
});
