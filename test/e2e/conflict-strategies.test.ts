/**
 * Conflict strategies end to end, on real databases: a BDR-style matrix (three sources A, B, C and a
 * target D; autokick off; conflicting writes on the nodes in a known order; one run; then the rows on
 * every database and the audit), `abort` leaving every database untouched, custom resolve code deciding
 * before the configured strategy, and the CLI's checks of `conflict=` and its `list conflicts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ConflictLogRow } from '@bucardo/core';
import { definePlugin, type Decision, type KeyText, type RunReport } from '@bucardo/plugin-sdk';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { bucardoEnv, runBucardo, type CliResult } from '../src/helpers/cli.js';
import { assertConverged, withClient } from '../src/helpers/databases.js';
import { controlState, databaseObjects } from './support/control-state.js';
import { Harness, expectEverywhere, expectOutcome, type Role, type SyncWorld } from './support/sync-harness.js';

const harness = new Harness(serverFromInfo(inject('pg')), 'cs');
/** `status` looks for a daemon's pid file: keep it to a directory of this file's own (no daemon is started). */
const pidDir = mkdtempSync(path.join(os.tmpdir(), 'cs-pid-'));
const bucardo = (...args: string[]): Promise<CliResult> =>
  runBucardo(args, { env: { ...bucardoEnv(harness.server, harness.control), BUCARDO_PID_DIR: pidDir } });
afterAll(async () => {
  await harness.dispose();
  rmSync(pidDir, { recursive: true, force: true });
});

const FOUR: Record<string, Role> = { A: 'source', B: 'source', C: 'source', D: 'target' };
const T = 'CREATE TABLE t (id int PRIMARY KEY, v text);';
type Db = 'A' | 'B' | 'C' | 'D';
const DBS: readonly Db[] = ['A', 'B', 'C', 'D'];

/**
 * Everything a refused command must leave as it was: every row of the control database's bucardo schema,
 * and the objects and rows of every database registered in it (those of every world of this file).
 */
async function everything(): Promise<Record<string, unknown>> {
  const controlUrl = harness.server.url(harness.control);
  const dbnames = await withClient(controlUrl, async (c) =>
    (await c.query<{ dbname: string }>("SELECT params->>'dbname' AS dbname FROM bucardo.db ORDER BY name")).rows.map((row) => row.dbname));
  expect(dbnames.length, 'registered databases to snapshot').toBeGreaterThan(0);
  return {
    control: await controlState(controlUrl),
    ...Object.fromEntries(await Promise.all(dbnames.map(async (db) => [db, await databaseObjects(harness.server.url(db))] as const))),
  };
}

