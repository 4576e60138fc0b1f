import { BucardoError, formatTable, tableId, type TableShape } from '@bucardo/plugin-sdk';
import type { RelationRow } from '../control/catalog-rows.js';
import { isPureFullcopy, sourcesOf, type SyncPlan } from '../run/sync-plan.js';

/**
 * For `bucardo validate`: the tables whose key on the first source is no longer the one the sync captures
 * their changes by, the key recorded when the table was added (the key replaced outright, a key column
 * renamed). Every run fails reading their changes (`CAPTURE_FAILED` from the capture), and validate said
 * OK. Compared by column names in any order: a key column widened (int to bigint) is the same key.
 */
export function replacedKeys(plan: SyncPlan, shapes: readonly TableShape[], relations: readonly RelationRow[]): BucardoError[] {
  if (isPureFullcopy(plan)) return [];
  const first = sourcesOf(plan)[0]?.name;
  const recorded = new Map(relations.map((row) => [tableId(row.table), row]));
  const problems: BucardoError[] = [];
  for (const shape of shapes) {
    const row = recorded.get(tableId(shape.table));
    if (!row || row.keyColumns.length === 0) continue;
    const now = shape.key.map((column) => column.name);
    if (now.length === row.keyColumns.length && now.every((name) => row.keyColumns.includes(name))) continue;
    const table = formatTable(shape.table);
    const key = now.length === 0 ? 'no key' : `(${now.join(', ')}), its ${shape.keySource}`;
    problems.push(new BucardoError('CAPTURE_FAILED',
      `The key of table "${table}" on database "${first}" is now ${key}, but the sync captures its changes by (${row.keyColumns.join(', ')}), the key it had when added: every run fails reading its changes. `
      + 'To lose nothing, give a renamed column its old name, or make the old key unique again on every database (CREATE UNIQUE INDEX on its columns, NOT NULL). '
      + `To move to the new key: bucardo remove table ${table} --force, then add it again and copy it anew (onetimecopy=1); the changes held for it are dropped with its capture`,
      { sync: plan.name, ...(first === undefined ? {} : { db: first }), table }));
  }
  return problems;
}
