/**
 * The COPY TO parser on protocol bytes cut at every possible place: the batches, each row's end, and where
 * it hands the connection back, must not depend on how the socket delivered the bytes.
 */
import { describe, expect, it } from 'vitest';
import { CopyOutParser, forEachLine, type CopyRows, type CopyStop } from '../src/copy-out-parser.js';
import { chunksOf, copyOutMessages, message } from './support/copy-messages.js';

function parse(bytes: Buffer, chunkSize: number, batchRows: number): { batches: string[][]; stop: CopyStop | undefined; consumed: number } {
  const batches: string[][] = [];
  const parser = new CopyOutParser(batchRows, (rows: CopyRows) => {
    const lines: string[] = [];
    forEachLine(rows, (line) => lines.push(line.toString()));
    expect(rows.ends.length).toBe(lines.length);
    batches.push(lines);
  });
  let consumed = 0;
  for (const chunk of chunksOf(bytes, chunkSize)) {
    const stop = parser.push(chunk);
    if (stop) return { batches, stop, consumed: consumed + stop.offset };
    consumed += chunk.length;
  }
  return { batches, stop: undefined, consumed };
}

const lines = ['1\tone', '22\t' + 'x'.repeat(300), '3\t\\N', '4\ta\\tb', '', '6\tsix', '7\tseven'];

describe('CopyOutParser', () => {
  it('gives the same batches and stops just after CopyDone, whatever the chunk size', () => {
    const bytes = copyOutMessages(lines, { interspersed: true });
    const done = bytes.indexOf(message('C', Buffer.from(`COPY ${lines.length}\0`)));
    for (const size of [1, 2, 3, 4, 5, 6, 7, 11, 64, 311, bytes.length]) {
      const { batches, stop, consumed } = parse(bytes, size, 3);
      expect(batches, `chunks of ${size}`).toEqual([lines.slice(0, 3), lines.slice(3, 6), lines.slice(6)]);
      expect(stop?.kind).toBe('end');
      expect(consumed).toBe(done);
    }
  });

  it('emits nothing for a copy without rows, and a last batch only when rows are left', () => {
    expect(parse(copyOutMessages([]), 4, 3).batches).toEqual([]);
    expect(parse(copyOutMessages(lines.slice(0, 6)), 5, 3).batches).toEqual([lines.slice(0, 3), lines.slice(3, 6)]);
  });

  it('stops before an ErrorResponse, leaving it whole for the connection to read', () => {
    const rows = Buffer.concat([message('H', Buffer.from([0, 0, 0])), ...lines.slice(0, 2).map((line) => message('d', Buffer.from(`${line}\n`)))]);
    const error = message('E', Buffer.from('SERROR\0C22012\0Mdivision by zero\0\0'));
    const bytes = Buffer.concat([rows, error]);
    for (const size of [1, 3, 7, bytes.length]) {
      const { batches, stop, consumed } = parse(bytes, size, 100);
      expect(batches).toEqual([]);
      expect(stop).toMatchObject({ kind: 'error' });
      expect(consumed).toBe(rows.length);
    }
  });
});
