/**
 * A run of several transactions that fails in its third on a PostgreSQL target (a CHECK constraint), with
 * a flat file target beside it: the first two transactions committed everywhere, and the next run resumes
 * after them, so they never come again. The file target keeps them: the bad run's file is published with
 * them. Replaying every file in order then gives the source's rows. (Before, a bad run's file was
 * removed, and keys 1–4 were in no file at all.)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { Bucardo } from '@bucardo/core';
import { standardPlugins } from '@bucardo/cli';
import { publishedFiles, replayFile } from './support/replay-files.js';
import { controlOn, createDatabase, dbParamsOn, dropDatabase, serverFromInfo, uniqueName, withClient } from '@bucardo/test';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('sqlr_ctl');
const dbs = { a: uniqueName('sqlr_a'), b: uniqueName('sqlr_b'), replay: uniqueName('sqlr_r') };
const dir = mkdtempSync(join(tmpdir(), 'bucardo-sqlfile-resume-'));
const sql = (db: string, text: string) => withClient(server.url(db), (c) => c.query(text));
let bucardo: Bucardo;

beforeAll(async () => {
  await createDatabase(server, control);
  for (const db of Object.values(dbs)) {
    await createDatabase(server, db);
    await sql(db, 'CREATE TABLE t (id int PRIMARY KEY, v text)');
  }
  // two keys per transaction: six new keys are three transactions
  bucardo = await Bucardo.open({
    plugins: standardPlugins(), batchSize: 2, logLevel: 'warn',
    control: controlOn(server, control),
  });
  await bucardo.install();
  const params = (dbname: string) => dbParamsOn(server, dbname);
  await bucardo.addDatabase('a', params(dbs.a));
  await bucardo.addDatabase('b', params(dbs.b));
  await bucardo.addDatabase('f', { type: 'flatfile', dir });
  await bucardo.addTables(['t'], { herd: 'h', db: 'a' });
  await bucardo.addSync('s', { herd: 'h', dbs: 'a:source,b:target,f:target', autokick: 'false' });
});

afterAll(async () => {
  await bucardo?.close();
  for (const db of [...Object.values(dbs), control]) await dropDatabase(server, db);
  rmSync(dir, { recursive: true, force: true });
});

it('a bad run\'s committed transactions are in its published file; replaying every file gives the source\'s rows', async () => {
  await sql(dbs.b, 'ALTER TABLE t ADD CONSTRAINT no_five CHECK (id <> 5)');
  await sql(dbs.a, "INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 6) i");
  const failed = await bucardo.runSync('s');
  expect(failed.outcome).toBe('bad');
  expect(failed.error).toMatchObject({ code: 'APPLY_FAILED', db: 'b' });
  expect((await sql(dbs.b, 'SELECT array_agg(id ORDER BY id) AS ids FROM t')).rows[0].ids).toEqual([1, 2, 3, 4]);
  const [badRunFile, ...others] = publishedFiles(dir);
  expect(others).toEqual([]);
  expect(badRunFile).toContain(`.${failed.runId}.sql`);
  expect(readFileSync(badRunFile!, 'utf8').match(/^-- bucardo: end of transaction [0-9a-f]{16}$/gm)).toHaveLength(2);

  await sql(dbs.b, 'ALTER TABLE t DROP CONSTRAINT no_five');
  const resumed = await bucardo.runSync('s');
  expect(resumed.outcome, JSON.stringify(resumed.error ?? null)).toBe('good');
  // the resumed run carries only the third transaction
  expect(resumed.inserts).toBe(2);
  const files = publishedFiles(dir);
  expect(files).toHaveLength(2);
  for (const file of files) await replayFile(server.url(dbs.replay), file);
  const rows = async (db: string) => (await sql(db, 'SELECT id, v FROM t ORDER BY id')).rows;
  expect(await rows(dbs.replay)).toEqual(await rows(dbs.a));
  expect(await rows(dbs.b)).toEqual(await rows(dbs.a));
});
