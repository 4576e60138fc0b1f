import type pg from 'pg';
import { tableId, type TableShape } from '@bucardo/plugin-sdk';
import { CAPTURE_SCHEMA, ORIGIN_COLUMN, captureNames } from './capture-names.js';

/**
 * Which delta tables here have the origin column (makedelta's mark), so that a capture can skip its own
 * sync's records there. A delta table made before makedelta lacks it until capture is installed again or a
 * sync records into it, and then holds no marked record to skip. Positive answers are kept for the
 * session (a column is not taken away); the others are asked again, in one catalog statement.
 */
export class OriginColumns {
  readonly #known = new Set<string>();

  async among(client: pg.Client, shapes: readonly TableShape[]): Promise<ReadonlySet<string>> {
    const unknown = shapes.filter((shape) => !this.#known.has(tableId(shape.table)));
    if (unknown.length > 0) {
      const result = await client.query<{ ord: string }>(
        `SELECT w.ord FROM unnest($1::text[]) WITH ORDINALITY AS w(name, ord)
           JOIN pg_catalog.pg_namespace n ON n.nspname = $2
           JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name
           JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = $3 AND NOT a.attisdropped`,
        [unknown.map((shape) => captureNames(shape.table).deltaName), CAPTURE_SCHEMA, ORIGIN_COLUMN],
      );
      for (const row of result.rows) this.#known.add(tableId(unknown[Number(row.ord) - 1]!.table));
    }
    return this.#known;
  }
}
