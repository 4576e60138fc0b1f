/**
 * Bad input not covered by cli-errors.test.ts and config.test.ts, through the `bucardo` command run as a
 * process: each case exits non-zero with a coded error naming the offending thing, and changes nothing
 * (the control database's bucardo.* tables, and every object, and the rows of every table, of the replicated
 * databases).
 *
 *  - a table whose columns differ between the databases of a sync (a column missing on one, of another
 *    type on another);
 *  - malformed key=value words (a key with no `=`, `=x` with no key, an empty value, a value of blanks);
 *  - refused settings, names and verbs: a sync of a herd with no tables, `onetimecopy=5`, an `update table`
 *    setting that does not exist, an unknown verb, `additive=` naming a missing, key or non-number column;
 *  - identifiers made to break SQL (quotes, semicolons, comment and dollar-quote markers, non-ASCII
 *    letters) in schema, table, column and database names: they are replicated exactly, and nothing else
 *    happens (a sentinel table in every database survives, and no other object appears or goes).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Bucardo } from '@bucardo/core';
import { standardPlugins } from '@bucardo/cli';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { bucardoEnv, runBucardo, type CliResult } from '../src/helpers/cli.js';
import { createDatabase, dropDatabase, uniqueName } from '../src/helpers/databases.js';
import { controlOn, dbParamsOn } from '../src/helpers/connection-specs.js';
import { controlState, databaseObjects } from './support/control-state.js';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('bad_ctl');
const dbs = { m1: uniqueName('bad_m1'), m2: uniqueName('bad_m2'), m3: uniqueName('bad_m3') };
/** Databases with names made to break SQL; each ends in a unique suffix. */
const weird = {
  w1: `w1";drop table x;--${uniqueName('')}`,
  w2: `w2 Ünï'cødé; select 1/0;--${uniqueName('')}`,
  w3: `w3 $bucardo$ "\\${uniqueName('')}`,
};
const env = bucardoEnv(server, control);
const bucardo = (...args: string[]): Promise<CliResult> => runBucardo(args, { env });
/** Connection settings for a database (a config object: a URL cannot carry every name tried here). */
const at = (db: string): pg.ClientConfig => ({ host: server.host, port: server.port, user: server.user, password: server.password, database: db });
const sql = async (db: string, text: string, values: unknown[] = []) => {
  const client = new pg.Client(at(db));
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
};
let api: Bucardo;

/** Everything a failing command must leave as it was: the control database and every object of m1 … m3. */
async function state(): Promise<unknown> {
  return {
    control: await controlState(server.url(control)),
    ...Object.fromEntries(await Promise.all(Object.values(dbs).map(async (db) => [db, await databaseObjects(at(db))] as const))),
  };
}

/** Runs each command, which must fail naming the code and every name given, and change nothing. */
async function failsChangingNothing(args: string[], code: string, ...names: string[]): Promise<CliResult> {
  const before = await state();
  const r = await bucardo(...args);
  expect(r.timedOut).toBe(false);
  expect(r.code, `bucardo ${args.join(' ')}\n${r.stdout}${r.stderr}`).not.toBe(0);
  expect(r.code).not.toBeNull();
  expect(r.stderr, `bucardo ${args.join(' ')}`).toContain(`[${code}]`);
  for (const name of names) expect(r.stderr, `bucardo ${args.join(' ')}`).toContain(name);
  expect(await state(), `after bucardo ${args.join(' ')}`).toEqual(before);
  return r;
}

beforeAll(async () => {
  await createDatabase(server, control);
  await Promise.all(Object.values(dbs).map((db) => createDatabase(server, db)));
  await sql(dbs.m1, 'CREATE TABLE cols (id int PRIMARY KEY, a text, b int)');
  await sql(dbs.m2, 'CREATE TABLE cols (id int PRIMARY KEY, a text)'); // no b
  await sql(dbs.m3, 'CREATE TABLE cols (id int PRIMARY KEY, a text, b smallint)'); // b of a type that cannot hold every value of int
  api = await Bucardo.open({
    plugins: standardPlugins(),
    control: controlOn(server, control),
    logLevel: 'warn',
  });
  await api.install();
  for (const [name, db] of Object.entries(dbs)) await api.addDatabase(name, dbParamsOn(server, db));
  await api.addTables(['cols'], { herd: 'hc', db: 'm1' });
});

