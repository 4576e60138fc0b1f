import { describe, expect, it } from 'vitest';
import type { TableShape } from '@bucardo/plugin-sdk';
import { ChangeFold } from '../src/change-fold.js';
import { CopyOutParser, forEachLine } from '../src/copy-out-parser.js';
import { arrayLiteral } from '../src/key-sql.js';
import { chunksOf, copyOutMessages } from './support/copy-messages.js';

const shape = (keyTypes: string[], additive?: string[]): TableShape => ({
  table: { schema: 'public', name: 't' },
  columns: keyTypes.map((type, index) => ({ name: `k${index}`, type })),
  key: keyTypes.map((type, index) => ({ name: `k${index}`, type })),
  keySource: 'primary key',
  ...(additive ? { additive } : {}),
});

/** Folds change records as the capture does: off the wire, cut into chunks of `chunkSize` bytes. */
async function fold(table: TableShape, text: string, chunkSize = 3): Promise<Record<string, unknown>> {
  const folding = new ChangeFold(table);
  const parser = new CopyOutParser(2, (rows) => forEachLine(rows, (line) => folding.line(line)));
  const lines = text.split('\n').slice(0, -1);
  for (const chunk of chunksOf(copyOutMessages(lines), chunkSize)) if (parser.push(chunk)) break;
  return Object.fromEntries(folding.changes);
}

describe('ChangeFold', () => {
  it('keeps the first and last operation and the latest time of each key, whatever the chunk boundaries', async () => {
    const text = '1\tI\t100\n1\tU\t200\n1\tD\t150\n22\tU\t5\n3\tU\t-7\n';
    for (const size of [1, 2, 5, 1000]) {
      expect(await fold(shape(['integer']), text, size)).toEqual({
        1: { firstOp: 'insert', lastOp: 'delete', changedAt: 200 },
        22: { firstOp: 'update', lastOp: 'update', changedAt: 5 },
        3: { firstOp: 'update', lastOp: 'update', changedAt: -7 },
      });
    }
  });

  it('reads escaped keys, composite keys and canonical numeric keys', async () => {
    expect(await fold(shape(['text']), 'a\\tb\tU\t1\na\\tb\tD\t2\na\tI\t3\n')).toEqual({
      'a\tb': { firstOp: 'update', lastOp: 'delete', changedAt: 2 },
      a: { firstOp: 'insert', lastOp: 'insert', changedAt: 3 },
    });
    expect(await fold(shape(['integer', 'text']), '1\tx\tI\t1\n1\tx\tU\t4\n1\ty\tD\t2\n')).toEqual({
      '1\u0000x': { firstOp: 'insert', lastOp: 'update', changedAt: 4 },
      '1\u0000y': { firstOp: 'delete', lastOp: 'delete', changedAt: 2 },
    });
    expect(await fold(shape(['numeric']), '1.50\tU\t1\n1.5\tU\t2\n')).toEqual({ '1.5': { firstOp: 'update', lastOp: 'update', changedAt: 2 } });
  });

  it('sums additive deltas exactly', async () => {
    expect(await fold(shape(['integer'], ['n']), '7\tU\t1\t0.1\n7\tU\t2\t0.2\n7\tU\t3\t-5\n')).toEqual({
      7: { firstOp: 'update', lastOp: 'update', changedAt: 3, additive: { n: '-4.7' } },
    });
  });

  it('rejects an unknown operation instead of guessing', async () => {
    await expect(fold(shape(['integer', 'integer']), '1\t2\tX\t1\n')).rejects.toThrow(/Unknown change operation "X"/);
    await expect(fold(shape(['integer']), '1\tUU\t1\n')).rejects.toThrow(/Unknown change operation "UU"/);
  });
});

describe('arrayLiteral', () => {
  it('quotes every element and escapes quotes and backslashes, even across element boundaries', () => {
    expect(arrayLiteral([])).toBe('{}');
    expect(arrayLiteral(['1', '22'])).toBe('{"1","22"}');
    expect(arrayLiteral(['a","b', 'c\\d', ''])).toBe('{"a\\",\\"b","c\\\\d",""}');
  });
});
