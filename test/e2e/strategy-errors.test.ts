/**
 * Conflict strategies that decide wrongly, as a plugin author's first try does (a walk-through wrote
 * them from the SDK guide): the run fails before anything is written, and the error names the strategy,
 * its plugin, the table and the key, not `decided is not iterable`; a decision that is both a winner and a
 * skip, or one for a key it was not given, is refused too, and an abort says its reason. A winner whose rows cannot be read (a
 * flat file target) is refused when the sync is set up where the setting names it (`conflict=target`),
 * and named with the strategy and the key where a strategy of one's own chooses it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Bucardo } from '@bucardo/core';
import { standardPlugins } from '@bucardo/cli';
import { definePlugin, type ConflictStrategy, type Decisions } from '@bucardo/plugin-sdk';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { createDatabase, dropDatabase, uniqueName, withClient } from '../src/helpers/databases.js';
import { controlOn, dbParamsOn } from '../src/helpers/connection-specs.js';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('serr_ctl');
const dbs = { a: uniqueName('serr_a'), b: uniqueName('serr_b') };
const dir = mkdtempSync(join(tmpdir(), 'strategy-errors-'));
const sql = (db: string, text: string) => withClient(server.url(db), (c) => c.query(text));

/** Strategies of a plugin author's first try: each decides key 1 wrongly. */
const strategies: ConflictStrategy[] = [
  { name: 'returns_nothing', resolve: () => undefined as unknown as Decisions },
  { name: 'misspelt', resolve: ({ conflicts }) => new Map(conflicts.map((c) => [c.key, { winnner: 'a' } as never])) },
  // a database the sync does not have (a name misspelt, or one taken out of the sync)
  { name: 'picks_stranger', resolve: ({ conflicts }) => new Map(conflicts.map((c) => [c.key, { winner: 'c' }])) },
  { name: 'picks_file', resolve: ({ conflicts }) => new Map(conflicts.map((c) => [c.key, { winner: 'f' }])) },
  // both a winner and a skip: was recorded as skipped, the winner ignored, and the sources left apart
  { name: 'wins_and_skips', resolve: ({ conflicts }) => new Map(conflicts.map((c) => [c.key, { winner: 'a', skip: true } as never])) },
  // a key it was not given: was ignored
  { name: 'stray_key', resolve: ({ conflicts }) => new Map([...conflicts.map((c) => [c.key, { winner: 'a' }] as const), ['999', { winner: 'a' }]]) },
  { name: 'aborts', resolve: ({ conflicts }) => new Map(conflicts.map((c) => [c.key, { abort: 'told to abort by the on-call' }])) },
];
let bucardo: Bucardo;

beforeAll(async () => {
  await createDatabase(server, control);
  for (const db of Object.values(dbs)) {
    await createDatabase(server, db);
    await sql(db, "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'seed')");
  }
  bucardo = await Bucardo.open({
    plugins: [definePlugin({ name: 'first-try', apply: (host) => { for (const s of strategies) host.registerConflictStrategy(s); } }), ...standardPlugins()],
    control: controlOn(server, control),
    logLevel: 'warn',
  });
  await bucardo.install();
  for (const [name, db] of Object.entries(dbs)) await bucardo.addDatabase(name, dbParamsOn(server, db));
  await bucardo.addDatabase('f', { type: 'flatfile', dir });
  await bucardo.addTables(['t'], { herd: 'h', db: 'a' });
  await bucardo.addSync('s', { herd: 'h', dbs: 'a:source,b:source,f:target', autokick: 'false' });
});

afterAll(async () => {
  await bucardo?.close();
  for (const db of [...Object.values(dbs), control]) await dropDatabase(server, db);
  rmSync(dir, { recursive: true, force: true });
});

describe('a conflict strategy that decides wrongly', () => {
  it.each([
    ['returns_nothing', 'PLUGIN_ERROR', 'Conflict strategy "returns_nothing" (plugin first-try) returned undefined for table "public.t", not a Map of decisions by key'],
    ['misspelt', 'PLUGIN_ERROR', 'Conflict strategy "misspelt" (plugin first-try) decided key 1 of table "public.t" with {"winnner":"a"}: a decision is { winner: DATABASE }, { skip: true } or { abort: REASON }'],
    ['picks_stranger', 'PLUGIN_ERROR', 'Conflict strategy "picks_stranger" (plugin first-try) chose "c" to win key 1 of table "public.t", and no database of sync "s" has that name (it has "a", "b", "f")'],
    ['picks_file', 'DB_ROLE_UNSUPPORTED', 'Cannot read rows from database "f" (type flatfile) to settle a conflict: conflict strategy "picks_file" chose it to win key 1 of table "public.t"'],
    ['wins_and_skips', 'PLUGIN_ERROR', 'Conflict strategy "wins_and_skips" (plugin first-try) decided key 1 of table "public.t" with {"winner":"a","skip":true}: a decision is { winner: DATABASE }, { skip: true } or { abort: REASON }'],
    ['stray_key', 'PLUGIN_ERROR', 'Conflict strategy "stray_key" (plugin first-try) decided key 999 of table "public.t", which is not one of the conflicts it was given'],
    ['aborts', 'CONFLICT_ABORT', 'Aborting sync "s": 1 conflict in table "public.t" (keys 1); nothing was applied (told to abort by the on-call)'],
  ])('%s: the run fails naming it, the table and the key; nothing is written', async (strategy, code, message) => {
    await bucardo.updateSync('s', { conflict: strategy });
    await sql(dbs.a, `UPDATE t SET v = 'a ${strategy}' WHERE id = 1`);
    await sql(dbs.b, `UPDATE t SET v = 'b ${strategy}' WHERE id = 1`);
    const report = await bucardo.runSync('s');
    expect(report.outcome).toBe('bad');
    expect(report.error).toMatchObject({ code, message, table: 'public.t' });
    expect((await sql(dbs.a, 'SELECT v FROM t')).rows).toEqual([{ v: `a ${strategy}` }]);
    expect((await sql(dbs.b, 'SELECT v FROM t')).rows).toEqual([{ v: `b ${strategy}` }]);
  });

  it('then a strategy that decides: the next run settles the key and both sources converge', async () => {
    await bucardo.updateSync('s', { conflict: 'a b' });
    const report = await bucardo.runSync('s');
    expect(report.outcome, JSON.stringify(report.error ?? null)).toBe('good');
    expect(report.conflicts).toBe(1);
    for (const db of Object.values(dbs)) expect((await sql(db, 'SELECT v FROM t')).rows).toEqual([{ v: 'a aborts' }]);
  });
});

describe('a winner whose rows cannot be read, named in the setting', () => {
  it('conflict=target with only a flat file target: refused, naming it; the setting unchanged', async () => {
    await expect(bucardo.updateSync('s', { conflict: 'target' })).rejects.toMatchObject({
      code: 'DB_ROLE_UNSUPPORTED', db: 'f',
      message: 'Sync "s": conflict=target needs a target whose rows can be read, and "f" (type flatfile) cannot be',
    });
    const [sync] = (await bucardo.listSyncs()).filter((row) => row.name === 's');
    expect(sync?.conflictStrategy).toBe('a b');
  });
});
