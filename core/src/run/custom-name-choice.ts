import { tableId, type TableRef } from '@bucardo/plugin-sdk';
import type { CustomNameRow } from '../control/custom-name-store.js';
import type { TableRename } from './table-renames.js';

/** A per-table setting for receiving databases, scoped like Bucardo's customname and customcols. */
interface Scoped {
  readonly table: TableRef;
  readonly db?: string;
  readonly sync?: string;
}

/**
 * For each of `tables`, the row that applies on receiving database `db` of sync `sync`, the most specific
 * first as in Bucardo: for this database in this sync, for this database, for this sync, for every
 * receiving database. Tables no row applies to are absent.
 */
export function chooseMostSpecific<R extends Scoped>(rows: readonly R[], sync: string, db: string, tables: readonly TableRef[]): Map<string, R> {
  const wanted = new Set(tables.map(tableId));
  const best = new Map<string, { rank: number; row: R }>();
  for (const row of rows) {
    if ((row.db !== undefined && row.db !== db) || (row.sync !== undefined && row.sync !== sync)) continue;
    const id = tableId(row.table);
    if (!wanted.has(id)) continue;
    const rank = (row.db !== undefined ? 2 : 0) + (row.sync !== undefined ? 1 : 0);
    const current = best.get(id);
    if (!current || rank > current.rank) best.set(id, { rank, row });
  }
  return new Map([...best].map(([id, { row }]) => [id, row]));
}

/** The names of `tables` on receiving database `db` of sync `sync` (`chooseMostSpecific`): only the tables whose name differs there. */
export function chooseCustomNames(rows: readonly CustomNameRow[], sync: string, db: string, tables: readonly TableRef[]): TableRename[] {
  const chosen = chooseMostSpecific(rows, sync, db, tables);
  return tables.flatMap((table) => {
    const row = chosen.get(tableId(table));
    return row && tableId(row.as) !== tableId(table) ? [{ table, as: row.as }] : [];
  });
}
