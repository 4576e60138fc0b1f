import type pg from 'pg';
import type { TableRef } from '@bucardo/plugin-sdk';
import { removeByIds } from './remove-by-ids.js';

type Queryable = Pick<pg.Client, 'query'>;

/** A custom name as stored (`bucardo.customname`): table `table` is `as` on `db` (every one when absent), in `sync` (every one when absent). */
export interface CustomNameRow {
  readonly id: number;
  readonly table: TableRef;
  readonly as: TableRef;
  readonly db?: string;
  readonly sync?: string;
}

interface StoredRow { id: number; schemaname: string; tablename: string; newschema: string; newname: string; db: string | null; sync: string | null }

/** The control database's custom names (`bucardo add|list|remove customname`). */
export class CustomNameStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** Stores a custom name; undefined when one is there for the same table, database and sync already. */
  async insert(relationId: number, as: TableRef, scope: { readonly db?: string; readonly sync?: string }): Promise<number | undefined> {
    const result = await this.#db.query<{ id: number }>(
      `INSERT INTO bucardo.customname (relation, newschema, newname, db, sync) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (relation, coalesce(db, ''), coalesce(sync, '')) DO NOTHING RETURNING id`,
      [relationId, as.schema, as.name, scope.db ?? null, scope.sync ?? null],
    );
    return result.rows[0]?.id;
  }

  /** Every custom name, in the order they were added. */
  async list(): Promise<CustomNameRow[]> {
    const result = await this.#db.query<StoredRow>(
      `SELECT c.id, r.schemaname, r.tablename, c.newschema, c.newname, c.db, c.sync
         FROM bucardo.customname c JOIN bucardo.relation r ON r.id = c.relation ORDER BY c.id`,
    );
    return result.rows.map(rowOf);
  }

  /** The custom names that may apply to sync `sync`: its own and those for every sync. */
  async forSync(sync: string): Promise<CustomNameRow[]> {
    const result = await this.#db.query<StoredRow>(
      `SELECT c.id, r.schemaname, r.tablename, c.newschema, c.newname, c.db, c.sync
         FROM bucardo.customname c JOIN bucardo.relation r ON r.id = c.relation
        WHERE c.sync IS NULL OR c.sync = $1 ORDER BY c.id`,
      [sync],
    );
    return result.rows.map(rowOf);
  }

  /** Deletes these custom names, all or none, in one statement (`removeByIds`). */
  async remove(ids: readonly number[]): Promise<{ removed: CustomNameRow[]; unknown?: number }> {
    const { removed, unknown } = await removeByIds(this.#db, 'customname', ids);
    return unknown === undefined ? { removed: removed.map((row) => rowOf(row as unknown as StoredRow)) } : { removed: [], unknown };
  }
}

function rowOf(row: StoredRow): CustomNameRow {
  return {
    id: row.id, table: { schema: row.schemaname, name: row.tablename }, as: { schema: row.newschema, name: row.newname },
    ...(row.db === null ? {} : { db: row.db }), ...(row.sync === null ? {} : { sync: row.sync }),
  };
}
