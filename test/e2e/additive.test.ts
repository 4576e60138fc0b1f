/**
 * Additive merge end to end, on real databases: columns declared additive merge as base + every source's
 * (new - old). After a pgbench load on four sources (the seed demo's set-up, through the CLI) every
 * database holds sum(abalance) = sum(tbalance) = sum(bbalance) = the sum of all pgbench_history deltas
 * written on the four sources; a small deterministic case checks the arithmetic and the audit, and
 * `bucardo update table … additive=` on a live sync.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { bucardoEnv, runBucardo, type CliResult } from '../src/helpers/cli.js';
import { assertConverged, withClient } from '../src/helpers/databases.js';
import { workload } from '../src/helpers/workload/index.js';
import pg from 'pg';
import { definePlugin } from '@bucardo/plugin-sdk';
import { Harness, expectEverywhere, expectOutcome, type SyncWorld } from './support/sync-harness.js';

const harness = new Harness(serverFromInfo(inject('pg')), 'add');
const pidDir = mkdtempSync(path.join(os.tmpdir(), 'additive-pid-'));
const bucardo = (...args: string[]): Promise<CliResult> =>
  runBucardo(args, { env: { ...bucardoEnv(harness.server, harness.control), BUCARDO_PID_DIR: pidDir } });
afterAll(async () => {
  await harness.dispose();
  rmSync(pidDir, { recursive: true, force: true });
});

async function ok(...args: string[]): Promise<CliResult> {
  const r = await bucardo(...args);
  expect(r.code, `bucardo ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(ready: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await ready());) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await pause(20);
  }
}

describe('pgbench on four sources with abalance, tbalance and bbalance additive', () => {
  const TABLES = { pgbench_accounts: 'aid', pgbench_tellers: 'tid', pgbench_branches: 'bid' } as const;
  const TRANSACTIONS = 300;
  const urls: string[] = [];

  beforeAll(async () => {
    await harness.main(); // bucardo install
    const first = await harness.createDatabase('add_p1');
    await workload.init(first.url, { scale: 1 });
    urls.push(first.url);
    const names = [first.name];
    for (let i = 2; i <= 5; i++) {
      const copy = await harness.createDatabase(`add_p${i}`, { template: first.name });
      urls.push(copy.url);
      names.push(copy.name);
    }
    for (const [i, name] of names.entries()) await ok('add', 'db', `p${i + 1}`, `dbname=${name}`);
  });

  it('bucardo add table … additive=, add dbgroup, add sync', async () => {
    const accounts = await ok('add', 'table', 'pgbench_accounts', 'herd=therd', 'additive=abalance');
    expect(accounts.stdout).toContain('Created the relgroup named "therd"');
    await ok('add', 'table', 'pgbench_tellers', 'herd=therd', 'additive=tbalance');
    await ok('add', 'table', 'pgbench_branches', 'herd=therd', 'additive=bbalance');
    const tables = await ok('list', 'tables');
    expect(tables.stdout).toMatch(/Table: public\.pgbench_accounts .* additive: abalance\n/);
    expect(tables.stdout).toMatch(/Table: public\.pgbench_tellers .* additive: tbalance\n/);
    expect(tables.stdout).toMatch(/Table: public\.pgbench_branches .* additive: bbalance\n/);
    await ok('add', 'dbgroup', 'tgroup', 'p1:source', 'p2:source', 'p3:source', 'p4:source', 'p5:target');
    await ok('add', 'sync', 'foobar', 'herd=therd', 'dbs=tgroup', 'ping=false');
  });

  it(`pgbench -t ${TRANSACTIONS} on the four sources in parallel, kick foobar 0: the balances add up everywhere`, async () => {
    await Promise.all(urls.slice(0, 4).map((url, i) => workload.run(url, { transactions: TRANSACTIONS, seed: 4200 + i })));
    const kick = await ok('kick', 'foobar', '0');
    expect(kick.stdout).toMatch(/^Kick foobar: \[\d+ s\] DONE!\n$/);

    // every delta pgbench wrote, on whichever source it ran
    let deltas = 0n;
    let transactions = 0;
    for (const url of urls.slice(0, 4)) {
      const { rows } = await withClient(url, (c) => c.query<{ n: number; s: string }>('SELECT count(*)::int AS n, coalesce(sum(delta), 0)::text AS s FROM pgbench_history'));
      transactions += rows[0]!.n;
      deltas += BigInt(rows[0]!.s);
    }
    expect(transactions).toBe(4 * TRANSACTIONS);
    for (const [i, url] of urls.entries()) {
      const { rows } = await withClient(url, (c) => c.query<{ a: string; t: string; b: string }>(
        `SELECT (SELECT sum(abalance) FROM pgbench_accounts)::text AS a, (SELECT sum(tbalance) FROM pgbench_tellers)::text AS t,
                (SELECT sum(bbalance) FROM pgbench_branches)::text AS b`));
      expect(rows[0], `sums on p${i + 1}`).toEqual({ a: String(deltas), t: String(deltas), b: String(deltas) });
    }
    await assertConverged(urls, TABLES);

    // branch 1 was changed on all four sources: one conflict, merged
    const audit = await (await harness.main()).listConflicts({ sync: 'foobar', table: 'pgbench_branches' });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ key: '1', kind: 'update/update', outcome: 'merged', strategy: 'latest' });
    expect(audit[0]!.candidates.map((c) => c.db)).toEqual(['p1', 'p2', 'p3', 'p4']);
    const tellers = await (await harness.main()).listConflicts({ sync: 'foobar', table: 'pgbench_tellers' });
    expect(tellers.length).toBeGreaterThan(0);
    expect(new Set(tellers.map((row) => row.outcome))).toEqual(new Set(['merged']));
  });
});

describe('a small deterministic case: acct(id, bal, note), and update table … additive= on a live sync', () => {
  let w: SyncWorld;

  beforeAll(async () => {
    // the sync is made without additive columns
    w = await harness.setup({
      tag: 'ac', roles: { A: 'source', B: 'source', C: 'source', D: 'target' }, tables: ['acct'],
      schema: 'CREATE TABLE acct (id int PRIMARY KEY, bal int, note text);',
    });
    await w.sql('A', "INSERT INTO acct VALUES (1, 100, 'base')");
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'acct', 'id', ['(1,100,base)']);
  });

  /** +10 on A, -30 on B, +5 on C, in that order, each with its own note; one run. */
  async function threeWrites() {
    for (const [db, delta] of [['A', 10], ['B', -30], ['C', 5]] as const) {
      await w.sql(db, `UPDATE acct SET bal = bal + ${delta}, note = '${db}' WHERE id = 1`);
      await pause(3);
    }
    const report = await w.run();
    expectOutcome(report, 'good');
    expect(report.conflicts).toBe(1);
    const audit = (await w.bucardo.listConflicts({ sync: w.sync })).filter((row) => row.runId === report.runId);
    expect(audit).toHaveLength(1);
    return audit[0]!;
  }

  it('without additive columns the newest change wins the whole row', async () => {
    const audit = await threeWrites();
    await expectEverywhere(w, 'acct', 'id', ['(1,105,C)']);
    expect(audit).toMatchObject({ key: '1', kind: 'update/update', winner: w.registered.C, outcome: 'applied' });
  });

  it('bucardo update table acct additive=bal: the next changes merge, base + every delta, on every database', async () => {
    const r = await ok('update', 'table', 'acct', 'additive=bal');
    expect(r.stdout).toBe('Set additive columns of public.acct to bal\n');
    // back to a base of 100 through A alone (a clean change), then the same three writes
    await w.sql('A', "UPDATE acct SET bal = 100, note = 'base' WHERE id = 1");
    const reset = await w.run();
    expectOutcome(reset, 'good');
    expect(reset.conflicts).toBe(0);
    await expectEverywhere(w, 'acct', 'id', ['(1,100,base)']);

    const audit = await threeWrites();
    // 100 + 10 - 30 + 5; the other columns are the winner's (latest: C)
    await expectEverywhere(w, 'acct', 'id', ['(1,85,C)']);
    expect(audit).toMatchObject({ key: '1', kind: 'update/update', winner: w.registered.C, strategy: 'latest', outcome: 'merged' });
    expect(audit.candidates.map((c) => [c.db, c.op])).toEqual(['A', 'B', 'C'].map((db) => [w.registered[db], 'update']));
    expectOutcome(await w.run(), 'empty');
  });
});

