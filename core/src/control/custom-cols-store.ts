import type pg from 'pg';
import type { TableRef } from '@bucardo/plugin-sdk';
import { removeByIds } from './remove-by-ids.js';

type Queryable = Pick<pg.Client, 'query'>;

/** A custom select list as stored (`bucardo.customcols`): table `table` is read with `clause` for `db` (every receiving one when absent), in `sync` (every one when absent). */
export interface CustomColsRow {
  readonly id: number;
  readonly table: TableRef;
  /** The clause as given: `SELECT id, upper(name) AS name`. */
  readonly clause: string;
  readonly db?: string;
  readonly sync?: string;
}

interface StoredRow { id: number; schemaname: string; tablename: string; clause: string; db: string | null; sync: string | null }

const SELECT = `SELECT c.id, r.schemaname, r.tablename, c.clause, c.db, c.sync
                  FROM bucardo.customcols c JOIN bucardo.relation r ON r.id = c.relation`;

/** The control database's custom select lists (`bucardo add|list|remove customcols`). */
export class CustomColsStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** Stores a clause; undefined when one is there for the same table, database and sync already. */
  async insert(relationId: number, clause: string, scope: { readonly db?: string; readonly sync?: string }): Promise<number | undefined> {
    const result = await this.#db.query<{ id: number }>(
      `INSERT INTO bucardo.customcols (relation, clause, db, sync) VALUES ($1, $2, $3, $4)
       ON CONFLICT (relation, coalesce(db, ''), coalesce(sync, '')) DO NOTHING RETURNING id`,
      [relationId, clause, scope.db ?? null, scope.sync ?? null],
    );
    return result.rows[0]?.id;
  }

  /** Every clause, in the order they were added. */
  async list(): Promise<CustomColsRow[]> {
    return (await this.#db.query<StoredRow>(`${SELECT} ORDER BY c.id`)).rows.map(rowOf);
  }

  /** The clauses that may apply to sync `sync`: its own and those for every sync. */
  async forSync(sync: string): Promise<CustomColsRow[]> {
    return (await this.#db.query<StoredRow>(`${SELECT} WHERE c.sync IS NULL OR c.sync = $1 ORDER BY c.id`, [sync])).rows.map(rowOf);
  }

  /** Deletes these clauses, all or none, in one statement (`removeByIds`). */
  async remove(ids: readonly number[]): Promise<{ removed: CustomColsRow[]; unknown?: number }> {
    const { removed, unknown } = await removeByIds(this.#db, 'customcols', ids);
    return unknown === undefined ? { removed: removed.map((row) => rowOf(row as unknown as StoredRow)) } : { removed: [], unknown };
  }
}

function rowOf(row: StoredRow): CustomColsRow {
  return {
    id: row.id, table: { schema: row.schemaname, name: row.tablename }, clause: row.clause,
    ...(row.db === null ? {} : { db: row.db }), ...(row.sync === null ? {} : { sync: row.sync }),
  };
}
