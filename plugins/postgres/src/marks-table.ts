import type pg from 'pg';
import { MADE_DELTA } from './capture-names.js';

/**
 * Whether this database has makedelta's marks table (`MADE_DELTA`). A capture installed before makedelta
 * lacks it until capture is installed again or a sync records here: the capture's read, its purge, its
 * removal and the recorder all ask this, and only this.
 */
export async function marksTableExists(client: Pick<pg.Client, 'query'>): Promise<boolean> {
  const result = await client.query<{ found: string }>('SELECT pg_catalog.to_regclass($1) IS NOT NULL AS found', [MADE_DELTA]);
  return result.rows[0]?.found === 't';
}

/**
 * `marksTableExists` for a session that asks at every capture: found once, kept for the session (a table
 * is not taken away while capture is installed); not found, asked again at the next capture.
 */
export class MarksTable {
  #found = false;

  async exists(client: pg.Client): Promise<boolean> {
    if (!this.#found) this.#found = await marksTableExists(client);
    return this.#found;
  }
}
