import { describe, expect, it } from 'vitest';
import { copyLineRanges, encodeCopyLine, parseCopyLine, RowBatch, type TableShape } from '../src/index.js';

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
  });

  it('filters rows in or out by key', () => {
    const batch = RowBatch.fromRows('db1', shape, [['1', 'x', 'k1'], ['2', 'y', 'k2'], ['3', 'z', 'k3']]);
    expect([...batch.filter(new Set(['2\u0000k2'])).rows()]).toEqual([['2', 'y', 'k2']]);
    expect([...batch.filter(new Set(['2\u0000k2']), false).rows()].map((row) => row[0])).toEqual(['1', '3']);
  });
});
