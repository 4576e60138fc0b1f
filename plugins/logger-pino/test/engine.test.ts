/**
 * The pino logger loaded through the engine, as a config selects it (`logger: 'pino'`): a real sync
 * between two databases on the test server, its lines read back from the log file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { Bucardo } from '@bucardo/core';
import { standardPlugins } from '@bucardo/cli';
import { controlOn, createDatabase, dbParamsOn, dropDatabase, serverFromInfo, uniqueName, withClient } from '@bucardo/test';
import { loggerPino } from '../src/index.js';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('pino_ctl');
const dbs = { a: uniqueName('pino_a'), b: uniqueName('pino_b') };
const dir = mkdtempSync(join(tmpdir(), 'bucardo-logger-pino-e2e-'));
const file = join(dir, 'logs', 'bucardo.json');
const sql = (db: string, text: string) => withClient(server.url(db), (c) => c.query(text));

let bucardo: Bucardo | undefined;

beforeAll(async () => {
  for (const db of Object.values(dbs)) {
    await createDatabase(server, db);
    await sql(db, 'CREATE TABLE t (id int PRIMARY KEY, v text)');
  }
});

afterAll(async () => {
  await bucardo?.close();
  for (const db of [...Object.values(dbs), control]) await dropDatabase(server, db);
  rmSync(dir, { recursive: true, force: true });
});

it('logs a sync run as JSON lines with role, sync, run and the run summary', async () => {
  bucardo = await Bucardo.open({
    plugins: [loggerPino(), ...standardPlugins()],
    logger: 'pino',
    loggerOptions: { destination: file },
    logLevel: 'verbose',
    control: controlOn(server, control),
  });
  await bucardo.install();
  for (const [name, db] of Object.entries(dbs)) {
    await bucardo.addDatabase(name, dbParamsOn(server, db));
  }
  await bucardo.addTables(['t'], { herd: 'h', db: 'a' });
  await bucardo.addDbGroup('g', ['a:source', 'b:target']);
  await bucardo.addSync('s', { herd: 'h', dbs: 'g', autokick: 'false' });
  await sql(dbs.a, "INSERT INTO t VALUES (1, 'one')");

  const report = await bucardo.runSync('s');
  expect(report.outcome, JSON.stringify(report.error)).toBe('good');
  expect((await sql(dbs.b, 'SELECT id, v FROM t')).rows).toEqual([{ id: 1, v: 'one' }]);

  // written synchronously: the file is complete as soon as the run returns, before any flush
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) {
    expect(line).toMatchObject({ role: 'api', time: expect.any(Number), level: expect.any(Number), bucardoLevel: expect.any(String), msg: expect.any(String) });
    expect(['warn', 'terse', 'normal', 'verbose']).toContain(line.bucardoLevel); // nothing past the verbose threshold
  }
  const runLines = lines.filter((line) => line.run === report.runId);
  expect(runLines.length).toBeGreaterThan(0);
  for (const line of runLines) expect(line.sync).toBe('s');
  const summary = runLines.find((line) => typeof line.msg === 'string' && line.msg.startsWith('Sync "s" good: 1 inserts, 0 deletes, 0 conflicts'));
  expect(summary, JSON.stringify(runLines, null, 1)).toMatchObject({ level: 30, bucardoLevel: 'normal', role: 'api', sync: 's', run: report.runId });
  // a verbose line of the run (the per-table counts) passes the verbose threshold
  expect(runLines.some((line) => line.bucardoLevel === 'verbose' && line.level === 20)).toBe(true);
});
