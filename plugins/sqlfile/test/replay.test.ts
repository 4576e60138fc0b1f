/**
 * The test: the files of successive runs, replayed in order into an empty copy of the schema,
 * reproduce the source tables exactly. Two PostgreSQL sources (A, B) with tables of awkward values and
 * names, and two flat file targets (format sql, format copy) in one sync; several runs of inserts,
 * updates, deletes, key changes and conflicts, an empty run; then every file is replayed with
 * `psql -X -v ON_ERROR_STOP=1 -f FILE` (or, without psql, through `pg` and pg-copy-streams; the test's
 * name says which) into fresh databases, and every table is compared with the sources row by row as text.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { Bucardo } from '@bucardo/core';
import { standardPlugins } from '@bucardo/cli';
import type { RunReport } from '@bucardo/plugin-sdk';
import { publishedFiles, replayFile } from './support/replay-files.js';
import { bucardoEnv, controlOn, createDatabase, dbParamsOn, dropDatabase, runBucardo, serverFromInfo, uniqueName, withClient } from '@bucardo/test';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('sqlf_ctl');
const dbs = { a: uniqueName('sqlf_a'), b: uniqueName('sqlf_b') };
const replays = { sql: uniqueName('sqlf_rs'), copy: uniqueName('sqlf_rc'), pg: uniqueName('sqlf_rp') };
const root = mkdtempSync(join(tmpdir(), 'bucardo-sqlfile-e2e-'));
const dirs = { sql: join(root, 'sql'), copy: join(root, 'copy'), cli: join(root, 'cli') };

/** psql when it runs here, else the `pg` driver (SQL as simple queries, COPY blocks through pg-copy-streams). */
const psqlVersion = spawnSync('psql', ['--version'], { encoding: 'utf8' });
const havePsql = psqlVersion.status === 0;
const replayPath = havePsql ? psqlVersion.stdout.trim() : 'the pg driver and pg-copy-streams (psql not found)';

const SCHEMA = String.raw`
CREATE TABLE awkward (
  id int PRIMARY KEY, note text, b bytea, n numeric, ts timestamptz, j jsonb, js json, ia int[], ta text[],
  f float8, flag boolean, d date, iv interval, "Mixed Case Col" text, nothing text);
CREATE TABLE pair (n numeric, "B b" text, v numeric(12,3), note text, PRIMARY KEY (n, "B b"));
CREATE SCHEMA "Sales Data";
CREATE TABLE "Sales Data"."Order ""Lines""" (
  "Key Col" text PRIMARY KEY, "Mixed Case" text, qty int, b bytea, "Line No" bigint GENERATED ALWAYS AS IDENTITY);
CREATE TABLE k_bytea (k bytea PRIMARY KEY, v text);
CREATE TABLE k_ts (k timestamptz PRIMARY KEY, v text);
`;

/** Table → ORDER BY (its key), for comparing rows as text. */
const TABLES: Record<string, string> = {
  awkward: 'id',
  pair: 'n, "B b"',
  '"Sales Data"."Order ""Lines"""': '"Key Col"',
  k_bytea: 'k',
  k_ts: 'k',
};

const AWKWARD_COLUMNS = 'id, note, b, n, ts, j, js, ia, ta, f, flag, d, iv, "Mixed Case Col", nothing';
/** Rows for `awkward` as SQL value lists: [id, on which source, values after the id]. */
const awkwardRows: Array<[number, 'a' | 'b', string]> = [
  [1, 'a', String.raw`E'line1\nline2\t"q"\\ it''s', '\x00ff00', 1.50, '2024-01-01 00:00:00.123456+00',
    '{"q": "say \"hi\"", "nested": {"a": [1, "x\\y", null, {"k": "it''s"}]}, "uni": "ü日"}', '{"dup": 1, "dup": 2, "sp ace": "\t"}',
    '{1,NULL,3}', ARRAY['a"b', NULL, 'c,d', 'NULL', '', E'back\\slash', E'tab\t', '{}', E'new\nline'], 0.1, true, '2024-02-29',
    '1 year 2 mons 3 days 04:05:06.789', 'Mixed', NULL`],
  [2, 'b', 'NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL'],
  [3, 'a', String.raw`'', '\x', -1e-20, 'infinity', 'null', 'null', '{}', '{}', 'NaN', false, '-infinity', '-1 day', E'\\N', NULL`],
  [4, 'b', String.raw`E'\\N', '\x5c00', 'NaN', '-infinity', '[]', '[1, 2.50, "x"]', '{{1,2},{3,NULL}}', ARRAY[NULL]::text[], '-0', NULL,
    '0044-03-15 BC', '0', E'cr\rhere\r\n', NULL`],
  [5, 'a', String.raw`'ünïcødé – 日本語 🐘', E'\\x0a0d09', 123456789.123456789, '1999-12-31 23:59:59.999999-08', '{"\u00e9": "\u00e9 \" \\"}',
    '{"\u0000": "escaped nul, kept as text by json"}', '{-2147483648,2147483647}', '{"\"","\\",","}', 1e308, true, '2000-01-01',
    '00:00:00.000001', E'\u0001\u001f\u007f', NULL`],
  [6, 'b', String.raw`'''; DROP TABLE awkward; --', NULL, 0.000, '2000-01-01 00:00:00+14', '{"a": {"b": {"c": [[], {}, ""]}}}', '{}', NULL,
    '{NULL,NULL}', 4.9e-324, NULL, NULL, NULL, '$$:var :"x"', NULL`],
];

