import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

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
