/**
 * The file of a run: written to a `.tmp` name, published by rename when the run ends if it holds a
 * committed transaction (a bad run's too: the next run resumes after them), removed otherwise; a
 * rolled-back transaction leaves nothing, also once `prepareCommit` wrote it; a file left unpublished (a
 * process stopped, a publish failed) is published by the next run of its sync, cut after its last whole
 * transaction; a session kept across runs writes one file per run. Also the database parameters
 * (`bucardo add db … type=flatfile dir=…`) and the ping.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RowBatch, encodeKey, silentLogger, type ApplyBatch, type DatabaseDriver, type DatabaseSpec, type RunInfo, type TableShape } from '@bucardo/plugin-sdk';
import { SqlfileTarget, resolveOptions, sqlfileDrivers, targetSqlfile, type SqlfileSession } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'bucardo-sqlfile-unit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const newDir = () => join(root, `d${++dirs}`);

const shape: TableShape = {
  table: { schema: 'public', name: 'Tab le' },
  columns: [{ name: 'id', type: 'integer' }, { name: 'v', type: 'text' }],
  key: [{ name: 'id', type: 'integer' }],
  keySource: 'primary key',
};
const signal = new AbortController().signal;
const batch = (deletes: string[], rows: Array<[string, string | null]>): ApplyBatch => ({
  shape, deletes, rows: [RowBatch.fromRows('A', shape, rows)], signal,
});
const run = (runId: string, at = '2024-05-06T07:08:09Z'): RunInfo => ({ sync: 'mysync', runId, startedAt: new Date(at) });

async function openSession(dir: string, format: 'sql' | 'copy' = 'sql', bufferBytes?: number): Promise<SqlfileSession> {
  const spec: DatabaseSpec = { name: 'f1', type: 'flatfile', params: { dir, format } };
  return new SqlfileTarget(resolveOptions(bufferBytes === undefined ? {} : { bufferBytes })).open(spec, { log: silentLogger, label: 'test' });
}

const files = (dir: string) => readdirSync(dir).sort();

describe('a run', () => {
  it('writes to a .tmp file and renames it after a good run', async () => {
    const dir = newDir();
    const session = await openSession(dir);
    await session.beginRun(run('7'));
    expect(files(dir)).toEqual(['bucardo.flatfile.mysync.20240506_070809.7.sql.tmp']);
    await session.begin(signal);
    const result = await session.apply(batch(['1', '2'], [['1', "it's"], ['2', null]]));
    expect(result).toEqual({ deleted: 2, inserted: 2, skipped: [] });
    await session.commit();
    expect(files(dir)).toEqual(['bucardo.flatfile.mysync.20240506_070809.7.sql.tmp']);
    await session.endRun({ ...run('7'), outcome: 'good' });
    expect(files(dir)).toEqual(['bucardo.flatfile.mysync.20240506_070809.7.sql']);
    const text = readFileSync(join(dir, 'bucardo.flatfile.mysync.20240506_070809.7.sql'), 'utf8');
    expect(text).toMatch(/^-- Bucardo flat file: sync mysync, run 7, started 2024-05-06T07:08:09\.000Z\n/);
    expect(text).toContain('\nBEGIN;\n');
    expect(text).toContain(`DELETE FROM "public"."Tab le" WHERE "id" IN ('1'::integer, '2'::integer);\n`);
    expect(text).toContain(`INSERT INTO "public"."Tab le" ("id", "v") OVERRIDING SYSTEM VALUE VALUES\n('1'::integer, 'it''s'::text),\n('2'::integer, NULL);\n`);
    expect(text.endsWith('COMMIT;\n')).toBe(true);
    await session.close();
    expect(files(dir)).toEqual(['bucardo.flatfile.mysync.20240506_070809.7.sql']);
  });

  it('writes COPY blocks with the rows as they came', async () => {
    const dir = newDir();
    const session = await openSession(dir, 'copy');
    await session.beginRun(run('8'));
    await session.begin(signal);
    await session.apply(batch(['3'], [['3', 'tab\there\\ new\nline']]));
    await session.commit();
    await session.endRun({ ...run('8'), outcome: 'good' });
    const text = readFileSync(join(dir, files(dir)[0]!), 'utf8');
    expect(text).toContain(`DELETE FROM "public"."Tab le" WHERE "id" IN ('3'::integer);\nCOPY "public"."Tab le" ("id", "v") FROM stdin;\n3\ttab\\there\\\\ new\\nline\n\\.\n`);
    await session.close();
  });

  it('drops a rolled-back transaction and keeps the committed ones', async () => {
    const dir = newDir();
    const session = await openSession(dir);
    await session.beginRun(run('9'));
    await session.begin(signal);
    await session.apply(batch(['100'], [['100', 'rolled back']]));
    await session.rollback();
    await session.begin(signal);
    await session.apply(batch(['101'], [['101', 'kept']]));
    await session.commit();
    await session.endRun({ ...run('9'), outcome: 'good' });
    const text = readFileSync(join(dir, files(dir)[0]!), 'utf8');
    expect(text).not.toContain('rolled back');
    expect(text).not.toContain("'100'");
    expect(text).toContain("'kept'::text");
    await session.close();
  });

  it('publishes the committed transactions of a bad run, not the one it rolled back after prepareCommit wrote it', async () => {
    const dir = newDir();
    const session = await openSession(dir);
    await session.beginRun(run('10'));
    await session.begin(signal);
    await session.apply(batch(['1'], [['1', 'committed']]));
    await session.prepareCommit();
    await session.commit();
    // another database refused the second transaction after this one had written it
    await session.begin(signal);
    await session.apply(batch(['2'], [['2', 'rolled back']]));
    await session.prepareCommit();
    expect(readFileSync(join(dir, files(dir)[0]!), 'utf8')).toContain('rolled back');
    await session.rollback();
    await session.endRun({ ...run('10'), outcome: 'bad' });
    expect(files(dir)).toEqual(['bucardo.flatfile.mysync.20240506_070809.10.sql']);
    const text = readFileSync(join(dir, files(dir)[0]!), 'utf8');
    expect(text).toContain("('1'::integer, 'committed'::text)");
    expect(text).not.toContain('rolled back');
    expect(text).toMatch(/\n-- bucardo: end of transaction [0-9a-f]{16}\nCOMMIT;\n$/);
    await session.close();
  });

  it('a file a stopped process left is published by the next run of the sync, cut after its last whole transaction', async () => {
    const dir = newDir();
    const stopped = await openSession(dir);
    await stopped.beginRun(run('20'));
    for (const id of ['1', '2']) {
      await stopped.begin(signal);
      await stopped.apply(batch([id], [[id, `kept ${id}`]]));
      await stopped.commit();
    }
    // the process dies in the middle of writing its third transaction: the session is never ended
    const left = join(dir, 'bucardo.flatfile.mysync.20240506_070809.20.sql.tmp');
    writeFileSync(left, 'DELETE FROM "public"."Tab le" WHERE "id" IN (\'3', { flag: 'a' });
    // a run of another sync leaves its own file alone, and one with nothing committed is removed
    writeFileSync(join(dir, 'bucardo.flatfile.other.20240506_070809.5.sql.tmp'), '-- other sync\n');
    const headerOnly = newDir();
    await (await openSession(headerOnly)).beginRun(run('19'));
    copyFileSync(join(headerOnly, 'bucardo.flatfile.mysync.20240506_070809.19.sql.tmp'), join(dir, 'bucardo.flatfile.mysync.20240506_070809.19.sql.tmp'));

    const next = await openSession(dir);
    await next.beginRun(run('21', '2024-05-06T07:09:00Z'));
    expect(files(dir)).toEqual([
      'bucardo.flatfile.mysync.20240506_070809.20.sql',
      'bucardo.flatfile.mysync.20240506_070900.21.sql.tmp',
      'bucardo.flatfile.other.20240506_070809.5.sql.tmp',
    ]);
    const text = readFileSync(join(dir, 'bucardo.flatfile.mysync.20240506_070809.20.sql'), 'utf8');
    expect(text).toContain("('1'::integer, 'kept 1'::text)");
    expect(text).toContain("('2'::integer, 'kept 2'::text)");
    expect(text).not.toContain("('3'");
    expect(text).toMatch(/\n-- bucardo: end of transaction [0-9a-f]{16}\nCOMMIT;\n$/);
    await next.endRun({ ...run('21', '2024-05-06T07:09:00Z'), outcome: 'empty' });
    await next.close();
  });

  it.each(['sql', 'copy'] as const)('a transaction beyond bufferBytes is written on as it comes (%s): the same file as one held whole; rolled back, it leaves nothing', async (format) => {
    const write = async (dir: string, bufferBytes?: number) => {
      const session = await openSession(dir, format, bufferBytes);
      await session.beginRun(run('30'));
      await session.begin(signal);
      for (const id of ['1', '2', '3']) await session.apply(batch([id], [[id, `first ${id}`]]));
      await session.commit();
      // another database refused this one after it was written on (a batch of it at a time)
      await session.begin(signal);
      for (const id of ['4', '5']) await session.apply(batch([id], [[id, `rolled back ${id}`]]));
      await session.prepareCommit(signal);
      await session.rollback();
      await session.begin(signal);
      await session.apply(batch(['6'], [['6', 'spilled, never prepared']]));
      await session.rollback();
      await session.begin(signal);
      await session.apply(batch(['7'], [['7', 'last']]));
      await session.commit();
      await session.endRun({ ...run('30'), outcome: 'good' });
      await session.close();
      // the token is drawn per file: the rest must be the same, byte for byte
      return readFileSync(join(dir, files(dir)[0]!), 'utf8').replaceAll(/[0-9a-f]{16}/g, 'TOKEN');
    };
    const held = await write(newDir());
    const spilled = await write(newDir(), 1);
    expect(spilled).toBe(held);
    expect(spilled).toContain('first 3');
    expect(spilled).toContain('last');
    expect(spilled).not.toContain('rolled back');
    expect(spilled).not.toContain('never prepared');
  });

  it('a process stopped in the middle of a transaction written on: the next run publishes the file cut before it', async () => {
    const dir = newDir();
    const stopped = await openSession(dir, 'sql', 1);
    await stopped.beginRun(run('40'));
    await stopped.begin(signal);
    await stopped.apply(batch(['1'], [['1', 'committed']]));
    await stopped.commit();
    await stopped.begin(signal);
    for (const id of ['2', '3']) await stopped.apply(batch([id], [[id, 'never committed']]));
    const left = join(dir, 'bucardo.flatfile.mysync.20240506_070809.40.sql.tmp');
    // what the process had written when it died: the transaction's batches, without its end line
    expect(readFileSync(left, 'utf8')).toContain('never committed');
    const next = await openSession(dir);
    await next.beginRun(run('41', '2024-05-06T07:09:00Z'));
    const text = readFileSync(join(dir, 'bucardo.flatfile.mysync.20240506_070809.40.sql'), 'utf8');
    expect(text).toContain("('1'::integer, 'committed'::text)");
    expect(text).not.toContain('never committed');
    expect(text).toMatch(/\n-- bucardo: end of transaction [0-9a-f]{16}\nCOMMIT;\n$/);
    await next.endRun({ ...run('41', '2024-05-06T07:09:00Z'), outcome: 'empty' });
    await next.close();
  });

  it('leaves no file after an empty run, or a good run that wrote nothing', async () => {
    const dir = newDir();
    const session = await openSession(dir);
    await session.beginRun(run('11'));
    await session.endRun({ ...run('11'), outcome: 'empty' });
    expect(files(dir)).toEqual([]);
    await session.beginRun(run('12'));
    await session.begin(signal);
    expect(await session.apply({ shape, deletes: [], rows: [RowBatch.empty('A', shape)], signal })).toEqual({ deleted: 0, inserted: 0, skipped: [] });
    await session.commit();
    await session.endRun({ ...run('12'), outcome: 'good' });
    expect(files(dir)).toEqual([]);
    await session.close();
  });

  it('writes one file per run on a session kept across runs, in run order by sort -V', async () => {
    const dir = newDir();
    const session = await openSession(dir);
    for (const [id, at] of [['9', '2024-05-06T07:08:09Z'], ['10', '2024-05-06T07:08:09.500Z'], ['11', '2024-05-06T07:08:10Z']] as const) {
      await session.beginRun(run(id, at));
      await session.begin(signal);
      await session.apply(batch([id], [[id, `run ${id}`]]));
      await session.commit();
      await session.endRun({ ...run(id, at), outcome: 'good' });
    }
    expect(files(dir)).toEqual([
      'bucardo.flatfile.mysync.20240506_070809.10.sql',
      'bucardo.flatfile.mysync.20240506_070809.9.sql',
      'bucardo.flatfile.mysync.20240506_070810.11.sql',
    ]);
    const versionSorted = files(dir).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    expect(versionSorted.map((name) => name.split('.')[4])).toEqual(['9', '10', '11']);
    await session.close();
  });

  it('a left file is cut at its own marker line, not at a row whose value forges one, nor at one found across a read chunk', async () => {
    const dir = newDir();
    const stopped = await openSession(dir, 'copy');
    await stopped.beginRun(run('30'));
    await stopped.begin(signal);
    await stopped.apply(batch(['1'], [['1', 'kept']]));
    await stopped.commit();
    // 3 MiB of rows: the marker of this transaction is more than one read chunk (1 MiB) before the end
    await stopped.begin(signal);
    const big = 'x'.repeat(1024);
    await stopped.apply(batch([], Array.from({ length: 3 * 1024 }, (_, i) => [String(1000 + i), big] as [string, string])));
    await stopped.commit();
    // the process dies while writing a transaction whose COPY block holds a value that looks like a marker
    const left = join(dir, 'bucardo.flatfile.mysync.20240506_070809.30.sql.tmp');
    const forged = readFileSync(left, 'utf8').match(/^-- bucardo: end of transaction [0-9a-f]{16}$/m)![0];
    writeFileSync(left, `COPY "public"."Tab le" ("id", "v") FROM stdin;\n9\tx\n${forged.replace(/[0-9a-f]{16}$/, '0000000000000000')}\n-- bucardo: end of transaction\n`, { flag: 'a' });

    const next = await openSession(dir);
    await next.beginRun(run('31', '2024-05-06T07:09:00Z'));
    const text = readFileSync(join(dir, 'bucardo.flatfile.mysync.20240506_070809.30.sql'), 'utf8');
    expect(text.match(/^-- bucardo: end of transaction [0-9a-f]{16}$/gm)).toHaveLength(2);
    expect(text).toContain('4071\t' + big);
    expect(text).not.toContain('\n9\tx\n');
    expect(text.endsWith(`${forged}\nCOMMIT;\n`)).toBe(true);
    await next.endRun({ ...run('31', '2024-05-06T07:09:00Z'), outcome: 'empty' });
    await next.close();
  });

  it('a left file whose header names no token (an older version) is kept as .unpublished with a warning, never removed; a long database name does not hide the token', async () => {
    const dir = newDir();
    mkdirSync(dir);
    const old = 'bucardo.flatfile.mysync.20240506_070809.40.sql.tmp';
    writeFileSync(join(dir, old), '-- Bucardo flat file: sync mysync, run 40\nBEGIN;\nDELETE FROM "public"."Tab le" WHERE "id" IN (\'1\'::integer);\n');
    // a database name of 5,000 characters puts the token line far into the file
    const longName = 'f'.repeat(5000);
    const own = newDir();
    const stopped = await new SqlfileTarget(resolveOptions()).open({ name: longName, type: 'flatfile', params: { dir: own, format: 'sql' } }, { log: silentLogger, label: 'test' });
    await stopped.beginRun(run('41'));
    await stopped.begin(signal);
    await stopped.apply(batch(['1'], [['1', 'long name']]));
    await stopped.commit();
    copyFileSync(join(own, 'bucardo.flatfile.mysync.20240506_070809.41.sql.tmp'), join(dir, 'bucardo.flatfile.mysync.20240506_070809.41.sql.tmp'));

    const warnings: string[] = [];
    const log = { log: (level: string, message: string) => { if (level === 'warn') warnings.push(message); }, child: () => log };
    const next = await new SqlfileTarget(resolveOptions()).open({ name: 'f1', type: 'flatfile', params: { dir, format: 'sql' } }, { log: log as never, label: 'test' });
    await next.beginRun(run('42', '2024-05-06T07:09:00Z'));
    expect(files(dir)).toEqual([
      'bucardo.flatfile.mysync.20240506_070809.40.sql.unpublished',
      'bucardo.flatfile.mysync.20240506_070809.41.sql',
      'bucardo.flatfile.mysync.20240506_070900.42.sql.tmp',
    ]);
    expect(readFileSync(join(dir, 'bucardo.flatfile.mysync.20240506_070809.40.sql.unpublished'), 'utf8')).toContain('DELETE FROM');
    expect(readFileSync(join(dir, 'bucardo.flatfile.mysync.20240506_070809.41.sql'), 'utf8')).toContain("'long name'");
    expect(warnings).toEqual([expect.stringMatching(/^Kept .*\.40\.sql\.unpublished, which an earlier run of sync "mysync" left unpublished: its header names no end-of-transaction token/)]);
    await next.endRun({ ...run('42', '2024-05-06T07:09:00Z'), outcome: 'empty' });
    await next.close();
  });

  it('a rolled-back transaction whose cut failed leaves no tail after the next one: a crash then publishes only committed transactions', async () => {
    const dir = newDir();
    const session = await openSession(dir);
    await session.beginRun(run('50'));
    await session.begin(signal);
    await session.apply(batch(['1'], [['1', 'committed']]));
    await session.prepareCommit(signal);
    await session.commit();
    // a long transaction, written, then rolled back (another database refused it); cutting it off fails once
    await session.begin(signal);
    await session.apply(batch(['2', '3'], [['2', 'x'.repeat(300)], ['3', 'never committed anywhere']]));
    await session.prepareCommit(signal);
    const probe = await open(join(root, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { truncate: (...args: unknown[]) => Promise<void> };
    await probe.close();
    const truncate = proto.truncate;
    proto.truncate = async function failOnce() {
      proto.truncate = truncate;
      throw new Error('EIO (the test fails this cut)');
    };
    try {
      await session.rollback();
    } finally {
      proto.truncate = truncate;
    }
    // a shorter transaction is committed over it; then the process dies
    await session.begin(signal);
    await session.apply(batch(['4'], [['4', 'later']]));
    await session.prepareCommit(signal);
    await session.commit();

    const next = await openSession(dir);
    await next.beginRun(run('51', '2024-05-06T07:09:00Z'));
    const text = readFileSync(join(dir, 'bucardo.flatfile.mysync.20240506_070809.50.sql'), 'utf8');
    expect(text).toContain("'committed'");
    expect(text).toContain("'later'");
    expect(text).not.toContain('never committed anywhere');
    expect(text.match(/^-- bucardo: end of transaction [0-9a-f]{16}$/gm)).toHaveLength(2);
    await next.endRun({ ...run('51', '2024-05-06T07:09:00Z'), outcome: 'empty' });
    await next.close();
  });

  it('an empty left file (the process stopped before its header) is removed', async () => {
    const dir = newDir();
    mkdirSync(dir);
    writeFileSync(join(dir, 'bucardo.flatfile.mysync.20240506_070809.60.sql.tmp'), '');
    const next = await openSession(dir);
    await next.beginRun(run('61', '2024-05-06T07:09:00Z'));
    expect(files(dir)).toEqual(['bucardo.flatfile.mysync.20240506_070900.61.sql.tmp']);
    await next.endRun({ ...run('61', '2024-05-06T07:09:00Z'), outcome: 'empty' });
    await next.close();
  });

  it('a run whose file name is taken (another database writing to this directory) fails naming the file, and leaves that file alone', async () => {
    const dir = newDir();
    mkdirSync(dir);
    const name = 'bucardo.flatfile.mysync.20240506_070809.70.sql.tmp';
    writeFileSync(join(dir, name), 'someone else\'s\n');
    const session = await openSession(dir);
    await expect(session.beginRun(run('70'))).rejects.toMatchObject({ code: 'APPLY_FAILED', db: 'f1', message: expect.stringContaining(`Cannot create ${join(dir, name)}`) });
    expect(readFileSync(join(dir, name), 'utf8')).toBe('someone else\'s\n');
    await session.close();
  });

  it('left files of several runs are published oldest first: run 9 before run 10 of the same second', async () => {
    const dir = newDir();
    // each left by a process of its own (a run's start would publish the other's), then gathered
    mkdirSync(dir);
    for (const id of ['10', '9']) {
      const own = newDir();
      const stopped = await openSession(own);
      await stopped.beginRun(run(id));
      await stopped.begin(signal);
      await stopped.apply(batch([id], [[id, `run ${id}`]]));
      await stopped.commit();
      const name = `bucardo.flatfile.mysync.20240506_070809.${id}.sql.tmp`;
      copyFileSync(join(own, name), join(dir, name));
    }
    const order: string[] = [];
    const log = { log: (_level: string, message: string) => { const m = /Published .*\.(\d+)\.sql,/.exec(message); if (m) order.push(m[1]!); }, child: () => log };
    const next = await new SqlfileTarget(resolveOptions()).open({ name: 'f1', type: 'flatfile', params: { dir, format: 'sql' } }, { log: log as never, label: 'test' });
    await next.beginRun(run('11', '2024-05-06T07:09:00Z'));
    expect(order).toEqual(['9', '10']);
    await next.endRun({ ...run('11', '2024-05-06T07:09:00Z'), outcome: 'empty' });
    await next.close();
  });

  it('a session closed in the middle of a run publishes what it committed, and removes a file with nothing committed', async () => {
    const dir = newDir();
    const session = await openSession(dir);
    await session.beginRun(run('13'));
    await session.begin(signal);
    await session.apply(batch(['1'], [['1', 'x']]));
    await session.commit();
    await session.begin(signal);
    await session.apply(batch(['2'], [['2', 'open']]));
    await session.close();
    expect(files(dir)).toEqual(['bucardo.flatfile.mysync.20240506_070809.13.sql']);
    expect(readFileSync(join(dir, files(dir)[0]!), 'utf8')).not.toContain('open');
    const empty = await openSession(dir);
    await empty.beginRun(run('14'));
    await empty.begin(signal);
    await empty.apply(batch(['3'], [['3', 'open']]));
    await empty.close();
    expect(files(dir)).toEqual(['bucardo.flatfile.mysync.20240506_070809.13.sql']);
  });

  it('splits composite keys and chunks statements', async () => {
    const dir = newDir();
    const spec: DatabaseSpec = { name: 'f1', type: 'flatfile', params: { dir, format: 'sql' } };
    const session = await new SqlfileTarget(resolveOptions({ chunkSize: 2 })).open(spec, { log: silentLogger, label: 'test' });
    const pair: TableShape = {
      table: { schema: 'public', name: 'pair' },
      columns: [{ name: 'a', type: 'integer' }, { name: 'B b', type: 'text' }, { name: 'v', type: 'numeric' }],
      key: [{ name: 'a', type: 'integer' }, { name: 'B b', type: 'text' }],
      keySource: 'primary key',
    };
    await session.beginRun(run('14'));
    await session.begin(signal);
    const keys = [encodeKey(['1', 'x']), encodeKey(['1', "y'"]), encodeKey(['2', 'z\n'])];
    const rows = RowBatch.fromRows('A', pair, [['1', 'x', '1.50'], ['1', "y'", null], ['2', 'z\n', '-0']]);
    expect(await session.apply({ shape: pair, deletes: keys, rows: [rows], signal })).toEqual({ deleted: 3, inserted: 3, skipped: [] });
    await session.commit();
    await session.endRun({ ...run('14'), outcome: 'good' });
    const text = readFileSync(join(dir, files(dir)[0]!), 'utf8');
    expect(text).toContain(`DELETE FROM "public"."pair" WHERE ("a", "B b") IN (('1'::integer, 'x'::text), ('1'::integer, 'y'''::text));\n`);
    expect(text).toContain(`DELETE FROM "public"."pair" WHERE ("a", "B b") IN (('2'::integer, E'z\\n'::text));\n`);
    expect(text.match(/^INSERT INTO/gm)).toHaveLength(2);
    expect(text).toContain(`('1'::integer, 'x'::text, '1.50'::numeric),\n('1'::integer, 'y'''::text, NULL);\n`);
    await session.close();
  });

  it('refuses begin() before beginRun()', async () => {
    const session = await openSession(newDir());
    await expect(session.begin(signal)).rejects.toMatchObject({ code: 'APPLY_FAILED', db: 'f1' });
    await session.close();
  });
});

describe('the database type', () => {
  const drivers = sqlfileDrivers();
  const driver = (type: string): DatabaseDriver => drivers.find((candidate) => candidate.type === type || candidate.aliases?.includes(type))!;

  it('is a target only, with its capabilities', () => {
    expect(drivers.map((d) => [d.type, d.aliases])).toEqual([['flatfile', ['sqlfile']], ['flatsql', []], ['flatpg', []]]);
    for (const d of drivers) {
      expect(d.source).toBeUndefined();
      expect(d.target?.capabilities).toEqual({ transactions: true, truncate: true, localChangeGuard: false, schema: false, foreignKeys: false, makeDelta: false, selectListDigests: false });
    }
    const registered: string[] = [];
    void targetSqlfile().apply({ registerDatabase: (d: DatabaseDriver) => registered.push(d.type) } as never);
    expect(registered).toEqual(['flatfile', 'flatsql', 'flatpg']);
  });

  it('takes chunkSize and bufferBytes as positive whole numbers, naming the option otherwise', () => {
    expect(resolveOptions()).toEqual({ chunkSize: 1000, fsync: true, bufferBytes: 8 * 1024 * 1024 });
    for (const bufferBytes of [0, -1, 1.5, Number.NaN]) {
      expect(() => resolveOptions({ bufferBytes })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', item: 'bufferBytes', message: `sqlfile: bufferBytes must be a positive integer, not ${String(bufferBytes)}` }));
    }
    expect(() => resolveOptions({ chunkSize: 0 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', item: 'chunkSize' }));
  });

  it('needs dir, takes format sql or copy, and makes dir absolute', () => {
    expect(() => driver('flatfile').normalizeParams({})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', item: 'dir' }));
    expect(() => driver('flatfile').normalizeParams({ dir: '/x', format: 'csv' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', item: 'format' }));
    expect(() => driver('flatfile').normalizeParams({ dir: '/x', dbname: 'y' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', item: 'dbname' }));
    expect(driver('flatfile').normalizeParams({ dir: '/x' })).toEqual({ dir: '/x', format: 'sql' });
    expect(driver('sqlfile').normalizeParams({ dir: '/x', format: 'COPY' })).toEqual({ dir: '/x', format: 'copy' });
    expect(driver('flatfile').normalizeParams({ dir: 'rel/out' })).toEqual({ dir: resolve('rel/out'), format: 'sql' });
    expect(driver('flatsql').normalizeParams({ dir: '/x' })).toEqual({ dir: '/x', format: 'sql' });
    expect(driver('flatpg').normalizeParams({ flatfile_dir: '/x' })).toEqual({ dir: '/x', format: 'copy' });
    expect(() => driver('flatpg').normalizeParams({ dir: '/x', format: 'sql' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', item: 'format' }));
  });

  it('describes itself by its directory and format', () => {
    expect(driver('flatfile').describe({ name: 'f1', type: 'flatfile', params: { dir: '/path', format: 'sql' } })).toBe('Dir: /path (format sql)');
    expect(driver('flatpg').describe({ name: 'f1', type: 'flatpg', params: { dir: '/path', format: 'copy' } })).toBe('Dir: /path (format copy)');
  });

  it('pings by creating the directory and writing in it, or fails naming the database', async () => {
    const dir = join(newDir(), 'made', 'by', 'ping');
    await driver('flatfile').ping({ name: 'f1', type: 'flatfile', params: { dir, format: 'sql' } }, { log: silentLogger, label: 'test' });
    expect(files(dir)).toEqual([]);
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a directory');
    await expect(driver('flatfile').ping({ name: 'f9', type: 'flatfile', params: { dir: join(file, 'sub'), format: 'sql' } }, { log: silentLogger, label: 'test' }))
      .rejects.toMatchObject({ code: 'CONNECTION_FAILED', db: 'f9', message: expect.stringContaining('"f9"') });
  });
});
