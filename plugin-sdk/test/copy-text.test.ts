import { describe, expect, it } from 'vitest';
import { ChangeLog, copyLineRanges, encodeCopyLine, parseCopyLine, RowBatch, type TableShape } from '../src/index.js';

const encoder = new TextEncoder();

describe('COPY text', () => {
  it('round-trips awkward values: quotes, backslashes, tabs, newlines, NULL, non-ASCII', () => {
    const row = ["it's \"quoted\"", 'back\\slash', 'tab\there', 'new\nline\r\n', null, 'Grüße 日本', '', '\\N'];
    const line = encodeCopyLine(row);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(parseCopyLine(encoder.encode(line.slice(0, -1)))).toEqual(row);
  });

  it('decodes the octal and hex escapes PostgreSQL accepts on input', () => {
    expect(parseCopyLine(encoder.encode('\\101\\x42\\b\\f\\v'))).toEqual(['AB\b\f\v']);
  });

  it('finds line ranges, with or without a trailing newline', () => {
    expect(copyLineRanges(encoder.encode('a\nbc\n'))).toEqual([[0, 1], [2, 4]]);
    expect(copyLineRanges(encoder.encode('a\nbc'))).toEqual([[0, 1], [2, 4]]);
    expect(copyLineRanges(new Uint8Array(0))).toEqual([]);
  });
});

describe('RowBatch', () => {
  const shape: TableShape = {
    table: { schema: 'public', name: 't' },
    columns: [{ name: 'a', type: 'integer' }, { name: 'v', type: 'text' }, { name: 'b', type: 'text' }],
    key: [{ name: 'a', type: 'integer' }, { name: 'b', type: 'text' }],
    keySource: 'primary key',
  };

  it('keys rows by their key columns, in key order', () => {
    const batch = RowBatch.fromRows('db1', shape, [['1', 'x', 'k1'], ['2', null, 'k2']]);
    expect(batch.rowCount).toBe(2);
    expect([...batch.rows()].map((row) => batch.keyOf(row))).toEqual(['1\u0000k1', '2\u0000k2']);
    // keys() gives the same, decoding only up to the last key column
    expect([...batch.keys()]).toEqual(['1\u0000k1', '2\u0000k2']);
    expect([...RowBatch.fromRows('db1', { ...shape, key: [] }, [['1', 'x', 'k1']]).keys()]).toEqual([]);
  });

  it('filters rows in or out by key', () => {
    const batch = RowBatch.fromRows('db1', shape, [['1', 'x', 'k1'], ['2', 'y', 'k2'], ['3', 'z', 'k3']]);
    expect([...batch.filter(new Set(['2\u0000k2'])).rows()]).toEqual([['2', 'y', 'k2']]);
    expect([...batch.filter(new Set(['2\u0000k2']), false).rows()].map((row) => row[0])).toEqual(['1', '3']);
  });

  it('filters by a leading key column without decoding the rest: escaped tabs and newlines after it are copied byte for byte, a last line without its newline too', () => {
    const leading: TableShape = { ...shape, columns: [{ name: 'id', type: 'integer' }, { name: 'v', type: 'text' }], key: [{ name: 'id', type: 'integer' }] };
    const lines = ['1\tone\\ttab', '2\ttwo\\nline', '3\tthree\\\\'];
    const batch = new RowBatch('db1', leading, encoder.encode(lines.join('\n')));
    expect(batch.rowCount).toBe(3);
    expect(batch.lastRow()).toEqual(['3', 'three\\']);
    expect(new TextDecoder().decode(batch.filter(new Set(['2', '3'])).data)).toBe(`${lines[1]}\n${lines[2]}\n`);
    expect([...batch.filter(new Set(['2'])).rows()]).toEqual([['2', 'two\nline']]);
    expect([...batch.keys()]).toEqual(['1', '2', '3']);
    expect(RowBatch.empty('db1', leading).lastRow()).toBeUndefined();
  });
});

describe('ChangeLog', () => {
  it('behaves as a ReadonlyMap of the appended changes', () => {
    const log = new ChangeLog();
    for (let i = 0; i < 100; i++) log.append(`k${i}`, { firstOp: 'insert', lastOp: i % 2 ? 'delete' : 'update', changedAt: 1_700_000_000_000_000 + i });
    log.append('sum', { firstOp: 'update', lastOp: 'update', changedAt: 5, additive: { n: '-1.5' } });
    expect(log.size).toBe(101);
    expect([...log.keys()].slice(0, 2)).toEqual(['k0', 'k1']);
    expect(log.get('k1')).toEqual({ firstOp: 'insert', lastOp: 'delete', changedAt: 1_700_000_000_000_001 });
    expect(log.get('sum')).toEqual({ firstOp: 'update', lastOp: 'update', changedAt: 5, additive: { n: '-1.5' } });
    expect(log.has('k99')).toBe(true);
    expect(log.has('nope')).toBe(false);
    expect(new Map(log).get('k98')).toEqual({ firstOp: 'insert', lastOp: 'update', changedAt: 1_700_000_000_000_098 });
    let visited = 0;
    log.forEach(() => visited++);
    expect(visited).toBe(101);
    expect(() => log.append('k5', { firstOp: 'insert', lastOp: 'insert', changedAt: 1 })).toThrow(/already in the change log/);
  });

  it('keeps the newest change time as keys are appended', () => {
    const log = new ChangeLog();
    expect(log.newestChangedAt).toBe(-Infinity);
    for (const at of [30, 70, 10]) log.append(`k${at}`, { firstOp: 'update', lastOp: 'update', changedAt: at });
    expect(log.newestChangedAt).toBe(70);
  });
});