/**
 * A database that refuses a run's rows when it commits (a deferred constraint) must not leave the others
 * committed: their merged balance would be merged again by the next run, which finds the same change
 * records, and an additive change would count twice (before the commit check, 100 + 10 - 30 gave 90).
 */
describe('an additive merge refused at commit on one database', () => {
  it('nothing is committed anywhere, and the next run merges every change once', async () => {
    const w = await harness.setup({
      tag: 'ad', roles: { A: 'source', B: 'source', C: 'target' }, tables: ['acct'], additive: ['bal'],
      schema: 'CREATE TABLE acct (id int PRIMARY KEY, bal int);',
    });
    await w.sql('A', 'INSERT INTO acct VALUES (1, 100)');
    expectOutcome(await w.run(), 'good');
    await w.sql('C', `CREATE SEQUENCE refusals;
      CREATE FUNCTION refuse_once() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF nextval('refusals') = 1 THEN RAISE EXCEPTION 'refused at commit'; END IF; RETURN NULL; END $$;
      CREATE CONSTRAINT TRIGGER refuse_once AFTER INSERT OR UPDATE ON acct DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_once()`);
    await w.sql('A', 'UPDATE acct SET bal = bal + 10 WHERE id = 1');
    await pause(3);
    await w.sql('B', 'UPDATE acct SET bal = bal - 30 WHERE id = 1');
    const failed = await w.run();
    expectOutcome(failed, 'bad');
    expect(failed.error).toMatchObject({ code: 'APPLY_FAILED', db: w.registered.C });
    expect(failed.error!.message).toContain('refused at commit');
    expect(await w.sql('A', 'SELECT bal FROM acct')).toEqual([{ bal: 110 }]);
    expect(await w.sql('B', 'SELECT bal FROM acct')).toEqual([{ bal: 70 }]);
    expect(await w.sql('C', 'SELECT bal FROM acct')).toEqual([{ bal: 100 }]);

    const next = await w.run();
    expectOutcome(next, 'good');
    expect(next.conflicts).toBe(1);
    await expectEverywhere(w, 'acct', 'id', ['(1,80)']);
    expectOutcome(await w.run(), 'empty');
  });
});