const orderLineKeys = ["it's", 'say "hi"', 'back\\slash', 'tab\there', 'new\nline', 'cr\rhere', '\\N', 'NULL', '', ' ', 'ü 🐘', 'trailing\\', '{x,"y"}'];
const byteaKeys = [Buffer.alloc(0), Buffer.from([0]), Buffer.from([0, 255, 0]), Buffer.from('\\'), Buffer.from('\'"'), Buffer.from('\\x41'), Buffer.from([0x5c, 0x78, 0x00])];
const tsKeys = ['2024-02-29 23:59:59.999999+00', '1970-01-01 00:00:00+00', '2000-01-01 12:00:00+05:30', 'infinity', '-infinity', '0044-03-15 12:00:00+00 BC'];
const pairKeys: Array<[string, string]> = [['1.50', 'x'], ['1.5', "y'"], ['-0.0001', 'a\tb'], ['12345678901234567890.5', 'new\nline'], ['0', '\\'], ['NaN', 'nan key']];

const sql = (db: string, text: string, params?: unknown[]) => withClient(server.url(db), (c) => c.query(text, params));
let bucardo: Bucardo | undefined;

beforeAll(async () => {
  await createDatabase(server, control);
  for (const db of Object.values(dbs)) {
    await createDatabase(server, db);
    await sql(db, SCHEMA);
  }
});

/** The Bucardo of this file (the standard plugins, as the CLI loads them), installed on first use. */
async function main(): Promise<Bucardo> {
  if (!bucardo) {
    bucardo = await Bucardo.open({
      plugins: standardPlugins(),
      control: controlOn(server, control),
      logLevel: 'warn',
    });
    await bucardo.install();
  }
  return bucardo;
}

afterAll(async () => {
  await bucardo?.close();
  for (const db of [...Object.values(dbs), ...Object.values(replays), control]) await dropDatabase(server, db);
  rmSync(root, { recursive: true, force: true });
});

async function tableText(db: string, table: string): Promise<string[]> {
  const result = await sql(db, `SELECT x::text AS r FROM ${table} AS x ORDER BY ${TABLES[table]}`);
  return result.rows.map((row: { r: string }) => row.r);
}

async function expectConverged(): Promise<void> {
  for (const table of Object.keys(TABLES)) expect(await tableText(dbs.b, table), table).toEqual(await tableText(dbs.a, table));
}

function expectGood(report: RunReport): void {
  expect(report.outcome, `run ${report.runId}: ${JSON.stringify(report.error ?? null)}`).toBe('good');
}

async function replayWithPsql(db: string, file: string): Promise<void> {
  const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', server.url(db), '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  expect(code, `psql -f ${file}:\n${output}`).toBe(0);
}

