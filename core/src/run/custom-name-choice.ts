import { tableId, type TableRef } from '@bucardo/plugin-sdk';
import type { CustomNameRow } from '../control/custom-name-store.js';
import type { TableRename } from './table-renames.js';

/**
 * The names of `tables` on receiving database `db` of sync `sync`, from the custom names that apply, the
 * most specific first as in Bucardo: for this database in this sync, for this database, for this sync,
 * for every receiving database. Only the tables whose name differs there.
 */
export function chooseCustomNames(rows: readonly CustomNameRow[], sync: string, db: string, tables: readonly TableRef[]): TableRename[] {
  const wanted = new Set(tables.map(tableId));
  const best = new Map<string, { rank: number; as: TableRef; table: TableRef }>();
  for (const row of rows) {
    if ((row.db !== undefined && row.db !== db) || (row.sync !== undefined && row.sync !== sync)) continue;
    const id = tableId(row.table);
    if (!wanted.has(id)) continue;
    const rank = (row.db !== undefined ? 2 : 0) + (row.sync !== undefined ? 1 : 0);
    const current = best.get(id);
    if (!current || rank > current.rank) best.set(id, { rank, as: row.as, table: row.table });
  }
  return tables.flatMap((table) => {
    const chosen = best.get(tableId(table));
    return chosen && tableId(chosen.as) !== tableId(table) ? [{ table, as: chosen.as }] : [];
  });
}