/**
 * Whole-table copies of a table with additive columns (an initial copy, `onetimecopy=1` and `=2`): the rows
 * come without keys to delete, and were dropped by the in-place writer, which wrote only the keys it was
 * given: the copy said good and the target stayed empty.
 */
describe('whole-table copies of a table with additive columns', () => {
  it('onetimecopy=1 and onetimecopy=2 write every row', async () => {
    const w = await harness.setup({
      tag: 'ao', roles: { A: 'source', B: 'target', C: 'target' }, tables: ['acct'], additive: ['bal'],
      schema: 'CREATE TABLE acct (id int PRIMARY KEY, bal int, note text);',
    });
    await w.sql('A', "INSERT INTO acct SELECT i, i * 10, 'n' || i FROM generate_series(1, 50) i");
    expectOutcome(await w.run(), 'good');
    await w.sql('B', 'DELETE FROM acct WHERE id > 10');
    await w.sql('C', 'DELETE FROM acct');
    await w.bucardo.updateSync(w.sync, { onetimecopy: '1' });
    const copied = await w.run();
    expectOutcome(copied, 'good');
    await expectEverywhere(w, 'acct', 'id', (await w.sql('A', 'SELECT a::text AS r FROM acct a ORDER BY id')).map((row) => String(row.r)));
    await w.sql('C', 'DELETE FROM acct');
    await w.bucardo.updateSync(w.sync, { onetimecopy: '2' });
    expectOutcome(await w.run(), 'good');
    expect(await w.sql('C', 'SELECT count(*)::int AS n, sum(bal)::int AS bal FROM acct')).toEqual([{ n: 50, bal: 12750 }]);
  });
});

