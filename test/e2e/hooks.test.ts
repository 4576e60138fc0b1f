/**
 * The five phases as a plugin sees them: a recording plugin taps capture, fetch, resolve, apply and
 * report; the test asserts the order of the calls and what each received.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Bucardo } from '@bucardo/core';
import { standardPlugins } from '@bucardo/cli';
import { definePlugin, type ApplyArgs, type ChangeSet, type Decisions, type FetchedRows, type ResolveArgs, type RunReport } from '@bucardo/plugin-sdk';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { createDatabase, dropDatabase, uniqueName, withClient } from '../src/helpers/databases.js';
import { controlOn, dbParamsOn } from '../src/helpers/connection-specs.js';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('hooks_ctl');
const dbs = { a: uniqueName('hooks_a'), b: uniqueName('hooks_b'), c: uniqueName('hooks_c') };

type Call =
  | { hook: 'capture'; changes: ChangeSet }
  | { hook: 'fetch'; rows: FetchedRows; clean: Record<string, readonly string[]>; conflicts: string[] }
  | { hook: 'resolve'; before: Decisions; strategy: string; conflicts: string[] }
  | { hook: 'resolve-after'; decisions: Decisions }
  | { hook: 'apply'; plan: ApplyArgs['plan']; results: string[] }
  | { hook: 'report'; report: RunReport };

const calls: Call[] = [];
let overrideWinner: string | undefined;

const recorder = definePlugin({
  name: 'recorder',
  apply(host) {
    host.hooks.capture.tapPromise('recorder', async (changes) => { calls.push({ hook: 'capture', changes }); });
    host.hooks.fetch.tapPromise('recorder', async (rows, args) => {
      calls.push({ hook: 'fetch', rows, clean: Object.fromEntries(args.batch.clean), conflicts: args.batch.conflicts.map((c) => c.key) });
    });
    host.hooks.resolve.tapPromise('recorder', async (decisions, args: ResolveArgs) => {
      calls.push({ hook: 'resolve', before: decisions, strategy: args.strategy, conflicts: args.batch.conflicts.map((c) => c.key) });
      if (overrideWinner) return new Map(args.batch.conflicts.map((c) => [c.key, { winner: overrideWinner! }]));
      return undefined;
    });
    host.hooks.resolve.tap({ name: 'recorder-after', stage: 200 }, (decisions) => { calls.push({ hook: 'resolve-after', decisions }); });
    host.hooks.apply.tapPromise('recorder', async (outcome, args) => {
      calls.push({ hook: 'apply', plan: args.plan, results: [...outcome.results.keys()].sort() });
    });
    host.hooks.report.tapPromise('recorder', async (report) => { calls.push({ hook: 'report', report }); });
  },
});

let bucardo: Bucardo;
const sql = (db: string, text: string) => withClient(server.url(db), (c) => c.query(text));

beforeAll(async () => {
  for (const db of Object.values(dbs)) {
    await createDatabase(server, db);
    await sql(db, 'CREATE TABLE t (id int PRIMARY KEY, v text)');
  }
  bucardo = await Bucardo.open({
    plugins: [recorder, ...standardPlugins()],
    control: controlOn(server, control),
  });
  await bucardo.install();
  for (const [name, db] of Object.entries(dbs)) {
    await bucardo.addDatabase(name, dbParamsOn(server, db));
  }
  await bucardo.addTables(['t'], { herd: 'h' });
  await bucardo.addDbGroup('g', ['a:source', 'b:source', 'c:target']);
  await bucardo.addSync('s', { herd: 'h', dbs: 'g', autokick: 'false' });
});

afterAll(async () => {
  await bucardo?.close();
  for (const db of [...Object.values(dbs), control]) await dropDatabase(server, db);
});

describe('hook phases', () => {
  it('fire in order, once per run or table batch, with the run\'s data', async () => {
    await sql(dbs.a, "INSERT INTO t VALUES (1, 'a1'), (3, 'a3')");
    await sql(dbs.b, "INSERT INTO t VALUES (2, 'b2'), (3, 'b3')");
    calls.length = 0;
    const report = await bucardo.runSync('s');
    expect(report.outcome, JSON.stringify(report.error)).toBe('good');
    expect(calls.map((call) => call.hook)).toEqual(['capture', 'fetch', 'resolve', 'resolve-after', 'apply', 'report']);

    const [capture, fetch, resolve, resolveAfter, apply, reported] = calls as [
      Extract<Call, { hook: 'capture' }>, Extract<Call, { hook: 'fetch' }>, Extract<Call, { hook: 'resolve' }>,
      Extract<Call, { hook: 'resolve-after' }>, Extract<Call, { hook: 'apply' }>, Extract<Call, { hook: 'report' }>,
    ];
    // capture: the core's tap ran first and filled in both sources' changed keys
    const captured = Object.fromEntries(capture.changes.sources.map((s) => [s.db, [...[...s.tables.values()][0]!.changes.keys()].sort()]));
    expect(captured).toEqual({ a: ['1', '3'], b: ['2', '3'] });
    // fetch: clean keys per source, the conflicting key, and the images the core read
    expect(fetch.clean).toEqual({ a: ['1'], b: ['2'] });
    expect(fetch.conflicts).toEqual(['3']);
    expect([...fetch.rows.clean.get('a')!.rows()]).toEqual([['1', 'a1']]);
    expect([...fetch.rows.candidates.get('b')!.rows()]).toEqual([['3', 'b3']]);
    // resolve: custom taps run before the configured strategy, which runs before stage-200 taps
    expect(resolve.strategy).toBe('latest');
    expect(resolve.before.size).toBe(0);
    expect(resolveAfter.decisions.get('3')).toEqual({ winner: 'b', by: 'latest' });
    // apply: one plan entry per receiving database; the core's writes are done when this tap runs
    expect(Object.fromEntries([...apply.plan].map(([db, batch]) => [db, [...batch.deletes].sort()]))).toEqual({ a: ['2', '3'], b: ['1'], c: ['1', '2', '3'] });
    expect(apply.results).toEqual(['a', 'b', 'c']);
    // report: the totals of the run
    expect(reported.report).toMatchObject({ sync: 's', outcome: 'good', inserts: 3, conflicts: 1 });
    expect(reported.report.runId).toBe(report.runId);

    for (const db of Object.values(dbs)) {
      expect((await sql(db, 'SELECT id, v FROM t ORDER BY id')).rows).toEqual([{ id: 1, v: 'a1' }, { id: 2, v: 'b2' }, { id: 3, v: 'b3' }]);
    }
  });

  it('let a custom resolve tap decide before the configured strategy', async () => {
    await sql(dbs.b, "UPDATE t SET v = 'b-newer' WHERE id = 1");
    await sql(dbs.a, "UPDATE t SET v = 'a-newest' WHERE id = 1");
    overrideWinner = 'b';
    calls.length = 0;
    try {
      const report = await bucardo.runSync('s');
      expect(report.outcome).toBe('good');
    } finally {
      overrideWinner = undefined;
    }
    const after = calls.find((call): call is Extract<Call, { hook: 'resolve-after' }> => call.hook === 'resolve-after')!;
    // the core signs a plugin's decisions with its name, for the conflict audit
    expect(after.decisions.get('1')).toEqual({ winner: 'b', by: 'recorder' });
    for (const db of Object.values(dbs)) expect((await sql(db, 'SELECT v FROM t WHERE id = 1')).rows).toEqual([{ v: 'b-newer' }]);
  });

  it('are not called past capture when nothing changed', async () => {
    calls.length = 0;
    const report = await bucardo.runSync('s');
    expect(report.outcome).toBe('empty');
    expect(calls.map((call) => call.hook)).toEqual(['capture', 'report']);
  });
});
