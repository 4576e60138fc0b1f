import { tableId, type TargetSession } from '@bucardo/plugin-sdk';
import type { CustomColsReader, TableSelect } from './custom-cols-reader.js';
import { withOverrides } from './renamed-sessions.js';

/**
 * A receiving database's target session that writes each table with a custom select list
 * (`bucardo add customcols`) with the images read for it: every batch's rows are read again with the
 * list, from the database they came from, and written as the list's columns. Changes, initial copies,
 * fullcopy and truncate copies all come through `apply`, so this is the one place; plugins see a table of
 * the list's columns. Other tables, and every other method, reach the plugin as they are.
 */
export function customColsTargetSession(inner: TargetSession, selects: readonly TableSelect[], reader: CustomColsReader, firstSource: string, db: string): TargetSession {
  const byTable = new Map(selects.map((select) => [tableId(select.table), select]));
  return withOverrides(inner, {
    apply: async (batch) => {
      const select = byTable.get(tableId(batch.shape.table));
      if (!select) return inner.apply(batch);
      const shape = await reader.shapeOf(batch.shape, select, batch.rows[0]?.origin ?? firstSource);
      const rows = await Promise.all(batch.rows.map((rows) => reader.images(rows, shape, select, batch.signal, db)));
      return inner.apply({ ...batch, shape, rows });
    },
  });
}
