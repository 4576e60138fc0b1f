import type pg from 'pg';
import { MADE_DELTA } from './capture-names.js';

/**
 * Whether this database has makedelta's marks table (`MADE_DELTA`), so that a capture skips its own sync's
 * records: a capture installed before makedelta lacks it until capture is installed again or a sync records
 * here, and until then holds no mark. Found once, kept for the session (a table is not taken away while
 * capture is installed); not found, asked again at the next capture.
 */
export class MarksTable {
  #found = false;

  async exists(client: pg.Client): Promise<boolean> {
    if (!this.#found) {
      const result = await client.query<{ found: string }>('SELECT to_regclass($1) IS NOT NULL AS found', [MADE_DELTA]);
      this.#found = result.rows[0]?.found === 't';
    }
    return this.#found;
  }
}
