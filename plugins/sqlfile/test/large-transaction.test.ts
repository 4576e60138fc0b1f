/**
 * A transaction larger than the flat file's `bufferBytes` (set low in bucardo.config.ts, as a user with
 * a small host would): a source's TRUNCATE and 6,000 rows written after it make one transaction (the
 * table copied whole), which the file target writes on to its `.tmp` file as it comes instead of holding
 * it whole until the commit (it held about twice its text). Both formats replay into databases that had
 * the old rows and end equal to the source. A `bufferBytes` that is no positive whole number is refused
 * at start, naming it.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { publishedFiles, replayFile } from './support/replay-files.js';
import { bucardoEnv, createDatabase, dropDatabase, repoRoot, runBucardo, serverFromInfo, uniqueName, withClient, type CliResult } from '@bucardo/test';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('sqlf_big_ctl');
const source = uniqueName('sqlf_big_src');
const replicas = { sql: uniqueName('sqlf_big_rep_sql'), copy: uniqueName('sqlf_big_rep_copy') };
const root = join(repoRoot, 'test', '.tmp', uniqueName('sqlfile_big'));
const dirs = { sql: join(root, 'out-sql'), copy: join(root, 'out-copy') };
const BUFFER_BYTES = 4096;
const SCHEMA = "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'old ' || g FROM generate_series(1, 50) g";

const sql = (db: string, text: string) => withClient(server.url(db), (c) => c.query(text));
const rows = async (db: string) => (await sql(db, 'SELECT id, v FROM t ORDER BY id')).rows as unknown[];
const env = bucardoEnv(server, control);
const bucardo = (cwd: string, ...args: string[]): Promise<CliResult> => runBucardo(args, { env, cwd });
const ok = async (...args: string[]) => {
  const result = await bucardo(root, ...args);
  expect(result.code, `bucardo ${args.join(' ')}\n${result.stdout}${result.stderr}`).toBe(0);
  return result.stdout;
};
const config = (options: string) => `
  import { defineConfig } from '@bucardo/plugin-sdk';
  import { targetSqlfile } from '@bucardo/target-sqlfile';
  export default defineConfig({ plugins: [targetSqlfile(${options})] });
`;

beforeAll(async () => {
  for (const db of [control, source, ...Object.values(replicas)]) await createDatabase(server, db);
  for (const db of [source, ...Object.values(replicas)]) await sql(db, SCHEMA);
  mkdirSync(join(root, 'bad'), { recursive: true });
  writeFileSync(join(root, 'bucardo.config.ts'), config(`{ bufferBytes: ${BUFFER_BYTES} }`));
  writeFileSync(join(root, 'bad', 'bucardo.config.ts'), config('{ bufferBytes: 0 }'));
});

afterAll(async () => {
  for (const db of [source, ...Object.values(replicas), control]) await dropDatabase(server, db);
  rmSync(root, { recursive: true, force: true });
});

it('a transaction beyond bufferBytes is written on as it comes; both formats replay equal to the source', async () => {
  await ok('install');
  await ok('add', 'db', 'src', `dbname=${source}`);
  await ok('add', 'db', 'fsql', 'type=flatfile', `dir=${dirs.sql}`);
  await ok('add', 'db', 'fcopy', 'type=flatfile', `dir=${dirs.copy}`, 'format=copy');
  await ok('add', 'table', 't', 'db=src', 'herd=h');
  await ok('add', 'sync', 's', 'herd=h', 'dbs=src:source,fsql:target,fcopy:target', 'autokick=false');

  // one transaction on the source: the table emptied and filled again, values that need escaping included
  await sql(source, `TRUNCATE t; INSERT INTO t SELECT g, repeat('row ' || g || E' tab\\there, new\\nline, quote '' and é ', 3) FROM generate_series(1, 6000) g`);
  expect(await ok('kick', 's', '60')).toMatch(/DONE!/);

  for (const format of ['sql', 'copy'] as const) {
    const files = publishedFiles(dirs[format]);
    expect(files, format).toHaveLength(1);
    // far more than the buffer: the transaction went to the file in many writes
    expect(statSync(files[0]!).size, format).toBeGreaterThan(100 * BUFFER_BYTES);
    await replayFile(server.url(replicas[format]), files[0]!);
    expect(await rows(replicas[format]), `${format} replayed`).toEqual(await rows(source));
  }
});

it('a bufferBytes that is no positive whole number is refused at start, naming it', async () => {
  const result = await bucardo(join(root, 'bad'), 'list', 'dbs');
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('sqlfile: bufferBytes must be a positive integer, not 0');
});
