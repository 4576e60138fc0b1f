/**
 * onetimecopy with a flat file target (sync s3: t1 → f1): `onetimecopy=1` empties each table in the file
 * (`DELETE FROM` every row, as the replaying database runs it; it was refused when a file had no way to
 * empty a table), so a row only the replaying database had is gone; a new onetimecopy setting starts a
 * fresh copy rather than resuming an earlier one; and the copies' files replay with psql, twice, into a
 * database that already has the rows, ending equal to the source.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { Bucardo } from '@bucardo/core';
import { standardPlugins } from '@bucardo/cli';
import { publishedFiles, replayFile } from './support/replay-files.js';
import { bucardoEnv, controlOn, createDatabase, dbParamsOn, dropDatabase, runBucardo, serverFromInfo, uniqueName, withClient } from '@bucardo/test';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('sqlf_otc_ctl');
const source = uniqueName('sqlf_otc_t1');
const replica = uniqueName('sqlf_otc_rep');
const dir = mkdtempSync(join(tmpdir(), 'bucardo-sqlfile-otc-'));
const havePsql = spawnSync('psql', ['--version']).status === 0;

const SCHEMA = `
CREATE TABLE kv (id int PRIMARY KEY, v text);
CREATE TABLE kv2 (a int, b text, note text, PRIMARY KEY (a, b));
INSERT INTO kv SELECT g, 'value ' || g FROM generate_series(1, 25) g;
INSERT INTO kv2 VALUES (1, 'x', 'the one row');
`;

const sql = (db: string, text: string, params?: unknown[]) => withClient(server.url(db), (c) => c.query(text, params));
let bucardo: Bucardo | undefined;

beforeAll(async () => {
  for (const db of [control, source, replica]) await createDatabase(server, db);
  await sql(source, SCHEMA);
  // the replica already has the rows the copy carries
  await sql(replica, SCHEMA);
});

afterAll(async () => {
  await bucardo?.close();
  for (const db of [source, replica, control]) await dropDatabase(server, db);
  rmSync(dir, { recursive: true, force: true });
});

async function rows(db: string): Promise<string[]> {
  const result = await sql(db, 'SELECT (SELECT array_agg(x::text ORDER BY id) FROM kv x) AS kv, (SELECT array_agg(y::text ORDER BY a, b) FROM kv2 y) AS kv2');
  return [String(result.rows[0].kv), String(result.rows[0].kv2)];
}

async function replay(file: string): Promise<void> {
  if (!havePsql) return replayFile(server.url(replica), file);
  const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', server.url(replica), '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  expect(code, `psql -f ${file}:\n${output}`).toBe(0);
}

it('onetimecopy=1 empties the tables in the file, a new setting starts a fresh copy, and the copies replay twice', async () => {
  bucardo = await Bucardo.open({
    plugins: standardPlugins(),
    control: controlOn(server, control),
    logLevel: 'warn',
  });
  await bucardo.install();
  await bucardo.addDatabase('t1', dbParamsOn(server, source));
  await bucardo.addDatabase('f1', { type: 'flatsql', dir });
  await bucardo.addTables(['kv', 'kv2'], { herd: 'h', db: 't1' });
  await bucardo.addSync('s3', { herd: 'h', dbs: 't1:source,f1:target', autokick: 'false' });
  // a row only the replica has: onetimecopy=1 makes the targets equal to the source, so its replay drops it
  await sql(replica, "INSERT INTO kv VALUES (99, 'only on the replica')");

  // 1: onetimecopy=1 (it was refused: a file could not empty a table); the file deletes every row first
  const env = bucardoEnv(server, control);
  const whole = await runBucardo(['update', 'sync', 's3', 'onetimecopy=1'], { env });
  expect(whole.code, whole.stdout + whole.stderr).toBe(0);
  const emptied = await bucardo.runSync('s3');
  expect(emptied.outcome, JSON.stringify(emptied.error ?? null)).toBe('good');
  const [emptyingFile] = publishedFiles(dir);
  const emptyingText = readFileSync(emptyingFile!, 'utf8');
  expect(emptyingText).toContain('-- public.kv: every row deleted\nDELETE FROM ONLY "public"."kv";\n');
  expect(emptyingText).toContain('-- public.kv2: every row deleted\nDELETE FROM ONLY "public"."kv2";\n');

  // 2: a new setting starts a fresh copy: the progress an earlier copy left is discarded
  await sql(control, `INSERT INTO bucardo.copy_progress (sync, schemaname, tablename, targets, rows, done)
    VALUES ('s3', 'public', 'kv2', '{}', 0, true) ON CONFLICT DO NOTHING`);
  const switched = await runBucardo(['update', 'sync', 's3', 'onetimecopy=2'], { env });
  expect(switched.code, switched.stdout + switched.stderr).toBe(0);
  expect(Number((await sql(control, "SELECT count(*) AS n FROM bucardo.copy_progress WHERE sync = 's3'")).rows[0].n)).toBe(0);

  const copied = await bucardo.runSync('s3');
  expect(copied.outcome, JSON.stringify(copied.error ?? null)).toBe('good');
  const copyFile = publishedFiles(dir)[1];
  const text = readFileSync(copyFile!, 'utf8');
  expect(text).toMatch(/DELETE FROM "public"\."kv" WHERE "id" IN \('1'::integer, .*'25'::integer\);\nINSERT INTO "public"\."kv"/);
  expect(text).toContain(`DELETE FROM "public"."kv2" WHERE ("a", "b") IN (('1'::integer, 'x'::text));\nINSERT INTO "public"."kv2"`);

  // 3: later changes in a run of their own, then every file replayed in order, twice
  await sql(source, "UPDATE kv SET v = 'changed' WHERE id = 3; DELETE FROM kv WHERE id = 4; INSERT INTO kv VALUES (26, 'new')");
  const delta = await bucardo.runSync('s3');
  expect(delta.outcome, JSON.stringify(delta.error ?? null)).toBe('good');
  const files = publishedFiles(dir);
  expect(files).toHaveLength(3);
  for (let pass = 0; pass < 2; pass++) {
    for (const file of files) await replay(file);
    expect(await rows(replica), `after pass ${pass + 1}`).toEqual(await rows(source));
  }
});
