/**
 * A source's TRUNCATE with a flat file target beside a PostgreSQL one (a walk-through's find): the file
 * empties the table as its replay will, `DELETE FROM` every row, then the source's rows after the
 * truncate; the run is good and the PostgreSQL target gets it too. Before, a file could not empty a table,
 * and every run of the sync failed on it, for every target, until the file was taken out of the sync.
 * Both formats; the files replay into a database that had the old rows, ending equal to the source. The
 * file's settings include `lc_monetary` C, under which the source printed its money values. A directory
 * removed while a run writes into it: the run's transactions are in no file, and the error says so (it
 * said they stayed in the `.tmp` file, which had gone with the directory).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Bucardo } from '@bucardo/core';
import { standardPlugins } from '@bucardo/cli';
import { definePlugin } from '@bucardo/plugin-sdk';
import { publishedFiles, replayFile } from './support/replay-files.js';
import { controlOn, createDatabase, dbParamsOn, dropDatabase, serverFromInfo, uniqueName, withClient } from '@bucardo/test';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('sqlf_tr_ctl');
const source = uniqueName('sqlf_tr_src');
const target = uniqueName('sqlf_tr_tgt');
const replicas = { sql: uniqueName('sqlf_tr_rep_sql'), copy: uniqueName('sqlf_tr_rep_copy') };
const dirs = { sql: mkdtempSync(join(tmpdir(), 'bucardo-sqlfile-tr-sql-')), copy: mkdtempSync(join(tmpdir(), 'bucardo-sqlfile-tr-copy-')) };
const SCHEMA = "CREATE TABLE t (id int PRIMARY KEY, v text, price money); INSERT INTO t SELECT g, 'old ' || g, g * 1.5 FROM generate_series(1, 10) g";

const sql = (db: string, text: string) => withClient(server.url(db), (c) => c.query(text));
const rows = async (db: string) => (await sql(db, 'SELECT id, v, price::numeric AS price FROM t ORDER BY id')).rows as unknown[];
let bucardo: Bucardo | undefined;
let removeDirectory = false;

beforeAll(async () => {
  for (const db of [control, source, target, ...Object.values(replicas)]) await createDatabase(server, db);
  for (const db of [source, target, ...Object.values(replicas)]) await sql(db, SCHEMA);
  bucardo = await Bucardo.open({
    plugins: [definePlugin({ name: 'directory-remover', apply: (host) => {
      // after the core's apply: the run's files are open, and their directory goes
      host.hooks.apply.tap({ name: 'directory-remover', stage: 100 }, (outcome) => {
        if (removeDirectory) rmSync(dirs.sql, { recursive: true, force: true });
        return outcome;
      });
    } }), ...standardPlugins()],
    control: controlOn(server, control),
    logLevel: 'warn',
  });
  await bucardo.install();
  await bucardo.addDatabase('src', dbParamsOn(server, source));
  await bucardo.addDatabase('tgt', dbParamsOn(server, target));
  await bucardo.addDatabase('fsql', { type: 'flatsql', dir: dirs.sql });
  await bucardo.addDatabase('fcopy', { type: 'flatfile', dir: dirs.copy, format: 'copy' });
  await bucardo.addTables(['t'], { herd: 'h', db: 'src' });
  await bucardo.addSync('s', { herd: 'h', dbs: 'src:source,tgt:target,fsql:target,fcopy:target', autokick: 'false' });
});

afterAll(async () => {
  await bucardo?.close();
  for (const db of [source, target, ...Object.values(replicas), control]) await dropDatabase(server, db);
  for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true });
});

describe('a TRUNCATE on the source, with flat file targets', () => {
  it('the files empty the table and carry the rows after it; every target and every replay ends equal to the source', async () => {
    await sql(source, "TRUNCATE t; INSERT INTO t VALUES (20, 'after the truncate', 1234.5), (21, 'O''Brien\\\\', 0)");
    const report = await bucardo!.runSync('s');
    expect(report.outcome, JSON.stringify(report.error ?? null)).toBe('good');
    expect(await rows(target)).toEqual(await rows(source));
    for (const format of ['sql', 'copy'] as const) {
      const files = publishedFiles(dirs[format]);
      expect(files, format).toHaveLength(1);
      const text = readFileSync(files[0]!, 'utf8');
      expect(text, format).toContain("SET LOCAL lc_monetary = 'C';\n");
      expect(text, format).toContain('-- public.t: every row deleted\nDELETE FROM ONLY "public"."t";\n');
      await replayFile(server.url(replicas[format]), files[0]!);
      expect(await rows(replicas[format]), format).toEqual(await rows(source));
    }
    // and the sync goes on as usual
    await sql(source, "UPDATE t SET v = 'later' WHERE id = 20");
    expect((await bucardo!.runSync('s')).outcome).toBe('good');
    expect(await rows(target)).toEqual(await rows(source));
  });
});

describe('the directory removed while a run writes into it', () => {
  it('says the transactions are in no file and how to give the reader a whole copy; the next run writes there again', async () => {
    await sql(source, "UPDATE t SET v = 'lost downstream' WHERE id = 21");
    removeDirectory = true;
    let report;
    try {
      report = await bucardo!.runSync('s');
    } finally {
      removeDirectory = false;
    }
    expect(report.outcome).toBe('bad');
    expect(report.error?.message).toMatch(/Cannot publish .*\.sql, and .*\.sql\.tmp is gone \(its directory removed\?\): the transactions of run \d+ of sync "s" are in no file, and no run sends them again; bucardo update sync s onetimecopy=1 writes a whole copy for the files' reader \(and copies every table to the sync's other targets again\)/);
    await sql(source, "UPDATE t SET v = 'next' WHERE id = 20");
    expect((await bucardo!.runSync('s')).outcome).toBe('good');
    expect(readdirSync(dirs.sql).filter((name) => name.endsWith('.sql'))).toHaveLength(1);
  });
});
