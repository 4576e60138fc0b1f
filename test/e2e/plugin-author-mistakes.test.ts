/**
 * A plugin author's mistakes that showed as a crash naming nothing, or not at all (a walk-through wrote
 * its own target and taps from the SDK guide), against real PostgreSQL sources:
 *  - a target's apply that returns nothing, or counts that are no counts: PLUGIN_ERROR naming the
 *    database, the plugin and the table (it was `Cannot read properties of undefined`, or `-4` rows
 *    deleted in `bucardo status`); nothing committed anywhere;
 *  - a target's apply that throws a plain error (a disk full): APPLY_FAILED naming the database, the plugin
 *    and the table (it named the database only: whose code failed was left to guess);
 *  - a resolve tap that returns something other than the Map it was given, names a winner that is no
 *    database of the sync, or decides a key that is no conflict of the batch: PLUGIN_ERROR naming the tap,
 *    its plugin and the key (it named the hook only, said CONFLICT_UNRESOLVED, or ignored the decision);
 *    the same for one that writes into the Map it was given and returns nothing, whose sound decisions
 *    the audit says are its plugin's (they went unchecked, and were said to be the strategy's);
 *  - a test-connect that throws a plain error: CONNECTION_FAILED naming the database, its type and plugin;
 *  - a source's TRUNCATE that a target without truncate() cannot follow: the error says it is for the
 *    truncate, and the way out (it said "for a copy");
 *  - a plugin made with `definePlugin(new SomeClass())` keeps its methods (it was refused for having no
 *    apply()).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Bucardo } from '@bucardo/core';
import { standardPlugins } from '@bucardo/cli';
import { definePlugin, type ApplyBatch, type ApplyResult, type BucardoPlugin, type PluginHost, type TargetSession } from '@bucardo/plugin-sdk';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { createDatabase, dropDatabase, uniqueName, withClient } from '../src/helpers/databases.js';
import { controlOn, dbParamsOn } from '../src/helpers/connection-specs.js';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('pam_ctl');
const dbs = { a: uniqueName('pam_a'), b: uniqueName('pam_b') };
const sql = (db: string, text: string) => withClient(server.url(db), (c) => c.query(text));

/** What the memory target's apply returns, set per test; `undefined` for a sound result. */
let applyReturns: (() => unknown) | undefined;
/** Whether the memory target's apply throws a plain error, as a disk full would. */
let applyThrows = false;
/** Whether a resolve tap returns an array instead of the decisions. */
let tapReturnsArray = false;
/** A decision the resolve tap adds, per test: a winner no database has, or a key that is no conflict. */
let tapDecides: { key: string; winner: string } | undefined;
/** A decision a resolve tap writes into the Map it was given, returning nothing, per test. */
let tapEditsInPlace: { key: string; winner: string } | undefined;
const written: string[] = [];

/** A target written as a class, as the walk-through's author did: its methods live on the prototype. */
class MemoryTargetPlugin implements BucardoPlugin {
  readonly name = 'memory-target';
  /** A private field, as a class of this project's style has: a copy of the instance would lack it. */
  readonly #type = 'memory';
  apply(host: PluginHost): void {
    host.registerDatabase({
      type: this.#type, normalizeParams: (params) => params, describe: () => 'memory',
      ping: async (spec) => { if (spec.params.dir === '/not/a/dir') throw new Error('ENOTDIR: not a directory, mkdir \'/not/a/dir\''); },
      target: { capabilities: { transactions: true }, open: async () => this.session() },
    });
    host.hooks.resolve.tap('array-tap', (decisions) => (tapReturnsArray ? [] as never : decisions));
    host.hooks.resolve.tap('acme', (decisions) => (tapDecides ? new Map(decisions).set(tapDecides.key, { winner: tapDecides.winner }) : decisions));
    // the Map is typed readonly, but a plain Map at run time: an author may well write into it
    host.hooks.resolve.tap('in-place', (decisions) => { if (tapEditsInPlace) (decisions as Map<string, unknown>).set(tapEditsInPlace.key, { winner: tapEditsInPlace.winner }); return undefined as never; });
  }

  session(): TargetSession {
    let pending: string[] = [];
    return {
      begin: async () => { pending = []; },
      apply: async (batch: ApplyBatch): Promise<ApplyResult> => {
        const rows = batch.rows.reduce((sum, rowBatch) => sum + rowBatch.rowCount, 0);
        pending.push(`${batch.shape.table.name}:${rows}`);
        if (applyThrows) throw new Error("ENOSPC: no space left on device, write '/tmp/memory/t.jsonl'");
        return (applyReturns ? applyReturns() : { inserted: rows, deleted: batch.deletes.length, skipped: [] }) as ApplyResult;
      },
      commit: async () => { written.push(...pending); pending = []; },
      rollback: async () => { pending = []; },
      close: async () => undefined,
    };
  }
}

let bucardo: Bucardo;

