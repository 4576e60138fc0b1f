import { tableId, type TableRef } from '@bucardo/plugin-sdk';
import type { TableSelect } from './custom-cols-reader.js';

/**
 * The select list table `table` of the sync is read with for database `db` of the plan (`bucardo add
 * customcols`), or none: the one lookup behind the shape check and what `compare` sets that database
 * against. The clause that applies (the most specific one) was chosen once, when the plan was read.
 */
export function selectOn(db: { readonly customCols?: readonly TableSelect[] }, table: TableRef): TableSelect | undefined {
  const id = tableId(table);
  return db.customCols?.find((select) => tableId(select.table) === id);
}