/** Runs `bucardo ...args`, which must exit with exactly 1 and change nothing anywhere. */
async function refusedChangingNothing(...args: string[]): Promise<CliResult> {
  const before = await everything();
  const r = await bucardo(...args);
  expect(r.timedOut).toBe(false);
  expect(r.code, `bucardo ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(1);
  expect(await everything(), `after bucardo ${args.join(' ')}`).toEqual(before);
  return r;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs each write in its own transaction, a few ms apart, so change times follow the list's order. */
async function writeInOrder(w: SyncWorld, steps: ReadonlyArray<readonly [Db, string]>): Promise<void> {
  for (const [db, text] of steps) {
    await w.sql(db, text);
    await pause(3);
  }
}

/** The audit rows of one run, by key. */
async function auditOf(w: SyncWorld, report: RunReport): Promise<Map<string, ConflictLogRow>> {
  const rows = (await w.bucardo.listConflicts({ sync: w.sync, limit: 1000 })).filter((row) => row.runId === report.runId);
  const byKey = new Map(rows.map((row) => [row.key, row]));
  expect(byKey.size, 'one audit row per conflicting key').toBe(rows.length);
  return byKey;
}

/** `v` of the keys `ids` on one database (null: no such row). */
async function valuesOn(w: SyncWorld, db: Db, ids: readonly number[]): Promise<Array<string | null>> {
  const rows = await w.sql(db, 'SELECT id, v FROM t WHERE id = ANY($1::int[])', [ids]);
  const found = new Map(rows.map((row) => [row.id as number, row.v as string]));
  return ids.map((id) => found.get(id) ?? null);
}

// ---------------------------------------------------------------------------------------------------
// The matrix. Each strategy gets its own block of keys (base+1 … base+5) in one shared world, so one
// set of databases serves every case and each case is one run with every conflict kind in it.

type Kind = 'update/update' | 'update/delete' | 'delete/delete' | 'insert/insert';
const KINDS: readonly Kind[] = ['update/update', 'update/delete', 'delete/delete', 'insert/insert'];
/** Offset of each kind's key in a case's block; +5 is a clean key (changed on A only). */
const OFFSET: Record<Kind, number> = { 'update/update': 1, 'update/delete': 2, 'delete/delete': 3, 'insert/insert': 4 };
const CLEAN = 5;
/** Keys that exist (as 'seed') on every database before the cases run. */
const SEEDED_OFFSETS = [1, 2, 3, 5];

/**
 * The writes of one case, in time order. Newest change to the table per source: A (the clean key, last),
 * then B, then C, so `latest_table` ranks A > B > C while `latest` looks at each key alone.
 */
function conflictingWrites(base: number): Array<readonly [Db, string]> {
  const k = (kind: Kind) => base + OFFSET[kind];
  return [
    ['A', `UPDATE t SET v = 'A' WHERE id = ${k('update/update')}`],
    ['C', `UPDATE t SET v = 'C' WHERE id = ${k('update/update')}`],
    ['B', `UPDATE t SET v = 'B' WHERE id = ${k('update/update')}`],
    ['C', `DELETE FROM t WHERE id = ${k('update/delete')}`],
    ['B', `UPDATE t SET v = 'B' WHERE id = ${k('update/delete')}`],
    ['B', `DELETE FROM t WHERE id = ${k('delete/delete')}`],
    ['C', `DELETE FROM t WHERE id = ${k('delete/delete')}`],
    ['A', `INSERT INTO t VALUES (${k('insert/insert')}, 'A')`],
    ['C', `INSERT INTO t VALUES (${k('insert/insert')}, 'C')`],
    ['B', `INSERT INTO t VALUES (${k('insert/insert')}, 'B')`],
    ['A', `UPDATE t SET v = 'A' WHERE id = ${base + CLEAN}`],
  ];
}

/** What each database holds for each kind's key after its local writes (null: no row). */
const OWN: Record<Kind, Record<Db, string | null>> = {
  'update/update': { A: 'A', B: 'B', C: 'C', D: 'seed' },
  'update/delete': { A: 'seed', B: 'B', C: null, D: 'seed' },
  'delete/delete': { A: 'seed', B: null, C: null, D: 'seed' },
  'insert/insert': { A: 'A', B: 'B', C: 'C', D: null },
};
/** The candidates of each kind's conflict as the audit lists them (sorted by name), and their write order. */
const CANDIDATES: Record<Kind, { ops: Array<[Db, string]>; order: Db[] }> = {
  'update/update': { ops: [['A', 'update'], ['B', 'update'], ['C', 'update']], order: ['A', 'C', 'B'] },
  'update/delete': { ops: [['B', 'update'], ['C', 'delete']], order: ['C', 'B'] },
  'delete/delete': { ops: [['B', 'delete'], ['C', 'delete']], order: ['B', 'C'] },
  'insert/insert': { ops: [['A', 'insert'], ['B', 'insert'], ['C', 'insert']], order: ['A', 'C', 'B'] },
};

interface MatrixCase {
  readonly strategy: string;
  /** The `conflict=` setting, in logical names. */
  readonly conflict: string;
  /** The winner per kind; null for skip. */
  readonly winners: Record<Kind, Db> | null;
}

const all = (db: Db): Record<Kind, Db> => ({ 'update/update': db, 'update/delete': db, 'delete/delete': db, 'insert/insert': db });
const CASES: readonly MatrixCase[] = [
  // per row: the newest change to the key
  { strategy: 'latest', conflict: 'latest', winners: { 'update/update': 'B', 'update/delete': 'B', 'delete/delete': 'C', 'insert/insert': 'B' } },
  // per table: the candidate whose newest change to the table is newest (A > B > C here)
  { strategy: 'latest_table', conflict: 'latest_table', winners: { 'update/update': 'A', 'update/delete': 'B', 'delete/delete': 'B', 'insert/insert': 'A' } },
  // the first listed database that changed the key
  { strategy: 'order', conflict: 'C A B', winners: all('C') },
  // the first source, even where it did not change the key (its row, or its lack of one, wins)
  { strategy: 'source', conflict: 'source', winners: all('A') },
  // what the target has: its old row comes back everywhere, and keys it never had are removed everywhere
  { strategy: 'target', conflict: 'target', winners: all('D') },
  { strategy: 'skip', conflict: 'skip', winners: null },
];
const RANDOM_BASE = 10 * (CASES.length + 1);

describe('the BDR matrix: each strategy on each conflict kind (A, B, C sources, D target)', () => {
  let w: SyncWorld;
  const logical = (registered: string): Db => DBS.find((db) => w.registered[db] === registered)!;
  const setting = (conflict: string) => conflict.split(' ').map((word) => w.registered[word] ?? word).join(' ');

  beforeAll(async () => {
    w = await harness.setup({ tag: 'mx', roles: FOUR, schema: T, tables: ['t'] });
    // rows 1..4, and the seeded keys of every case, written on A and synced everywhere
    const ids = [1, 2, 3, 4];
    for (let base = 10; base <= RANDOM_BASE; base += 10) ids.push(...SEEDED_OFFSETS.map((offset) => base + offset));
    await w.sql('A', "INSERT INTO t SELECT id, 'seed' FROM unnest($1::int[]) AS id", [ids]);
    const first = await w.run();
    expectOutcome(first, 'good');
    expect(first.conflicts).toBe(0);
    await expectEverywhere(w, 't', 'id', ids.sort((a, b) => a - b).map((id) => `(${id},seed)`));
  });

  /** Sets the strategy, makes the case's writes, runs once and checks the audit's shape; returns the audit. */
  async function runCase(base: number, conflict: string): Promise<{ report: RunReport; audit: Map<string, ConflictLogRow> }> {
    await w.bucardo.updateSync(w.sync, { conflict: setting(conflict) });
    await writeInOrder(w, conflictingWrites(base));
    const report = await w.run();
    expectOutcome(report, 'good');
    expect(report.conflicts).toBe(4);
    const audit = await auditOf(w, report);
    expect([...audit.keys()].sort()).toEqual(KINDS.map((kind) => String(base + OFFSET[kind])).sort());
    for (const kind of KINDS) {
      const row = audit.get(String(base + OFFSET[kind]))!;
      expect(row.table).toBe('public.t');
      expect(row.kind, `kind of key ${row.key}`).toBe(kind);
      expect(row.strategy).toBe(setting(conflict));
      expect(row.candidates.map((c) => [logical(c.db), c.op]), `candidates of ${kind}`).toEqual(CANDIDATES[kind].ops);
      // change times follow the order of the writes
      const at = new Map(row.candidates.map((c) => [logical(c.db), c.changedAt]));
      const times = CANDIDATES[kind].order.map((db) => at.get(db)!);
      expect(times, `change times of ${kind}`).toEqual([...times].sort((a, b) => a - b));
      expect(new Set(times).size).toBe(times.length);
    }
    return { report, audit };
  }

  async function expectKeys(base: number, expected: (db: Db, kind: Kind) => string | null): Promise<void> {
    const ids = [...KINDS.map((kind) => base + OFFSET[kind]), base + CLEAN];
    for (const db of DBS) {
      // the clean key carries A's change everywhere, whatever the strategy
      expect(await valuesOn(w, db, ids), `keys ${ids.join(', ')} on ${db}`).toEqual([...KINDS.map((kind) => expected(db, kind)), 'A']);
    }
  }

  const titled = CASES.map((c, index) => [`${c.strategy} (conflict="${c.conflict}")`, { ...c, base: 10 * (index + 1) }] as const);
  it.each(titled)('%s', async (_title, { strategy, conflict, winners, base }) => {
    const { audit } = await runCase(base, conflict);
    if (winners) {
      // every database holds what the winner held
      await expectKeys(base, (_db, kind) => OWN[kind][winners[kind]]);
      for (const kind of KINDS) {
        const row = audit.get(String(base + OFFSET[kind]))!;
        expect([row.winner, row.outcome, row.decidedBy], `audit of ${kind}`).toEqual([w.registered[winners[kind]], 'applied', strategy]);
      }
    } else {
      // skip: every database keeps its own version
      await expectKeys(base, (db, kind) => OWN[kind][db]);
      for (const kind of KINDS) {
        const row = audit.get(String(base + OFFSET[kind]))!;
        expect([row.winner, row.outcome, row.decidedBy], `audit of ${kind}`).toEqual([null, 'skipped', 'skip']);
      }
    }
  });

  it('random 42: every database gets one candidate\'s version, and the identical scenario again picks the same winners', async () => {
    const base = RANDOM_BASE;
    const winnersOf = async (): Promise<Record<Kind, Db>> => {
      const { audit } = await runCase(base, 'random 42');
      const winners = {} as Record<Kind, Db>;
      for (const kind of KINDS) {
        const row = audit.get(String(base + OFFSET[kind]))!;
        expect([row.outcome, row.decidedBy]).toEqual(['applied', 'random']);
        winners[kind] = logical(row.winner!);
        expect(CANDIDATES[kind].ops.map(([db]) => db), `the winner of ${kind} is a candidate`).toContain(winners[kind]);
      }
      await expectKeys(base, (_db, kind) => OWN[kind][winners[kind]]);
      return winners;
    };
    const first = await winnersOf();

    // back to the seeded state through A (clean changes), then the very same writes again
    await w.sql('A', `DELETE FROM t WHERE id BETWEEN ${base + 1} AND ${base + 5};
      INSERT INTO t SELECT ${base} + o, 'seed' FROM unnest(ARRAY[${SEEDED_OFFSETS.join(',')}]) AS o`);
    const reset = await w.run();
    expectOutcome(reset, 'good');
    expect(reset.conflicts).toBe(0);
    for (const db of DBS) expect(await valuesOn(w, db, [base + 1, base + 2, base + 3, base + 4, base + 5]), db).toEqual(['seed', 'seed', 'seed', null, 'seed']);

    expect(await winnersOf()).toEqual(first);
  });

  it('the untouched rows 1..4 are intact everywhere, and status counts the conflicts and the skipped ones', async () => {
    for (const db of DBS) expect(await valuesOn(w, db, [1, 2, 3, 4]), db).toEqual(['seed', 'seed', 'seed', 'seed']);
    const r = await bucardo('status', w.sync);
    expect(r.code, r.stderr).toBe(0);
    const total = 4 * (CASES.length + 2);
    expect(r.stdout).toMatch(new RegExp(`^Conflicts recorded\\s+: ${total} \\(4 skipped, for manual resolution: bucardo list conflicts ${w.sync}\\)$`, 'm'));
  });
});

// ---------------------------------------------------------------------------------------------------

describe('abort', () => {
  it('fails the run naming the keys, applies nothing anywhere, shows Bad; conflict=latest then converges', async () => {
    const w = await harness.setup({ tag: 'ab', roles: FOUR, schema: T, tables: ['t'], conflict: 'abort' });
    await w.sql('A', "INSERT INTO t SELECT i, 'seed' FROM generate_series(1, 4) i");
    expectOutcome(await w.run(), 'good');
    const seeded = ['(1,seed)', '(2,seed)', '(3,seed)', '(4,seed)'];
    await expectEverywhere(w, 't', 'id', seeded);

    // two conflicts (1: A and B update; 4: C updates, A deletes) and clean changes on every source
    await writeInOrder(w, [
      ['A', "UPDATE t SET v = 'A' WHERE id = 1"],
      ['B', "UPDATE t SET v = 'B' WHERE id = 1"],
      ['B', "UPDATE t SET v = 'B' WHERE id = 2"],
      ['C', "UPDATE t SET v = 'C' WHERE id = 4"],
      ['A', 'DELETE FROM t WHERE id = 4'],
      ['A', "INSERT INTO t VALUES (10, 'A')"],
      ['C', 'DELETE FROM t WHERE id = 3'],
    ]);
    const own: Record<Db, string[]> = {
      A: ['(1,A)', '(2,seed)', '(3,seed)', '(10,A)'],
      B: ['(1,B)', '(2,B)', '(3,seed)', '(4,seed)'],
      C: ['(1,seed)', '(2,seed)', '(4,C)'],
      D: seeded,
    };
    const expectUntouched = async () => {
      for (const db of DBS) expect(await tableText(w, db), db).toEqual(own[db]);
    };

    for (let attempt = 0; attempt < 2; attempt++) {
      // the second attempt sees the same changes again: nothing moved on
      const report = await w.run();
      expectOutcome(report, 'bad');
      expect(report.error?.code).toBe('CONFLICT_ABORT');
      expect(report.error?.message).toMatch(/2 conflicts in table "public\.t" \(keys (1, 4|4, 1)\); nothing was applied/);
      expect(['1', '4']).toContain(report.error?.key);
      expect([report.inserts, report.deletes]).toEqual([0, 0]);
      await expectUntouched();
      expect(await auditOf(w, report)).toEqual(new Map());
    }

    const status = await bucardo('status', w.sync);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^Current state\s+: Bad$/m);
    expect(status.stdout).toMatch(/^Conflict strategy\s+: abort$/m);
    expect(status.stdout).toMatch(/^Last error\s+: Aborting sync .*\(keys (1, 4|4, 1)\).*\[CONFLICT_ABORT\]/m);

    const update = await bucardo('update', 'sync', w.sync, 'conflict=latest');
    expect(update.code, update.stderr).toBe(0);
    expect(update.stdout).toBe("Set conflict strategy to 'latest'\n");
    // Bucardo's aliases: one line per setting, however many of its names were given
    const aliases = await bucardo('update', 'sync', w.sync, 'standard_conflict=latest', 'ping=false', 'conflict_strategy=latest', 'onetimecopy=0');
    expect(aliases.code, aliases.stderr).toBe(0);
    expect(aliases.stdout).toBe("Set conflict strategy to 'latest'\nSet autokick to false\nSet onetimecopy to 0\n");
    const report = await w.run();
    expectOutcome(report, 'good');
    expect(report.conflicts).toBe(2);
    // latest: B's update of 1 and A's delete of 4 are the newest changes of their keys
    await expectEverywhere(w, 't', 'id', ['(1,B)', '(2,B)', '(10,A)']);
    await assertConverged(w.urls as string[], { t: 'id' });
    const audit = await auditOf(w, report);
    expect(audit.get('1')).toMatchObject({ kind: 'update/update', winner: w.registered.B, strategy: 'latest', outcome: 'applied' });
    expect(audit.get('4')).toMatchObject({ kind: 'update/delete', winner: w.registered.A, strategy: 'latest', outcome: 'applied' });
    expect((await bucardo('status', w.sync)).stdout).toMatch(/^Current state\s+: Good$/m);
  });
});

async function tableText(w: SyncWorld, db: Db): Promise<string[]> {
  return (await w.sql(db, 'SELECT x::text AS r FROM t AS x ORDER BY id')).map((row) => row.r as string);
}

// ---------------------------------------------------------------------------------------------------

describe('custom conflict code', () => {
  it('a resolve tap decides the even keys (B wins), declines the odd ones, which the strategy decides', async () => {
    let winnerB = '';
    /** The `by` the plugin puts on its decisions (none unless set). */
    let by: string | undefined;
    const offered: string[][] = [];
    const evenToB = definePlugin({
      name: 'even-to-b',
      apply(host) {
        host.hooks.resolve.tapPromise('even-to-b', async (decisions, args) => {
          offered.push(args.batch.conflicts.map((conflict) => conflict.key).sort());
          const even = args.batch.conflicts.filter((conflict) => Number(conflict.key) % 2 === 0);
          if (even.length === 0) return undefined; // decline everything
          const next = new Map<KeyText, Decision>(decisions);
          for (const conflict of even) next.set(conflict.key, by === undefined ? { winner: winnerB } : { winner: winnerB, by });
          return next;
        });
      },
    });
    const w = await harness.setup({ tag: 'cu', roles: FOUR, schema: T, tables: ['t'], plugins: [evenToB] });
    winnerB = w.registered.B!;
    await w.sql('A', "INSERT INTO t SELECT i, 'seed' FROM generate_series(1, 4) i");
    expectOutcome(await w.run(), 'good');

    /** Every key updated on B first, then A, then C: `latest` would give every key to C. */
    const round = async (keys: readonly number[], tag: string) => {
      for (const db of ['B', 'A', 'C'] as const) await writeInOrder(w, keys.map((id) => [db, `UPDATE t SET v = '${db}${tag}' WHERE id = ${id}`] as const));
      offered.length = 0;
      const report = await w.run();
      expectOutcome(report, 'good');
      expect(report.conflicts).toBe(keys.length);
      expect(offered, 'the tap saw every conflict').toEqual([keys.map(String).sort()]);
      return auditOf(w, report);
    };

    // 1. the plugin sets no `by`: the core signs its decisions with the plugin's name
    let audit = await round([1, 2, 3, 4], '1');
    await expectEverywhere(w, 't', 'id', ['(1,C1)', '(2,B1)', '(3,C1)', '(4,B1)']);
    for (const id of [1, 2, 3, 4]) {
      const even = id % 2 === 0;
      expect(audit.get(String(id)), `key ${id}`).toMatchObject({
        kind: 'update/update', strategy: 'latest', outcome: 'applied',
        winner: even ? w.registered.B : w.registered.C,
        decidedBy: even ? 'even-to-b' : 'latest',
      });
    }

    // 2. the plugin names itself: the audit tells its decisions from the strategy's
    by = 'even-to-b';
    audit = await round([1, 2, 3, 4], '2');
    await expectEverywhere(w, 't', 'id', ['(1,C2)', '(2,B2)', '(3,C2)', '(4,B2)']);
    expect([1, 2, 3, 4].map((id) => [audit.get(String(id))!.winner, audit.get(String(id))!.decidedBy])).toEqual([
      [w.registered.C, 'latest'], [w.registered.B, 'even-to-b'], [w.registered.C, 'latest'], [w.registered.B, 'even-to-b'],
    ]);

    // 3. only odd keys conflict: the tap returns nothing, and the strategy decides everything
    audit = await round([1, 3], '3');
    await expectEverywhere(w, 't', 'id', ['(1,C3)', '(2,B2)', '(3,C3)', '(4,B2)']);
    expect([...audit.values()].map((row) => [row.key, row.winner, row.decidedBy]).sort()).toEqual([['1', w.registered.C, 'latest'], ['3', w.registered.C, 'latest']]);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('the CLI: list conflicts, and conflict= checks', () => {
  let w: SyncWorld;
  const reports: RunReport[] = [];

  beforeAll(async () => {
    // two sources, no target
    w = await harness.setup({
      tag: 'cl', roles: { A: 'source', B: 'source' }, tables: ['t', 'u'],
      schema: `${T} CREATE TABLE u (id int PRIMARY KEY, v text);`,
    });
    await w.sql('A', "INSERT INTO t SELECT i, 'seed' FROM generate_series(1, 3) i; INSERT INTO u VALUES (9, 'seed')");
    expectOutcome(await w.run(), 'good');
    // one conflict on t per run (keys 1, 2, 3), and one on u in the last run
    const rounds: Array<Array<readonly [Db, string]>> = [
      [['A', "UPDATE t SET v = 'A' WHERE id = 1"], ['B', "UPDATE t SET v = 'B' WHERE id = 1"]],
      [['A', "UPDATE t SET v = 'A' WHERE id = 2"], ['B', "UPDATE t SET v = 'B' WHERE id = 2"]],
      [['B', "UPDATE t SET v = 'B' WHERE id = 3"], ['A', "UPDATE t SET v = 'A' WHERE id = 3"],
        ['A', "UPDATE u SET v = 'A' WHERE id = 9"], ['B', "UPDATE u SET v = 'B' WHERE id = 9"]],
    ];
    for (const steps of rounds) {
      await writeInOrder(w, steps);
      const report = await w.run();
      expectOutcome(report, 'good');
      reports.push(report);
    }
    await expectEverywhere(w, 't', 'id', ['(1,B)', '(2,B)', '(3,A)']);
    await expectEverywhere(w, 'u', 'id', ['(9,B)']);
  });

  it('bucardo list conflicts SYNC table=t limit=2: the two newest conflicts of t, one line each', async () => {
    const r = await bucardo('list', 'conflicts', w.sync, 'table=t', 'limit=2');
    expect(r.code, r.stderr).toBe(0);
    const rows = await w.bucardo.listConflicts({ sync: w.sync, table: 't' });
    expect(rows.map((row) => row.key)).toEqual(['3', '2', '1']);
    const iso = (us: number) => new Date(us / 1000).toISOString();
    const line = (row: ConflictLogRow, run: RunReport, first: string, second: string, winner: string) => {
      const at = new Map(row.candidates.map((c) => [c.db, c.changedAt]));
      return `${row.recorded.toISOString()}  sync ${w.sync} run ${run.runId}  public.t key ${row.key}  update/update  `
        + `[${w.registered[first]}:update@${iso(at.get(w.registered[first]!)!)} ${w.registered[second]}:update@${iso(at.get(w.registered[second]!)!)}]  `
        + `winner ${w.registered[winner]} by latest\n`;
    };
    expect(r.stdout).toBe(line(rows[0]!, reports[2]!, 'A', 'B', 'A') + line(rows[1]!, reports[1]!, 'A', 'B', 'B'));
    // the list is cut: said on stderr, stdout keeps one line per conflict
    expect(r.stderr).toBe('Showing the newest 2 conflicts; there are more (limit=N shows N)\n');
    const all = await bucardo('list', 'conflicts', w.sync, 'table=t', 'limit=3');
    expect({ lines: all.stdout.trimEnd().split('\n').length, stderr: all.stderr }).toEqual({ lines: 3, stderr: '' });

    // without the filter, u's conflict (the newest of all) is listed too
    const everything = await bucardo('list', 'conflicts', w.sync);
    expect(everything.code, everything.stderr).toBe(0);
    expect(everything.stdout.trimEnd().split('\n')).toHaveLength(4);
    expect(everything.stdout).toMatch(/ public\.u key 9  update\/update .* winner cl_B by latest\n/);
  });

  it('bucardo list conflicts with limit=0 or a table never added: an error naming it, not an empty list', async () => {
    const zero = await bucardo('list', 'conflicts', w.sync, 'limit=0');
    expect({ code: zero.code, stdout: zero.stdout, stderr: zero.stderr }).toEqual({ code: 1, stdout: '', stderr: 'ERROR: limit must be a whole number above 0, not "0" [INVALID_ARGUMENT]\n' });
    const typo = await bucardo('list', 'conflicts', w.sync, 'table=nosuch');
    expect({ code: typo.code, stdout: typo.stdout, stderr: typo.stderr }).toEqual({ code: 1, stdout: '', stderr: 'ERROR: There is no table named "nosuch" [TABLE_NOT_FOUND]\n' });
  });

  it('bucardo list conflicts of an unknown sync: SYNC_NOT_FOUND', async () => {
    const r = await bucardo('list', 'conflicts', 'no_such_sync');
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toContain('[SYNC_NOT_FOUND]');
    expect(r.stderr).toContain('no_such_sync');
  });

  it('update sync conflict= with a database not in the sync, or an unknown strategy, changes nothing', async () => {
    const strategyShown = async () => {
      const status = await bucardo('status', w.sync);
      expect(status.code, status.stderr).toBe(0);
      return /^Conflict strategy\s+: (.*)$/m.exec(status.stdout)?.[1];
    };
    const ordered = `${w.registered.B} ${w.registered.A}`;
    const set = await bucardo('update', 'sync', w.sync, `conflict=${ordered}`);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe(`Set conflict strategy to '${ordered}'\n`);

    // from here on, each refused update leaves the control database and every database exactly as they were
    const before = await everything();
    const stranger = await refusedChangingNothing('update', 'sync', w.sync, `conflict=${w.registered.A} cl_X`);
    expect(stranger.code).not.toBe(0);
    expect(stranger.code).not.toBeNull();
    expect(stranger.stderr).toContain('[UNKNOWN_STRATEGY]');
    expect(stranger.stderr).toContain(`ERROR: Conflict strategy "${w.registered.A} cl_X" of sync "${w.sync}": a list of the sync's databases, but "cl_X" is not one (strategies: abort, latest, latest_table, order, random, skip, source, target; databases: `);

    const unknown = await refusedChangingNothing('update', 'sync', w.sync, 'conflict=no_such_strategy');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('[UNKNOWN_STRATEGY]');
    expect(unknown.stderr).toContain(`ERROR: Conflict strategy "no_such_strategy" of sync "${w.sync}": no loaded plugin registers conflict strategy "no_such_strategy", and no database of the sync is named so (strategies: abort, latest, latest_table, order, random, skip, source, target; databases: `);
    expect(unknown.stderr).not.toContain('did you mean');
    // a typo gets the strategy it most likely meant
    const typo = await refusedChangingNothing('update', 'sync', w.sync, 'conflict=latets');
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toMatch(/^ERROR: Conflict strategy "latets" of sync "[^"]+": no loaded plugin registers conflict strategy "latets", .*; did you mean "latest"\? \[UNKNOWN_STRATEGY\]\n$/);
    // the sync has no target
    const target = await refusedChangingNothing('update', 'sync', w.sync, 'conflict=target');
    expect(target.code).not.toBe(0);
    expect(target.stderr).toContain('[INVALID_ARGUMENT]');
    expect(target.stderr).toMatch(/no target database, so conflict=target/);
    expect(await everything(), 'after the four refused updates').toEqual(before);
    // the strategy set before the failed updates is still the sync's
    expect(await strategyShown()).toBe(ordered);
    expect((await w.bucardo.listSyncs()).find((sync) => sync.name === w.sync)?.conflictStrategy).toBe(ordered);
  });

  it('add sync conflict=target without a target, or conflict=UNKNOWN: an error, and no sync', async () => {
    const syncsBefore = (await w.bucardo.listSyncs()).map((sync) => sync.name);
    const before = await everything();
    const target = await refusedChangingNothing('add', 'sync', 'cl_s2', 'herd=cl_h', 'dbs=cl_g', 'ping=false', 'conflict=target');
    expect(target.code).not.toBe(0);
    expect(target.code).not.toBeNull();
    expect(target.stderr).toContain('[INVALID_ARGUMENT]');
    expect(target.stderr).toMatch(/Sync "cl_s2" has no target database, so conflict=target/);

    const unknown = await refusedChangingNothing('add', 'sync', 'cl_s3', 'herd=cl_h', 'dbs=cl_g', 'ping=false', 'conflict=no_such_strategy');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('[UNKNOWN_STRATEGY]');
    expect(unknown.stderr).toContain('no_such_strategy');

    const stranger = await refusedChangingNothing('add', 'sync', 'cl_s4', 'herd=cl_h', 'dbs=cl_g', 'ping=false', `conflict=${w.registered.B} cl_X`);
    expect(stranger.code).not.toBe(0);
    expect(stranger.stderr).toContain('"cl_X" is not one (strategies: ');

    const syncsAfter = (await w.bucardo.listSyncs()).map((sync) => sync.name);
    expect(syncsAfter).toEqual(syncsBefore);
    expect(syncsAfter.filter((name) => /^cl_s[234]$/.test(name))).toEqual([]);
    expect(await everything(), 'after the three refused adds').toEqual(before);
  });
});
