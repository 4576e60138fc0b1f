import type pg from 'pg';
import { tableId, type TableShape } from '@bucardo/plugin-sdk';
import { CAPTURE_SCHEMA, ORIGIN_COLUMN, TRUNCATE_LOG, captureNames } from './capture-names.js';

/** Where a capture may find its own sync's records (makedelta) to skip. */
export interface OriginPlaces {
  /** The tables (by `tableId`) whose delta table has the origin column. */
  readonly tables: ReadonlySet<string>;
  /** Whether the truncate log has it. */
  readonly truncates: boolean;
}

/**
 * Which delta tables here (and whether the truncate log) have the origin column, makedelta's mark, so that
 * a capture skips its own sync's records there. A delta table made before makedelta lacks it until capture
 * is installed again or a sync records into it, and until then holds no marked record. Positive answers
 * are kept for the session (a column is not taken away); the others are asked again, in one catalog
 * statement, which a session whose tables all have it no longer sends.
 */
export class OriginColumns {
  readonly #tables = new Set<string>();
  #truncates = false;

  async among(client: pg.Client, shapes: readonly TableShape[]): Promise<OriginPlaces> {
    const unknown = shapes.filter((shape) => !this.#tables.has(tableId(shape.table)));
    if (unknown.length > 0 || !this.#truncates) {
      // ordinal 0 stands for the truncate log
      const result = await client.query<{ ord: string }>(
        `SELECT w.ord FROM unnest($1::text[]) WITH ORDINALITY AS w(name, ord)
           JOIN pg_catalog.pg_namespace n ON n.nspname = $2
           JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name
           JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = $3 AND NOT a.attisdropped
         UNION ALL
         SELECT 0 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass($4) AND attname = $3 AND NOT attisdropped`,
        [unknown.map((shape) => captureNames(shape.table).deltaName), CAPTURE_SCHEMA, ORIGIN_COLUMN, TRUNCATE_LOG],
      );
      for (const row of result.rows) {
        const ord = Number(row.ord);
        if (ord === 0) this.#truncates = true;
        else this.#tables.add(tableId(unknown[ord - 1]!.table));
      }
    }
    return { tables: this.#tables, truncates: this.#truncates };
  }
}