describe('an additive double precision column, whose values print with exponents', () => {
  let w: SyncWorld;

  beforeAll(async () => {
    w = await harness.setup({
      tag: 'af', roles: { A: 'source', B: 'source', C: 'target' }, tables: ['fl'], additive: ['amount'],
      schema: 'CREATE TABLE fl (id int PRIMARY KEY, amount double precision);',
    });
    await w.sql('A', 'INSERT INTO fl VALUES (1, 1e20)');
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'fl', 'id', ['(1,1e+20)']);
  });

  it('merges base + both deltas as floats (the winner\'s 2e+20 plus the other 1e+20)', async () => {
    await w.sql('A', 'UPDATE fl SET amount = amount * 2 WHERE id = 1');
    await pause(3);
    await w.sql('B', 'UPDATE fl SET amount = amount + 1e20 WHERE id = 1');
    const report = await w.run();
    expectOutcome(report, 'good');
    expect(report.conflicts).toBe(1);
    await expectEverywhere(w, 'fl', 'id', ['(1,3e+20)']);
  });
});

/**
 * The application keeps writing while a run is under way: between the capture and the fetch (the row
 * images the run reads then hold changes its capture did not take), and between the fetch and the apply
 * (a receiving source changed the row after the capture: the guard keeps its other columns). A plugin
 * makes those writes from the capture and apply hooks, as an application would. Every change must count
 * once everywhere: before the fix, the run skipped such a row on the receiving source, which then kept a
 * balance without the other sources' changes and sent it everywhere with its next change (a walk-through
 * saw `sum(bbalance)` off by thousands under two pgbench clients per source with the daemon running).
 */
