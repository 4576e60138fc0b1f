import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** What the control stores run their statements on: queries, and COPY for rows that come by the thousand. */
export interface ControlQueryable extends Pick<pg.Client, 'query'> {
  /** Loads COPY text into `COPY … FROM STDIN`; returns the number of rows loaded. */
  copyIn(sql: string, data: Uint8Array): Promise<number>;
}

/** `COPY … FROM STDIN` of one buffer of COPY text on `client`. */
export async function copyInto(client: pg.Client, sql: string, data: Uint8Array): Promise<number> {
  const stream = client.query(copyFrom(sql));
  const failed = once(stream, 'error').then(([error]) => { throw error; });
  const finished = once(stream, 'finish');
  stream.end(data);
  await Promise.race([finished, failed]);
  return stream.rowCount;
}
