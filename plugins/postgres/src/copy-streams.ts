import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

/** Runs `COPY (…) TO STDOUT` and returns the rows as one buffer of COPY text (bounded by the batch size). */
export async function copyOut(client: pg.Client, sql: string): Promise<Buffer> {
  const stream = client.query(copyTo(sql));
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Streams COPY text buffers into `COPY … FROM STDIN`; returns the number of rows PostgreSQL loaded. */
export async function copyIn(client: pg.Client, sql: string, buffers: readonly Uint8Array[]): Promise<number> {
  const stream = client.query(copyFrom(sql));
  const failed = once(stream, 'error').then(([error]) => { throw error; });
  const finished = once(stream, 'finish');
  for (const buffer of buffers) {
    if (buffer.length === 0) continue;
    if (!stream.write(buffer)) await Promise.race([once(stream, 'drain'), failed]);
  }
  stream.end();
  await Promise.race([finished, failed]);
  return stream.rowCount;
}

/** Calls `each` for every line of a COPY text stream, whatever the chunk boundaries, as the chunks arrive. */
export async function forEachCopyLine(stream: AsyncIterable<unknown>, each: (line: Buffer) => void): Promise<void> {
  let rest: Buffer | undefined;
  for await (const item of stream) {
    const chunk = item as Buffer;
    let start = 0;
    if (rest) {
      // Only the line cut at the previous chunk's end is joined: the rest of this chunk is read in place.
      const end = chunk.indexOf(0x0a);
      if (end === -1) {
        rest = Buffer.concat([rest, chunk]);
        continue;
      }
      each(Buffer.concat([rest, chunk.subarray(0, end)]));
      rest = undefined;
      start = end + 1;
    }
    for (let end = chunk.indexOf(0x0a, start); end !== -1; end = chunk.indexOf(0x0a, start)) {
      each(chunk.subarray(start, end));
      start = end + 1;
    }
    if (start < chunk.length) rest = chunk.subarray(start);
  }
  if (rest && rest.length > 0) each(rest);
}
