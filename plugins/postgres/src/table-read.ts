import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { RowBatch, decodeKey, type ReadTableArgs } from '@bucardo/plugin-sdk';
import { qualified } from './capture-names.js';
import { quoteLiteral } from './connect.js';
import { columnList, keyColumnList } from './key-sql.js';

const NEWLINE = 0x0a;

/**
 * Streams a whole table with one `COPY (SELECT …) TO STDOUT` (one snapshot, taken when it starts), cut
 * into batches of at most `batchRows` rows, each in a buffer of its own; the stream is paused while a
 * batch waits to be taken, so memory stays bounded by two batches (the one written, the one read ahead)
 * whatever the table's size. Tables with a key come in key order, from after `args.after`.
 */
export async function* readTable(client: pg.Client, db: string, args: ReadTableArgs): AsyncIterable<RowBatch> {
  const { shape } = args;
  const keyed = shape.key.length > 0;
  const order = keyed ? ` ORDER BY ${keyColumnList(shape)}` : '';
  const where = args.after !== undefined && keyed ? ` WHERE ${afterKey(args)}` : '';
  const stream = client.query(copyTo(`COPY (SELECT ${columnList(shape)} FROM ONLY ${qualified(shape.table)}${where}${order}) TO STDOUT`));
  let pending: Buffer[] = [];
  let rows = 0;
  const onAbort = () => stream.destroy(new Error('aborted'));
  args.signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let index = chunk.indexOf(NEWLINE); index !== -1; index = chunk.indexOf(NEWLINE, index + 1)) {
        rows++;
        if (rows === args.batchRows) {
          pending.push(chunk.subarray(start, index + 1));
          yield new RowBatch(db, shape, Buffer.concat(pending));
          pending = [];
          rows = 0;
          start = index + 1;
        }
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    }
    if (pending.length > 0) yield new RowBatch(db, shape, Buffer.concat(pending));
  } finally {
    args.signal.removeEventListener('abort', onAbort);
  }
}

/** `(k1, k2) > ('v1'::t1, 'v2'::t2)`, the keyset condition to resume after a key. */
function afterKey(args: ReadTableArgs): string {
  const { shape } = args;
  const parts = decodeKey(args.after!, shape.key.length);
  const right = shape.key.map((column, index) => `${quoteLiteral(parts[index]!)}::${column.type}`).join(', ');
  return `(${keyColumnList(shape)}) > (${right})`;
}
