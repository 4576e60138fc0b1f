/**
 * bucardo-plugin-jsonl against the SDK's target conformance kit, plus what its README promises: the
 * files' lines, and `bucardo add db` parameters. Runs in the repository's `npm test` (vitest's root config
 * includes examples/*\/test), and on its own with `npm test` in this folder once its devDependencies are
 * installed.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RowBatch, silentLogger, type TableShape } from '@bucardo/plugin-sdk';
import { conformanceTables, describeTargetConformance } from '@bucardo/plugin-sdk/testing';
import jsonl, { fileNameOf, foldTable, jsonlDriver, normalizeParams } from '../src/index.js';

describeTargetConformance('jsonl', async ({ id }) => {
  const dir = await mkdtemp(join(tmpdir(), `${id}-`));
  const driver = jsonlDriver({ fsync: false });
  return {
    writer: driver.target!,
    spec: { name: 'j1', type: 'jsonl', params: driver.normalizeParams({ dir }) },
    readBack: (_table, shape) => foldTable(dir, shape),
    // lines of JSON have no table shape: a column added is a field the rows written next have
    reshape: async () => undefined,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
});

const shape: TableShape = {
  table: { schema: 'public', name: 't' },
  columns: [{ name: 'id', type: 'integer' }, { name: 'v', type: 'text' }],
  key: [{ name: 'id', type: 'integer' }],
  keySource: 'primary key',
};

describe('bucardo-plugin-jsonl', () => {
  it('names a file per table, apart even when the dotted names are alike', () => {
    expect(fileNameOf({ schema: 'public', name: 't' })).toBe('public.t.jsonl');
    expect(fileNameOf({ schema: 'a.b', name: 'c' })).toBe('a%2Eb.c.jsonl');
    expect(fileNameOf({ schema: 'a', name: 'b.c' })).toBe('a.b%2Ec.jsonl');
    expect(fileNameOf({ schema: 's', name: '../x/%y\u0000' })).toBe('s.%2E%2E%2Fx%2F%25y%00.jsonl');
  });

  it('appends a line per key deleted and per row written, stamped with the sync and run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jsonl-lines-'));
    const session = await jsonlDriver({ fsync: false }).target!.open({ name: 'j1', type: 'jsonl', params: { dir } }, { log: silentLogger, label: 'test' });
    const run = { sync: 's', runId: '7', startedAt: new Date() };
    const signal = new AbortController().signal;
    await session.beginRun!(run);
    await session.begin(signal);
    await session.apply({ shape, deletes: ['1', '2'], rows: [RowBatch.fromRows('a', shape, [['1', 'tab\there']])], signal });
    await session.commit();
    expect(await readdir(dir)).toEqual([]); // nothing before the run ends good
    await session.endRun!({ ...run, outcome: 'good' });
    await session.close();
    expect((await readFile(join(dir, 'public.t.jsonl'), 'utf8')).split('\n')).toEqual([
      '{"sync":"s","run":"7","op":"delete","key":{"id":"1"}}',
      '{"sync":"s","run":"7","op":"delete","key":{"id":"2"}}',
      '{"sync":"s","run":"7","op":"write","row":{"id":"1","v":"tab\\there"}}',
      '',
    ]);
    await rm(dir, { recursive: true, force: true });
  });

  it('is a plugin registering type jsonl, which needs dir=', () => {
    const plugin = jsonl();
    expect(plugin).toMatchObject({ name: 'jsonl', sdk: 1 });
    expect(normalizeParams({ dir: 'out' }).dir).toMatch(/^\/.*\/out$/);
    expect(() => normalizeParams({})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', item: 'dir' }));
    expect(() => normalizeParams({ dir: 'x', format: 'y' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', item: 'format' }));
  });
});
