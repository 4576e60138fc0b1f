/**
 * onetimecopy with a flat file target (sync s3: t1 → f1): `onetimecopy=1` is refused where a receiver
 * cannot empty a table (it used to be accepted and fail every run); a new onetimecopy setting starts a
 * fresh copy rather than resuming a failed one; and the copy's files replay with psql, twice, into a
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
import { bucardoEnv, createDatabase, dropDatabase, runBucardo, serverFromInfo, uniqueName, withClient } from '@bucardo/test';

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

it('refuses onetimecopy=1 for a flat file, starts a fresh copy on a new setting, and writes a copy that replays twice', async () => {
  bucardo = await Bucardo.open({
    plugins: standardPlugins(),
    control: { dbname: control, host: server.host, port: server.port, user: server.user, password: server.password },
    logLevel: 'warn',
  });
  await bucardo.install();
  await bucardo.addDatabase('t1', { dbname: source, host: server.host, port: String(server.port), user: server.user, pass: server.password });
  await bucardo.addDatabase('f1', { type: 'flatsql', dir });
  await bucardo.addTables(['kv', 'kv2'], { herd: 'h', db: 't1' });
  await expect(bucardo.addSync('s4', { herd: 'h', dbs: 't1:source,f1:target', onetimecopy: '1' }))
    .rejects.toMatchObject({ code: 'DB_ROLE_UNSUPPORTED', db: 'f1', sync: 's4', item: 'onetimecopy' });
  await bucardo.addSync('s3', { herd: 'h', dbs: 't1:source,f1:target', autokick: 'false' });

  // 1: update sync refuses, names the database, suggests onetimecopy=2, changes nothing
  const env = bucardoEnv(server, control);
  const refused = await runBucardo(['update', 'sync', 's3', 'onetimecopy=1'], { env });
  expect(refused.code, refused.stdout + refused.stderr).toBe(1);
  expect(refused.stderr).toContain('"f1"');
  expect(refused.stderr).toContain('onetimecopy=2');
  expect(refused.stderr).toContain('DB_ROLE_UNSUPPORTED');
  expect((await sql(control, "SELECT onetimecopy FROM bucardo.sync WHERE name = 's3'")).rows[0].onetimecopy).toBe(0);

  // 2: a copy that failed under an older version left progress behind (kv started, kv2 marked done)
  await sql(control, "UPDATE bucardo.sync SET onetimecopy = 1 WHERE name = 's3'");
  const failed = await bucardo.runSync('s3');
  expect(failed.outcome).toBe('bad');
  expect(failed.error).toMatchObject({ code: 'DB_ROLE_UNSUPPORTED', db: 'f1' });
  await sql(control, `INSERT INTO bucardo.copy_progress (sync, schemaname, tablename, targets, rows, done)
    VALUES ('s3', 'public', 'kv2', '{}', 0, true) ON CONFLICT DO NOTHING`);
  expect(Number((await sql(control, "SELECT count(*) AS n FROM bucardo.copy_progress WHERE sync = 's3'")).rows[0].n)).toBe(2);
  const switched = await runBucardo(['update', 'sync', 's3', 'onetimecopy=2'], { env });
  expect(switched.code, switched.stdout + switched.stderr).toBe(0);
  expect(Number((await sql(control, "SELECT count(*) AS n FROM bucardo.copy_progress WHERE sync = 's3'")).rows[0].n)).toBe(0);

  const copied = await bucardo.runSync('s3');
  expect(copied.outcome, JSON.stringify(copied.error ?? null)).toBe('good');
  const [copyFile] = publishedFiles(dir);
  const text = readFileSync(copyFile!, 'utf8');
  expect(text).toMatch(/DELETE FROM "public"\."kv" WHERE "id" IN \('1'::integer, .*'25'::integer\);\nINSERT INTO "public"\."kv"/);
  expect(text).toContain(`DELETE FROM "public"."kv2" WHERE ("a", "b") IN (('1'::integer, 'x'::text));\nINSERT INTO "public"."kv2"`);

  // 3: later changes in a run of their own, then every file replayed in order, twice
  await sql(source, "UPDATE kv SET v = 'changed' WHERE id = 3; DELETE FROM kv WHERE id = 4; INSERT INTO kv VALUES (26, 'new')");
  const delta = await bucardo.runSync('s3');
  expect(delta.outcome, JSON.stringify(delta.error ?? null)).toBe('good');
  const files = publishedFiles(dir);
  expect(files).toHaveLength(2);
  for (let pass = 0; pass < 2; pass++) {
    for (const file of files) await replay(file);
    expect(await rows(replica), `after pass ${pass + 1}`).toEqual(await rows(source));
  }
});