beforeAll(async () => {
  await createDatabase(server, control);
  for (const db of Object.values(dbs)) {
    await createDatabase(server, db);
    await sql(db, "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'seed')");
  }
  bucardo = await Bucardo.open({
    plugins: [definePlugin(new MemoryTargetPlugin()), ...standardPlugins()],
    control: controlOn(server, control),
    logLevel: 'warn',
  });
  await bucardo.install();
  for (const [name, db] of Object.entries(dbs)) await bucardo.addDatabase(name, dbParamsOn(server, db));
  await bucardo.addDatabase('m', { type: 'memory', dir: '/tmp' });
  await bucardo.addTables(['t'], { herd: 'h', db: 'a' });
  await bucardo.addSync('s', { herd: 'h', dbs: 'a:source,b:source,m:target', autokick: 'false' });
  expect((await bucardo.runSync('s')).outcome).not.toBe('bad');
});

afterAll(async () => {
  await bucardo?.close();
  for (const db of [...Object.values(dbs), control]) await dropDatabase(server, db);
});

describe('a target whose apply returns no ApplyResult', () => {
  it.each([
    ['nothing', () => undefined, 'undefined'],
    ['counts that are no counts', () => ({ inserted: Number.NaN, deleted: -5, skipped: [] }), '{"inserted":null,"deleted":-5,"skipped":[]}'],
  ])('%s: PLUGIN_ERROR naming the database, the plugin and the table; nothing committed anywhere', async (_, returns, shown) => {
    applyReturns = returns;
    written.length = 0;
    try {
      await sql(dbs.a, "UPDATE t SET v = 'changed on a' WHERE id = 1");
      const report = await bucardo.runSync('s');
      expect(report.outcome).toBe('bad');
      expect(report.error).toMatchObject({
        code: 'PLUGIN_ERROR', db: 'm', plugin: 'memory-target', table: 'public.t', hook: 'apply',
        message: `The target of database "m" (plugin memory-target) returned ${shown} from apply for table "public.t": an ApplyResult is { inserted, deleted } in rows (whole numbers, 0 or more), with skipped keys if any`,
      });
      expect(written).toEqual([]);
      expect((await sql(dbs.b, 'SELECT v FROM t')).rows).toEqual([{ v: 'seed' }]);
    } finally {
      applyReturns = undefined;
    }
    const again = await bucardo.runSync('s');
    expect(again.outcome, JSON.stringify(again.error ?? null)).toBe('good');
    expect((await sql(dbs.b, 'SELECT v FROM t')).rows).toEqual([{ v: 'changed on a' }]);
    await sql(dbs.a, "UPDATE t SET v = 'seed' WHERE id = 1");
    expect((await bucardo.runSync('s')).outcome).toBe('good');
  });
});

describe('a target whose apply throws a plain error', () => {
  it('APPLY_FAILED naming the database, its plugin and the table; nothing committed anywhere; the next run delivers', async () => {
    applyThrows = true;
    written.length = 0;
    try {
      await sql(dbs.a, "UPDATE t SET v = 'disk full on m' WHERE id = 1");
      const report = await bucardo.runSync('s');
      expect(report.outcome).toBe('bad');
      expect(report.error).toMatchObject({
        code: 'APPLY_FAILED', db: 'm', plugin: 'memory-target', table: 'public.t',
        message: 'Database "m" (plugin memory-target), table "public.t": ENOSPC: no space left on device, write \'/tmp/memory/t.jsonl\'',
      });
      expect(written).toEqual([]);
      expect((await sql(dbs.b, 'SELECT v FROM t')).rows).toEqual([{ v: 'seed' }]);
    } finally {
      applyThrows = false;
    }
    const again = await bucardo.runSync('s');
    expect(again.outcome, JSON.stringify(again.error ?? null)).toBe('good');
    expect(written).toEqual(['t:1']);
    expect((await sql(dbs.b, 'SELECT v FROM t')).rows).toEqual([{ v: 'disk full on m' }]);
    await sql(dbs.a, "UPDATE t SET v = 'seed' WHERE id = 1");
    expect((await bucardo.runSync('s')).outcome).toBe('good');
  });
});

describe('a resolve tap that returns something else than the decisions', () => {
  it('PLUGIN_ERROR naming the hook and the table; nothing written', async () => {
    tapReturnsArray = true;
    try {
      await sql(dbs.a, "UPDATE t SET v = 'a' WHERE id = 1");
      await sql(dbs.b, "UPDATE t SET v = 'b' WHERE id = 1");
      const report = await bucardo.runSync('s');
      expect(report.error).toMatchObject({
        code: 'PLUGIN_ERROR', hook: 'resolve', table: 'public.t',
        plugin: 'memory-target',
        message: 'Resolve tap "array-tap" (plugin memory-target) returned an array for table "public.t", not the Map of decisions it was given',
      });
      expect((await sql(dbs.a, 'SELECT v FROM t')).rows).toEqual([{ v: 'a' }]);
      expect((await sql(dbs.b, 'SELECT v FROM t')).rows).toEqual([{ v: 'b' }]);
    } finally {
      tapReturnsArray = false;
    }
    expect((await bucardo.runSync('s')).outcome).toBe('good');
  });
});

