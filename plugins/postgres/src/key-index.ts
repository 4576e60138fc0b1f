import type pg from 'pg';
import { tableId, type TableShape } from '@bucardo/plugin-sdk';
import { qualified } from './capture-names.js';

/**
 * Below this many keys a batch takes the constant array: the planner's estimates for them cost less than
 * a round trip to ask the catalogue (200 keys: about 0.4M instructions), and small runs, the daemon's
 * usual ones, ask nothing.
 */
const HIDE_FROM_KEYS = 200;

/**
 * Whether a table here has a valid, non-partial btree index led by its (single) key column: then a
 * lookup of many keys is an index scan and the key array can be hidden from the planner (key-sql.ts).
 * Without one the lookup is a sequential scan, which is only fast when the planner sees the array as a
 * constant and hashes it. Only the first source's key index is guaranteed: the other databases may lack
 * it. Asked once per table and connection.
 */
export class KeyIndexes {
  readonly #client: pg.Client;
  readonly #known = new Map<string, boolean>();

  constructor(client: pg.Client) {
    this.#client = client;
  }

  /** Whether a lookup of `count` keys of this table should hide its key array from the planner (key-sql.ts). */
  async hideKeys(shape: TableShape, count: number): Promise<boolean> {
    return count >= HIDE_FROM_KEYS && await this.indexed(shape);
  }

  async indexed(shape: TableShape): Promise<boolean> {
    if (shape.key.length !== 1) return false;
    const id = tableId(shape.table);
    const known = this.#known.get(id);
    if (known !== undefined) return known;
    const result = await this.#client.query<{ indexed: boolean | string }>(
      `SELECT EXISTS (
         SELECT 1 FROM pg_catalog.pg_index i
           JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
           JOIN pg_catalog.pg_am am ON am.oid = c.relam AND am.amname = 'btree'
           JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
          WHERE i.indrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($1) AND i.indisvalid AND i.indpred IS NULL AND a.attname = $2) AS indexed`,
      [qualified(shape.table), shape.key[0]!.name],
    );
    const indexed = result.rows[0]?.indexed === true || result.rows[0]?.indexed === 't';
    this.#known.set(id, indexed);
    return indexed;
  }
}
