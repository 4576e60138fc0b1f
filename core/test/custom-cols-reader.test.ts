/**
 * CustomColsReader: rows read again with a select list on the database they came from. A winner's rows
 * from a receiving database with a custom name (`bucardo add customname`) are read from the table under
 * its name there, as the target session writes it, not under the sync's name.
 */
import { describe, expect, it } from 'vitest';
import { formatTable, RowBatch, silentLogger, type DatabaseSpec, type FetchArgs, type SourceSession, type TableShape } from '@bucardo/plugin-sdk';
import { CustomColsReader } from '../src/run/custom-cols-reader.js';

const t = { schema: 'public', name: 't' };
const shape: TableShape = { table: t, columns: [{ name: 'id', type: 'integer' }], key: [{ name: 'id', type: 'integer' }], keySource: 'primary key' };
const select = { table: t, selectList: 'id', columns: ['id'], id: 1 };
const signal = new AbortController().signal;

/** A driver whose sessions record the tables they are asked to read. */
function recordingDriver(seen: string[]) {
  return {
    open: async () => ({
      async fetch(args: FetchArgs) {
        seen.push(`fetch ${formatTable(args.shape.table)} with ${args.selectList ?? '-'}`);
        return new RowBatch('R', args.shape, new TextEncoder().encode('1\n'));
      },
      async selectColumns(table: typeof t, selectList: string) {
        seen.push(`selectColumns ${formatTable(table)}: ${selectList}`);
        return shape.columns;
      },
      async close() { seen.push('close'); },
    } as unknown as SourceSession),
  };
}

describe('CustomColsReader', () => {
  it('reads rows from a receiving database under the table\'s custom name there, and the source\'s under the sync\'s name', async () => {
    const seen: string[] = [];
    const driver = recordingDriver(seen);
    const spec = { type: 'recording' } as unknown as DatabaseSpec;
    const reader = new CustomColsReader('s', (db) => (db === 'R'
      ? { spec, driver, customNames: [{ table: t, as: { schema: 'reporting', name: 't_copy' } }] }
      : { spec, driver }), silentLogger);
    const rows = (origin: string) => new RowBatch(origin, shape, new TextEncoder().encode('1\n'));
    expect((await reader.shapeOf(shape, select, 'R')).columns).toEqual(shape.columns);
    await reader.images(rows('R'), shape, select, signal, 'C');
    await reader.images(rows('A'), shape, select, signal, 'C');
    await reader.close();
    expect(seen).toEqual(['selectColumns reporting.t_copy: id', 'fetch reporting.t_copy with id', 'fetch public.t with id', 'close', 'close']);
  });
});