describe('a resolve tap whose decision is wrong', () => {
  it.each([
    ['a winner that is no database of the sync', { key: '1', winner: 'zz' }, { db: 'zz', message: 'Resolve tap "acme" (plugin memory-target) chose "zz" to win key 1 of table "public.t", and no database of sync "s" has that name (it has "a", "b", "m")' }],
    ['a key that is not a conflict of the batch', { key: '999', winner: 'a' }, { message: 'Resolve tap "acme" (plugin memory-target) decided key 999 of table "public.t", which is not one of the batch\'s conflicts (args.batch.conflicts)' }],
  ])('%s: PLUGIN_ERROR naming the tap, its plugin and the key; nothing written', async (_, decides, expected) => {
    tapDecides = decides;
    try {
      await sql(dbs.a, "UPDATE t SET v = 'a' WHERE id = 1");
      await sql(dbs.b, "UPDATE t SET v = 'b' WHERE id = 1");
      const report = await bucardo.runSync('s');
      expect(report.error).toMatchObject({ code: 'PLUGIN_ERROR', hook: 'resolve', plugin: 'memory-target', table: 'public.t', key: decides.key, ...expected });
      expect((await sql(dbs.a, 'SELECT v FROM t')).rows).toEqual([{ v: 'a' }]);
      expect((await sql(dbs.b, 'SELECT v FROM t')).rows).toEqual([{ v: 'b' }]);
    } finally {
      tapDecides = undefined;
    }
    expect((await bucardo.runSync('s')).outcome).toBe('good');
  });
});

describe('a resolve tap that edits the Map it was given and returns nothing', () => {
  const conflictOnKey1 = async () => {
    await sql(dbs.a, "UPDATE t SET v = 'a' WHERE id = 1");
    await sql(dbs.b, "UPDATE t SET v = 'b' WHERE id = 1");
  };

  it('a winner that is no database of the sync: PLUGIN_ERROR naming the tap, its plugin and the key; nothing written', async () => {
    tapEditsInPlace = { key: '1', winner: 'zz' };
    try {
      await conflictOnKey1();
      const report = await bucardo.runSync('s');
      expect(report.error).toMatchObject({
        code: 'PLUGIN_ERROR', hook: 'resolve', plugin: 'memory-target', table: 'public.t', key: '1', db: 'zz',
        message: 'Resolve tap "in-place" (plugin memory-target) chose "zz" to win key 1 of table "public.t", and no database of sync "s" has that name (it has "a", "b", "m")',
      });
      expect((await sql(dbs.a, 'SELECT v FROM t')).rows).toEqual([{ v: 'a' }]);
      expect((await sql(dbs.b, 'SELECT v FROM t')).rows).toEqual([{ v: 'b' }]);
    } finally {
      tapEditsInPlace = undefined;
    }
    expect((await bucardo.runSync('s')).outcome).toBe('good');
  });

  it('a sound decision: applied, and the audit says the plugin decided it, not the strategy', async () => {
    // the older change: the strategy (latest) would have picked b
    tapEditsInPlace = { key: '1', winner: 'a' };
    try {
      await conflictOnKey1();
      const report = await bucardo.runSync('s');
      expect(report.outcome, report.error?.message).toBe('good');
    } finally {
      tapEditsInPlace = undefined;
    }
    expect((await sql(dbs.a, 'SELECT v FROM t')).rows).toEqual([{ v: 'a' }]);
    expect((await sql(dbs.b, 'SELECT v FROM t')).rows).toEqual([{ v: 'a' }]);
    const [latest] = await bucardo.listConflicts({ sync: 's', limit: 1 });
    expect(latest).toMatchObject({ key: '1', winner: 'a', decidedBy: 'memory-target' });
  });
});

describe('a test-connect that throws a plain error', () => {
  it('CONNECTION_FAILED naming the database, its type and the plugin; nothing added', async () => {
    const error = await bucardo.addDatabase('m2', { type: 'memory', dir: '/not/a/dir' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'CONNECTION_FAILED', db: 'm2', plugin: 'memory-target',
      message: 'Cannot reach database "m2" (type memory, plugin memory-target): ENOTDIR: not a directory, mkdir \'/not/a/dir\'',
    });
    expect((await bucardo.listDatabases()).map((db) => db.name)).not.toContain('m2');
  });
});

describe('a TRUNCATE on a source, with a target that cannot empty a table', () => {
  it('the error says it is for the truncate, and the way out; nothing written', async () => {
    await sql(dbs.a, "TRUNCATE t; INSERT INTO t VALUES (2, 'after')");
    const report = await bucardo.runSync('s');
    expect(report.error).toMatchObject({
      code: 'DB_ROLE_UNSUPPORTED', db: 'm', table: 'public.t',
      message: 'Database "m" cannot empty table "public.t" for the truncate on a: its target has no truncate(). Give its plugin truncate(), or take "m" out of the sync; until then every run stops here',
    });
    expect((await sql(dbs.b, 'SELECT id FROM t ORDER BY id')).rows).toEqual([{ id: 1 }]);
  });
});
