import { BucardoError, formatTable, tableId, type ForeignKey, type TableRef } from '@bucardo/plugin-sdk';

/**
 * A foreign key that leaves a herd, seen from the herd's table `table`. `parent`: the key of `table`
 * points at `other`, which the herd lacks, so a row the sync writes fails on a database that lacks the row
 * it points at (what Bucardo's `inspect table` reports). `child`: `other`, outside the herd, points at
 * `table` and refuses deletes (`NO ACTION`, `RESTRICT`), so a delete the sync replicates fails on a
 * database where `other` has rows pointing at the deleted row; keys that cascade or set null are left out,
 * since the receiving database then does to `other` what the source did.
 */
export interface ForeignKeyGap {
  readonly table: TableRef;
  readonly constraint: string;
  readonly missing: 'parent' | 'child';
  readonly other: TableRef;
}

/** The gaps of `tables` (each a member of `herd`) against the herd's members, parents first, then children; a table pointing at itself is none. */
export function foreignKeyGaps(keys: readonly ForeignKey[], herd: readonly TableRef[], tables: readonly TableRef[] = herd): ForeignKeyGap[] {
  const inHerd = new Set(herd.map(tableId));
  const gaps: ForeignKeyGap[] = [];
  for (const table of tables) {
    const id = tableId(table);
    for (const key of keys) {
      if (tableId(key.table) === id && !inHerd.has(tableId(key.references))) gaps.push({ table, constraint: key.name, missing: 'parent', other: key.references });
    }
  }
  for (const table of tables) {
    const id = tableId(table);
    for (const key of keys) {
      if (tableId(key.references) === id && !inHerd.has(tableId(key.table)) && key.onDelete === 'restrict') gaps.push({ table, constraint: key.name, missing: 'child', other: key.table });
    }
  }
  return gaps;
}

/** `bucardo add table T herd=H`, as a user types it: the way out of a gap. */
export function addTableCommand(table: TableRef, herd: string): string {
  return `bucardo add table ${formatTable(table)} herd=${herd}`;
}

/**
 * A gap as a warning of sync `sync` (`bucardo validate`, `add sync`, `update sync … add table`): it names
 * the sync, the table, the other table and the constraint, and the way out. Never a failure: the rows may
 * be on every receiving database already, put there by other means.
 */
export function gapWarning(sync: string, herd: string, gap: ForeignKeyGap): BucardoError {
  const table = formatTable(gap.table);
  const other = formatTable(gap.other);
  const message = gap.missing === 'parent'
    ? `Table ${table} of sync "${sync}" has foreign key ${gap.constraint} pointing at ${other}, which is not in relgroup "${herd}": a row the sync writes fails on a database that lacks the row it points at. Add it (${addTableCommand(gap.other, herd)}), or give every database the sync writes to those rows yourself`
    : `Table ${table} of sync "${sync}" is pointed at by foreign key ${gap.constraint} of ${other}, which is not in relgroup "${herd}": a delete the sync replicates fails on a database where ${other} has rows pointing at the deleted row. Add it (${addTableCommand(gap.other, herd)}), or keep such rows off the databases the sync writes to`;
  return new BucardoError('TABLE_NOT_IN_HERD', message, { sync, herd, table, item: gap.constraint });
}