afterAll(async () => {
  await api?.close().catch(() => undefined);
  for (const db of [...Object.values(dbs), ...Object.values(weird), control]) await dropDatabase(server, db);
});

describe('a table whose columns differ between databases', () => {
  it('a column missing on one database: TABLE_COLUMNS_MISMATCH naming the database, table and column; no sync, no capture', async () => {
    const r = await failsChangingNothing(['add', 'sync', 'sm', 'herd=hc', 'dbs=m1:source,m2:target'], 'TABLE_COLUMNS_MISMATCH', '"m2"', 'public.cols', '"b"');
    expect(r.stderr).toMatch(/has no column "b"/);
  });

  it('a column of another type on one database: TABLE_COLUMNS_MISMATCH naming the database, table, column and both types', async () => {
    const r = await failsChangingNothing(['add', 'sync', 'st', 'herd=hc', 'dbs=m1:source,m3:source'], 'TABLE_COLUMNS_MISMATCH', '"m3"', 'public.cols', '"b"');
    expect(r.stderr).toMatch(/is smallint on database "m3" but integer on the first source "m1"/);
  });
});

describe('malformed key=value words', () => {
  // The rule: `key=value` needs a key (a word starting with "=" is not a parameter, and a command taking
  // no such word says it is unexpected); a database parameter needs a value that is not empty or blank
  // (leave the parameter out to use its default); a name given as a value (herd=, dbs=) must name something.
  it('add db: a key with no "=", "=x", an empty value, a value of blanks, a port that is not a number', async () => {
    await failsChangingNothing(['add', 'db', 'x1', 'dbname'], 'INVALID_ARGUMENT', 'dbname');
    await failsChangingNothing(['add', 'db', 'x2', '=x', `dbname=${dbs.m1}`], 'INVALID_ARGUMENT', '=x');
    await failsChangingNothing(['add', 'db', 'x3', 'dbname='], 'INVALID_ARGUMENT', 'dbname=', 'empty');
    await failsChangingNothing(['add', 'db', 'x4', 'dbname=   '], 'INVALID_ARGUMENT', 'dbname=', 'blank');
    await failsChangingNothing(['add', 'db', 'x6', `dbname=${dbs.m1}`, 'port=5432x'], 'INVALID_ARGUMENT', 'port', '5432x');
  });

  it('add sync and add table: a dbgroup of blanks, an empty herd', async () => {
    await failsChangingNothing(['add', 'sync', 's2', 'herd=hc', 'dbs=  '], 'DBGROUP_NOT_FOUND', '"  "');
    await failsChangingNothing(['add', 'table', 'cols', 'herd='], 'INVALID_NAME', 'herd');
  });
});