describe('additive columns while the application writes during the run', () => {
  let w: SyncWorld;
  /** Statements to run once, on logical databases, right after the capture and right before the apply. */
  const during: { afterCapture: Array<[string, string]>; beforeApply: Array<[string, string]>; whileApplied: Array<[string, string]> } = { afterCapture: [], beforeApply: [], whileApplied: [] };
  /** The statements of `whileApplied`, started once the run wrote its rows and left to wait for its commit. */
  const waiting: Array<Promise<number>> = [];
  const writer = definePlugin({
    name: 'writes-during-the-run',
    apply(host) {
      const play = async (list: Array<[string, string]>) => {
        for (const [db, sql] of list.splice(0)) await w.sql(db, sql);
      };
      host.hooks.capture.tapPromise('writes-during-the-run', async (changes) => {
        await play(during.afterCapture);
        return changes;
      });
      host.hooks.apply.tapPromise({ name: 'writes-during-the-run', stage: -10 }, async (outcome) => {
        await play(during.beforeApply);
        return outcome;
      });
      // after the core's apply: the run holds the rows it wrote until it commits; a user's UPDATE of one waits
      host.hooks.apply.tapPromise({ name: 'writes-during-the-run-after', stage: 10 }, async (outcome) => {
        for (const [db, sql] of during.whileApplied.splice(0)) {
          const client = new pg.Client({ connectionString: w.url[db] });
          await client.connect();
          waiting.push(client.query(sql).then((result) => result.rowCount ?? 0).finally(() => client.end()));
          await waitFor(async () => (await w.sql(db, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"))[0]!.n === 1);
        }
        return outcome;
      });
    },
  });

  beforeAll(async () => {
    w = await harness.setup({
      tag: 'aw', roles: { A: 'source', B: 'source', C: 'target' }, tables: ['acct'], additive: ['bal'], plugins: [writer],
      schema: 'CREATE TABLE acct (id int PRIMARY KEY, bal int, note text);',
    });
    await w.sql('A', "INSERT INTO acct VALUES (1, 100, 'base'), (2, 100, 'base')");
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'acct', 'id', ['(1,100,base)', '(2,100,base)']);
  });

  const balances = async () => Object.fromEntries(await Promise.all(['A', 'B', 'C'].map(async (db) =>
    [db, (await w.sql(db, 'SELECT id, bal FROM acct ORDER BY id')).map((row) => `${String(row.id)}:${String(row.bal)}`).join(' ')] as const)));

  it('a conflict: both sources change the row after the capture, before and after the fetch; every change counts once', async () => {
    await w.sql('A', "UPDATE acct SET bal = bal + 10, note = 'A' WHERE id = 1");
    await pause(3);
    await w.sql('B', "UPDATE acct SET bal = bal - 30, note = 'B' WHERE id = 1");
    during.afterCapture.push(['A', 'UPDATE acct SET bal = bal + 1 WHERE id = 1'], ['B', 'UPDATE acct SET bal = bal + 2 WHERE id = 1']);
    during.beforeApply.push(['A', 'UPDATE acct SET bal = bal + 4 WHERE id = 1'], ['B', 'UPDATE acct SET bal = bal + 8 WHERE id = 1']);
    expectOutcome(await w.run(), 'good');
    // the changes made during the run are the next run's
    expectOutcome(await w.run(), 'good');
    expectOutcome(await w.run(), 'empty');
    // 100 + 10 - 30 + 1 + 2 + 4 + 8
    expect(await balances()).toEqual({ A: '1:95 2:100', B: '1:95 2:100', C: '1:95 2:100' });
    await expectEverywhere(w, 'acct', 'id', ['(1,95,B)', '(2,100,base)']);
  });

  it('a clean change: the receiving source changes the row before the apply, the origin before the fetch; every change counts once', async () => {
    await w.sql('A', "UPDATE acct SET bal = bal + 10, note = 'A' WHERE id = 2");
    during.afterCapture.push(['A', 'UPDATE acct SET bal = bal + 1 WHERE id = 2']);
    during.beforeApply.push(['B', 'UPDATE acct SET bal = bal + 3 WHERE id = 2']);
    expectOutcome(await w.run(), 'good');
    expectOutcome(await w.run(), 'good');
    expectOutcome(await w.run(), 'empty');
    // 100 + 10 + 1 + 3
    expect(await balances()).toEqual({ A: '1:95 2:114', B: '1:95 2:114', C: '1:95 2:114' });
  });

  it('a user\'s UPDATE that waits for the run\'s commit on a row the run rewrites still finds the row, and counts', async () => {
    await w.sql('A', "UPDATE acct SET bal = bal + 10, note = 'A' WHERE id = 2");
    during.whileApplied.push(['B', 'UPDATE acct SET bal = bal + 5 WHERE id = 2']);
    expectOutcome(await w.run(), 'good');
    // a DELETE and an INSERT of the row would leave it nothing to update: 0 rows, its +5 gone
    expect(await Promise.all(waiting.splice(0))).toEqual([1]);
    expectOutcome(await w.run(), 'good');
    expectOutcome(await w.run(), 'empty');
    // 114 + 10 + 5
    expect(await balances()).toEqual({ A: '1:95 2:129', B: '1:95 2:129', C: '1:95 2:129' });
  });
});

/**
 * Tables with additive columns are written in place (UPDATE, then INSERT of new keys), where other tables
 * get DELETE and COPY: what COPY took in its stride must still go through. A key `GENERATED ALWAYS AS
 * IDENTITY` (an INSERT writes it only with OVERRIDING SYSTEM VALUE), and two rows that swap the values of
 * another unique column (an UPDATE checks it row by row: the batch is written by DELETE and INSERT then).
 */
describe('additive tables written in place: identity keys and unique swaps', () => {
  let w: SyncWorld;

  beforeAll(async () => {
    w = await harness.setup({
      tag: 'ai', roles: { A: 'source', B: 'source', C: 'target' }, tables: ['acc2'], additive: ['bal'],
      schema: 'CREATE TABLE acc2 (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, no text UNIQUE, bal int);',
    });
  });

  it('rows with an identity key arrive with their ids, and a swap of unique values is applied', async () => {
    await w.sql('A', "INSERT INTO acc2 (no, bal) VALUES ('x', 10), ('y', 20)");
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'acc2', 'id', ['(1,x,10)', '(2,y,20)']);
    // the rows exist on B and C now: this run updates them in place, and the swap trips the unique check
    // the application swaps them through a third value; the run brings both rows at once
    await w.sql('A', "BEGIN; UPDATE acc2 SET no = 'tmp' WHERE id = 1; UPDATE acc2 SET no = 'x', bal = bal + 1 WHERE id = 2; UPDATE acc2 SET no = 'y', bal = bal + 1 WHERE id = 1; COMMIT");
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'acc2', 'id', ['(1,y,11)', '(2,x,21)']);
    expectOutcome(await w.run(), 'empty');
  });
});