it(`replays every file in run order into an empty schema and gets the sources' tables exactly (replayed with ${replayPath})`, async () => {
  console.log(`[sqlfile replay] replaying with ${replayPath}`);
  const bucardo = await main();
  const conn = (db: string) => dbParamsOn(server, db);
  await bucardo.addDatabase('a', conn(dbs.a));
  await bucardo.addDatabase('b', conn(dbs.b));
  // the standard plugins know the type; flatpg is Bucardo's name for format copy
  await bucardo.addDatabase('fsql', { type: 'flatfile', dir: dirs.sql });
  const fcopy = await bucardo.addDatabase('fcopy', { type: 'flatpg', dir: dirs.copy });
  expect(fcopy.connection).toBe(`Dir: ${dirs.copy} (format copy)`);
  await expect(bucardo.addDatabase('fnodir', { type: 'flatfile' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', item: 'dir' });
  await bucardo.addTables(Object.keys(TABLES), { herd: 'h', db: 'a' });
  // a file cannot be a source
  await expect(bucardo.addDbGroup('bad', ['a:source', 'fsql:source'])).rejects.toMatchObject({ code: 'DB_ROLE_UNSUPPORTED', db: 'fsql' });
  await bucardo.addDbGroup('g', ['a:source', 'b:source', 'fsql:target', 'fcopy:target']);
  await bucardo.addSync('s', { herd: 'h', dbs: 'g', autokick: 'false' });
  const fileCounts: number[] = [];
  const runAndCheck = async (expectFile: boolean): Promise<RunReport> => {
    const report = await bucardo.runSync('s');
    if (expectFile) expectGood(report);
    else expect(report.outcome, JSON.stringify(report.error ?? null)).toBe('empty');
    await expectConverged();
    fileCounts.push(readdirSync(dirs.sql).length);
    expect(readdirSync(dirs.copy).length).toBe(readdirSync(dirs.sql).length);
    for (const dir of [dirs.sql, dirs.copy]) expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    return report;
  };

  // run 1: inserts on both sources, awkward values everywhere, 2500 generated rows (INSERT chunks of 1000)
  for (const [id, db, values] of awkwardRows) await sql(dbs[db], `INSERT INTO awkward (${AWKWARD_COLUMNS}) VALUES (${id}, ${values})`);
  await sql(dbs.a, `INSERT INTO awkward (id, note, n, ia, nothing)
    SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE 'bulk ' || g || E' \\\\ '' \t' END, g / 3.0, ARRAY[g, NULL], NULL FROM generate_series(1000, 3499) g`);
  await withClient(server.url(dbs.a), async (a) => withClient(server.url(dbs.b), async (b) => {
    for (const [i, key] of orderLineKeys.entries()) {
      await (i % 2 ? b : a).query(`INSERT INTO "Sales Data"."Order ""Lines""" ("Key Col", "Mixed Case", qty, b) OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4)`,
        [key, `from ${i % 2 ? 'B' : 'A'}: ${key}`, i, Buffer.from(key)]);
    }
    for (const [i, key] of byteaKeys.entries()) await (i % 2 ? b : a).query('INSERT INTO k_bytea VALUES ($1, $2)', [key, `bytea ${i}`]);
    for (const [i, key] of tsKeys.entries()) await (i % 2 ? b : a).query('INSERT INTO k_ts VALUES ($1, $2)', [key, `ts ${i}`]);
    for (const [i, [n, text]] of pairKeys.entries()) {
      // 1.50 and 1.5 are one numeric key: B's insert of (1.5, y') is a different key only by its text part
      await (i % 2 ? b : a).query('INSERT INTO pair VALUES ($1, $2, $3, $4)', [n, text, i === 0 ? '1.5' : String(i * 1.25), i % 3 ? null : `pair ${i}`]);
    }
  }));
  await runAndCheck(true);

  // run 2: updates and deletes on both sources, a key update, 1500 deletes (DELETE chunks), conflicts
  await sql(dbs.a, `UPDATE awkward SET note = E'updated on A\nwith ''quotes'' and \\\\', ia = '{}' WHERE id IN (1, 2)`);
  await sql(dbs.b, `UPDATE awkward SET note = 'B wins? later', b = '\\xdeadbeef' WHERE id IN (2, 4)`); // id 2: update/update conflict
  await sql(dbs.a, 'UPDATE awkward SET id = 10003 WHERE id = 3'); // key change: delete 3, insert 10003
  await sql(dbs.b, 'DELETE FROM awkward WHERE id BETWEEN 2000 AND 3499'); // 1500 deletes of rows A inserted
  await sql(dbs.a, `UPDATE "Sales Data"."Order ""Lines""" SET "Mixed Case" = E'A changed\ttab' WHERE "Key Col" IN ('it''s', E'tab\there')`);
  await sql(dbs.b, `DELETE FROM "Sales Data"."Order ""Lines""" WHERE "Key Col" IN ('say "hi"', '')`);
  await sql(dbs.a, "DELETE FROM k_bytea WHERE k = '\\x'");
  await sql(dbs.b, "UPDATE k_ts SET v = 'B updated infinity' WHERE k = 'infinity'");
  await sql(dbs.a, "UPDATE k_ts SET v = 'A updated infinity, later' WHERE k = 'infinity'"); // conflict, A is later
  await sql(dbs.b, "UPDATE pair SET v = 99.999, note = E'x\\\\y' WHERE n = 1.5 AND \"B b\" = 'x'");
  await sql(dbs.a, "DELETE FROM pair WHERE \"B b\" = 'nan key'");
  const second = await runAndCheck(true);
  expect(second.conflicts).toBeGreaterThanOrEqual(2);

  // run 3: nothing changed: no file
  await runAndCheck(false);

  // run 4: update/delete and insert/insert conflicts, re-inserts of deleted keys, a NULL-only column set
  await sql(dbs.a, 'DELETE FROM awkward WHERE id = 5');
  await sql(dbs.b, "UPDATE awkward SET note = 'B updated 5 after A deleted it' WHERE id = 5");
  await sql(dbs.b, `INSERT INTO awkward (id, note) VALUES (7, 'B first')`);
  await sql(dbs.a, `INSERT INTO awkward (id, note, j) VALUES (7, 'A second', '{"x": "A"}')`);
  await sql(dbs.a, `INSERT INTO "Sales Data"."Order ""Lines""" ("Key Col", qty) OVERRIDING SYSTEM VALUE VALUES ('say "hi"', -1)`);
  await sql(dbs.b, `INSERT INTO k_bytea VALUES ('\\x', 'back again')`);
  await sql(dbs.b, "UPDATE awkward SET note = NULL, b = NULL, j = NULL WHERE id BETWEEN 1000 AND 1100");
  await runAndCheck(true);

  // run 5: one table emptied entirely, another refilled
  await sql(dbs.b, 'DELETE FROM k_ts');
  await sql(dbs.a, "INSERT INTO k_ts VALUES ('2038-01-19 03:14:08.000001+00', E'after\\nthe purge')");
  await sql(dbs.a, 'DELETE FROM awkward WHERE id BETWEEN 1000 AND 1999');
  await runAndCheck(true);

  expect(fileCounts).toEqual([1, 2, 2, 3, 4]);
  const sqlFiles = publishedFiles(dirs.sql);
  const copyFiles = publishedFiles(dirs.copy);
  for (const file of sqlFiles) expect(file).toMatch(/\/bucardo\.flatfile\.s\.\d{8}_\d{6}\.\d+\.sql$/);
  expect(readFileSync(sqlFiles[0]!, 'utf8')).toMatch(/INSERT INTO "Sales Data"\."Order ""Lines""" \("Key Col", "Mixed Case", "qty", "b", "Line No"\) OVERRIDING SYSTEM VALUE VALUES\n/);
  expect(readFileSync(copyFiles[0]!, 'utf8')).toContain('COPY "Sales Data"."Order ""Lines""" ("Key Col", "Mixed Case", "qty", "b", "Line No") FROM stdin;\n');
  expect(readFileSync(sqlFiles[1]!, 'utf8').match(/^DELETE FROM "public"\."awkward" /gm)!.length).toBeGreaterThanOrEqual(2); // 1500+ keys: chunked

  // replay: fresh databases with the same CREATE TABLEs, every file in order
  for (const db of Object.values(replays)) {
    await createDatabase(server, db);
    await sql(db, SCHEMA);
  }
  const replay = havePsql ? replayWithPsql : (db: string, file: string) => replayFile(server.url(db), file);
  for (const file of sqlFiles) await replay(replays.sql, file);
  for (const file of copyFiles) await replay(replays.copy, file);
  for (const file of copyFiles) await replayFile(server.url(replays.pg), file); // the fallback path, kept working
  for (const table of Object.keys(TABLES)) {
    const expected = await tableText(dbs.a, table);
    expect(expected.length, table).toBeGreaterThan(0);
    expect(await tableText(replays.sql, table), `${table} replayed from format sql`).toEqual(expected);
    expect(await tableText(replays.copy, table), `${table} replayed from format copy`).toEqual(expected);
    expect(await tableText(replays.pg, table), `${table} replayed from format copy through pg`).toEqual(expected);
  }
});

it('is known to the bucardo command out of the box', async () => {
  await main();
  const env = bucardoEnv(server, control);
  const added = await runBucardo(['add', 'db', 'fcli', 'type=flatsql', `dir=${dirs.cli}`], { env });
  expect(added.code, added.stderr).toBe(0);
  const listed = await runBucardo(['list', 'dbs'], { env });
  expect(listed.code, listed.stderr).toBe(0);
  expect(listed.stdout).toMatch(new RegExp(`fcli .*Dir: ${dirs.cli.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(format sql\\)`));
  const bad = await runBucardo(['add', 'db', 'fbad', 'type=flatfile', 'format=csv', `dir=${dirs.cli}`], { env });
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain('INVALID_ARGUMENT');
});