describe('refused settings, names and verbs', () => {
  // m1 and m2 share a table "ok" (with rows, so that a refused command that wrote one would show), in herd
  // "hok", dbgroup "gok" (m1 source, m2 target) and sync "sok"; "addv" on m1 is not added yet.
  beforeAll(async () => {
    for (const db of [dbs.m1, dbs.m2]) await sql(db, "CREATE TABLE ok (id int PRIMARY KEY, n int, t text); INSERT INTO ok VALUES (1, 10, 'one'), (2, 20, 'two')");
    await sql(dbs.m1, "CREATE TABLE addv (id int PRIMARY KEY, n int, t text); INSERT INTO addv VALUES (1, 10, 'one')");
    for (const args of [
      ['add', 'table', 'ok', 'herd=hok', 'db=m1'],
      ['add', 'dbgroup', 'gok', 'm1:source', 'm2:target'],
      ['add', 'sync', 'sok', 'herd=hok', 'dbs=gok', 'autokick=false'],
      ['add', 'herd', 'h_empty'],
    ]) {
      const r = await bucardo(...args);
      expect(r.code, `bucardo ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
    }
  });

  it('add sync of a herd with no tables: HERD_EMPTY naming the herd; no sync, no capture', async () => {
    const r = await failsChangingNothing(['add', 'sync', 's', 'herd=h_empty', 'dbs=gok'], 'HERD_EMPTY', '"h_empty"');
    expect(r.stderr).toMatch(/Herd "h_empty" has no tables/);
  });

  it('update sync onetimecopy=5: INVALID_ARGUMENT naming onetimecopy and the value', async () => {
    const r = await failsChangingNothing(['update', 'sync', 'sok', 'onetimecopy=5'], 'INVALID_ARGUMENT', 'onetimecopy', '"5"');
    expect(r.stderr).toMatch(/onetimecopy must be 0, 1 .* or 2 .*, not "5"/);
  });

  it('update table with a setting it does not have (colour=x): INVALID_ARGUMENT naming it', async () => {
    const r = await failsChangingNothing(['update', 'table', 'ok', 'colour=x'], 'INVALID_ARGUMENT', '"colour"');
    expect(r.stderr).toMatch(/update table can change: additive, makedelta \(not "colour"\)/);
  });

  it('add table keyless= that is not a boolean: INVALID_ARGUMENT naming the option and the value; nothing is added', async () => {
    const r = await failsChangingNothing(['add', 'table', 'addv', 'db=m1', 'keyless=ture'], 'INVALID_ARGUMENT', 'keyless', '"ture"');
    expect(r.stderr).toBe('ERROR: Option keyless must be true or false (1/0, yes/no, on/off), not "ture" [INVALID_ARGUMENT]\n');
  });

  it('an unknown verb: UNKNOWN_COMMAND naming it, exit 1', async () => {
    const r = await failsChangingNothing(['frobnicate'], 'UNKNOWN_COMMAND', '"frobnicate"');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Unknown command "frobnicate"/);
  });

  it('add table additive= a column that does not exist, a key column, a text column: TABLE_COLUMNS_MISMATCH naming the column, table and database; nothing is added', async () => {
    const missing = await failsChangingNothing(['add', 'table', 'addv', 'db=m1', 'additive=nosuch'], 'TABLE_COLUMNS_MISMATCH', '"nosuch"', 'public.addv', '"m1"');
    expect(missing.stderr).toMatch(/has no column "nosuch" to make additive/);
    const key = await failsChangingNothing(['add', 'table', 'addv', 'db=m1', 'additive=id'], 'TABLE_COLUMNS_MISMATCH', '"id"', 'public.addv');
    expect(key.stderr).toMatch(/Column "id" is part of the key of table "public.addv": it cannot be additive/);
    const text = await failsChangingNothing(['add', 'table', 'addv', 'db=m1', 'additive=t'], 'TABLE_COLUMNS_MISMATCH', '"t"', 'public.addv');
    expect(text.stderr).toMatch(/Column "t" of table "public.addv" is text: only numbers can be additive/);
  });
});

describe('identifiers made to break SQL', () => {
  const schema = `s;"chéma'`;
  const table = `t"; DROP TABLE x; --`;
  const key = `id$bucardo$'); DROP TABLE x; --`;
  const columns = [`v$$ "quoted"`, `ünï'cødé;`, `a;b`];
  const other = `Ta;ble'2 $bucardo$`;
  const q = pg.escapeIdentifier;
  const qualified = `${q(schema)}.${q(table)}`;

  it('in database, schema, table and column names: created and replicated exactly, and nothing else happens', async () => {
    const ddl = `
      CREATE TABLE x (id int PRIMARY KEY); INSERT INTO x VALUES (42);
      CREATE SCHEMA ${q(schema)};
      CREATE TABLE ${qualified} (${q(key)} int PRIMARY KEY, ${columns.map((column) => `${q(column)} text`).join(', ')});
      CREATE TABLE public.${q(other)} (${q('k1;')} text, ${q('k"2')} int, ${q("v'")} text, PRIMARY KEY (${q('k1;')}, ${q('k"2')}));`;
    for (const db of Object.values(weird)) {
      await createDatabase(server, db);
      await sql(db, ddl);
    }
    await sql(control, 'CREATE TABLE x (id int PRIMARY KEY); INSERT INTO x VALUES (42)');
    const before = Object.fromEntries(await Promise.all(Object.values(weird).map(async (db) => [db, await databaseObjects(at(db))] as const)));

    for (const [name, db] of Object.entries(weird)) {
      const added = await bucardo('add', 'db', name, `dbname=${db}`);
      expect(added.code, added.stderr).toBe(0);
    }
    const tables = await bucardo('add', 'table', qualified, `public.${q(other)}`, 'herd=hw', 'db=w1');
    expect(tables.code, tables.stderr).toBe(0);
    expect(tables.stdout).toContain(qualified);
    const sync = await bucardo('add', 'sync', 'sw', 'herd=hw', 'dbs=w1:source,w2:source,w3:target', 'autokick=false');
    expect(sync.code, sync.stderr).toBe(0);

    const insert = (db: string, text: string, values: unknown[]) => sql(db, text, values);
    const intoMain = `INSERT INTO ${qualified} VALUES ($1, $2, $3, $4)`;
    const intoOther = `INSERT INTO public.${q(other)} VALUES ($1, $2, $3)`;
    await insert(weird.w1, intoMain, [1, "'); DROP TABLE x; --", '$bucardo$ end', '\\']);
    await insert(weird.w1, intoOther, ["k'; DROP TABLE x; --", 1, 'from w1']);
    await insert(weird.w2, intoMain, [2, 'ünï', null, '"; select pg_sleep(5); --']);
    await insert(weird.w2, intoOther, ['$$', 2, 'from w2']);
    const kicked = await bucardo('kick', 'sw', '0');
    expect(kicked.code, kicked.stdout + kicked.stderr).toBe(0);
    await sql(weird.w2, `UPDATE ${qualified} SET ${q(columns[0]!)} = 'changed; on w2' WHERE ${q(key)} = 1`);
    await sql(weird.w1, `DELETE FROM public.${q(other)} WHERE ${q('k"2')} = 2`);
    const again = await bucardo('kick', 'sw', '0');
    expect(again.code, again.stdout + again.stderr).toBe(0);

    const expected = [
      `(1,"changed; on w2","$bucardo$ end","\\\\")`,
      `(2,ünï,,"""; select pg_sleep(5); --")`,
    ];
    for (const db of Object.values(weird)) {
      const main = await sql(db, `SELECT t::text AS r FROM ${qualified} t ORDER BY 1`);
      expect(main.rows.map((row) => row.r), db).toEqual(expected);
      const second = await sql(db, `SELECT t::text AS r FROM public.${q(other)} t ORDER BY 1`);
      expect(second.rows.map((row) => row.r), db).toEqual([`("k'; DROP TABLE x; --",1,"from w1")`]);
      // the sentinel is intact, and the only new objects are Bucardo's capture objects on the sources
      expect((await sql(db, 'SELECT id FROM x')).rows, db).toEqual([{ id: 42 }]);
      // the replicated tables' rows changed (checked above); every other row fingerprint, the sentinel's among them, did not
      const replicatedRows = (item: string) => item.startsWith(`rows ${qualified}: `) || item.startsWith(`rows public.${q(other)}: `);
      const now = (await databaseObjects(at(db))).filter((item) => !replicatedRows(item));
      const then = before[db]!.filter((item) => !replicatedRows(item));
      expect(now.filter((item) => item.startsWith('rows public.x: ')), `the sentinel's rows on ${db}`).toHaveLength(1);
      expect(then.filter((item) => !now.includes(item)), `objects gone from ${db}`).toEqual([]);
      const added = now.filter((item) => !then.includes(item));
      for (const item of added) expect(item, db).toMatch(/^(schema bucardo|\w bucardo\.|trigger bucardo_capture\w* on |function bucardo\.)/);
      if (db === weird.w3) expect(added, 'the target gets no capture objects').toEqual([]);
    }
    expect((await sql(control, 'SELECT id FROM x')).rows).toEqual([{ id: 42 }]);
    // every listing and the status print the names as they are
    const listed = await bucardo('list', 'all');
    expect(listed.code, listed.stderr).toBe(0);
    for (const db of Object.values(weird)) expect(listed.stdout).toContain(db);
    expect(listed.stdout).toContain(qualified);
    const status = await bucardo('status', 'sw');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/Current state\s+: Good/);
  });
});
