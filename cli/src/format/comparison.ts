import { KEY_STANDINGS, type SyncComparison, type TableComparison } from '@bucardo/core';
import { displayKey } from '@bucardo/plugin-sdk';

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** `bucardo compare`'s report: a line per table, and under a table that differs, per database and per key. */
export function formatComparison(comparison: SyncComparison): string[] {
  const { sync, reference, databases, leftOut, tables } = comparison;
  const lines = [`Comparing sync "${sync}" against database "${reference}", its first source: ${plural(tables.length, 'table', 'tables')} on ${databases.length} databases`];
  for (const { db, reason } of leftOut) lines.push(`Not compared on database "${db}": ${reason}`);
  for (const table of tables) lines.push(...formatTable(table, databases));
  const differ = tables.filter((table) => table.differing > 0).length;
  lines.push(differ === 0
    ? `Sync "${sync}": every table is the same on every database`
    : `Sync "${sync}": ${differ} of ${plural(tables.length, 'table', 'tables')} ${differ === 1 ? 'differs' : 'differ'}`);
  return lines;
}

function formatTable(table: TableComparison, databases: readonly string[]): string[] {
  const rows = (db: string) => table.rows.get(db) ?? 0;
  if (table.differing === 0) {
    return [`${table.table}: same on ${databases.join(', ')} (${plural(rows(databases[0]!), 'row', 'rows')})`];
  }
  const lines = [`${table.table}: differs: ${databases.map((db) => `${db} ${plural(rows(db), 'row', 'rows')}`).join(', ')}`];
  for (const db of databases) {
    const counts = table.counts.get(db);
    if (counts) lines.push(`  ${db}: ${KEY_STANDINGS.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`).join(', ')}`);
  }
  for (const difference of table.differences) {
    const parts = KEY_STANDINGS.map((standing) => {
      const on = databases.filter((db) => difference.on.get(db) === standing);
      return on.length === 0 ? undefined : `${standing} on ${on.join(', ')}`;
    }).filter((part): part is string => part !== undefined);
    lines.push(`  key ${displayKey(difference.key)}: ${parts.join('; ')}`);
  }
  const more = table.differing - table.differences.length;
  if (more > 0) lines.push(`  … and ${plural(more, 'more key', 'more keys')}`);
  return lines;
}
