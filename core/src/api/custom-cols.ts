import { BucardoError, formatTable, tableId, toBucardoError, type TableRef } from '@bucardo/plugin-sdk';
import type { CustomColsRow } from '../control/custom-cols-store.js';
import type { RelationRow } from '../control/catalog-rows.js';
import { chooseCustomNames } from '../run/custom-name-choice.js';
import { parseSelectList, type SelectList } from '../run/select-list.js';
import type { BucardoContext } from './context.js';
import { specOf } from './databases.js';
import { describeScope } from './custom-names.js';
import { checkReceivingScope, type ReceivingScope } from './receiving-scope.js';
import { withSource } from './source-session.js';
import { pickTable } from './table-names.js';

export type { CustomColsRow };

/**
 * `bucardo add customcols TABLE "SELECT a, upper(b) AS b" [db=DB] [sync=SYNC]`: the table's rows are read
 * with this select list for receiving databases (every one, or those of the scope), which get its columns.
 * Refused, naming what: a clause that is not a select list or has an unnamed expression, a table without a
 * key, with additive columns, or whose key the list does not select as it is, a list the source refuses
 * (or a source that cannot read one), a column a receiving database's table lacks, a source database in
 * the scope, and a second clause for the same table and scope.
 */
export async function addCustomCols(ctx: BucardoContext, tableText: string, clause: string, scope: ReceivingScope = {}): Promise<CustomColsRow> {
  const catalog = ctx.control.catalog;
  const relation = pickTable(tableText, (await catalog.relations()).filter((row) => row.kind === 'table'), (row) => row.table);
  if (!relation) throw new BucardoError('TABLE_NOT_FOUND', `Table "${tableText}" has not been added: run "bucardo add table ${tableText}" first`, { table: tableText });
  const table = formatTable(relation.table);
  const parsed = parseSelectList(clause, table);
  checkList(relation, parsed);
  const { syncs, dbgroups } = await checkReceivingScope(catalog, relation, scope, 'customcols', `a source's rows are captured and sent as they are, and customcols only change what receiving databases are sent of table "${table}"`);
  await checkOnSource(ctx, relation, parsed, clause);
  // every receiving database the clause would apply to, now: each must have the columns it writes
  const inScope = relation.syncs.filter((sync) => scope.sync === undefined || sync === scope.sync);
  const receivers = new Map<string, string>();
  for (const sync of inScope) {
    const group = dbgroups.find((row) => row.name === syncs.find((candidate) => candidate.name === sync)?.dbgroup);
    for (const member of group?.members ?? []) {
      if (member.role !== 'source' && (scope.db === undefined || member.db === scope.db) && !receivers.has(member.db)) receivers.set(member.db, sync);
    }
  }
  for (const [db, sync] of receivers) await checkOnReceiver(ctx, relation.table, parsed, db, sync);
  const named = await catalog.customCols.list();
  const sameScope = (rows: readonly CustomColsRow[]) => rows.find((row) => tableId(row.table) === tableId(relation.table) && row.db === scope.db && row.sync === scope.sync);
  const already = sameScope(named);
  const id = already ? undefined : await catalog.customCols.insert(relation.id, clause.trim(), scope);
  if (id !== undefined) return { id, table: relation.table, clause: clause.trim(), ...scope };
  const existing = already ?? sameScope(await catalog.customCols.list())!;
  throw new BucardoError('DUPLICATE_NAME',
    `Table "${table}" already has customcols${describeScope(scope)}: ${existing.id}. ${existing.clause}; remove them first (bucardo remove customcols ${existing.id})`,
    { table, item: String(existing.id), ...scope });
}

/** `bucardo list customcols`: every clause, in the order they were added. */
export function listCustomCols(ctx: BucardoContext): Promise<CustomColsRow[]> {
  return ctx.control.catalog.customCols.list();
}

/** `bucardo remove customcols ID…`: refused whole, naming it, when one of the ids is not there (one statement: all or none). */
export async function removeCustomCols(ctx: BucardoContext, ids: readonly number[]): Promise<CustomColsRow[]> {
  const { removed, unknown } = await ctx.control.catalog.customCols.remove(ids);
  if (unknown !== undefined) {
    throw new BucardoError('INVALID_ARGUMENT', `Customcols number ${unknown} does not exist (bucardo list customcols shows them)`, { item: String(unknown) });
  }
  return removed;
}

/** What the list must hold for the table: its key as it is, each column once; and no additive columns to merge. */
function checkList(relation: RelationRow, parsed: SelectList): void {
  const table = formatTable(relation.table);
  if (relation.keyColumns.length === 0) {
    throw new BucardoError('TABLE_NO_KEY', `Table "${table}" has no key: customcols read each row again by its key, so a table needs one`, { table });
  }
  if (relation.additive.length > 0) {
    throw new BucardoError('INVALID_ARGUMENT', `Table "${table}" has additive columns (${relation.additive.join(', ')}): their merged values are not the source's, so customcols cannot read them again`, { table, column: relation.additive[0]! });
  }
  for (const key of relation.keyColumns) {
    if (!parsed.items.some((item) => item.plain && item.name === key)) {
      throw new BucardoError('INVALID_ARGUMENT', `Invalid customcols for table "${table}": the key column "${key}" (${relation.keySource}) must be selected as it is, as every change is written by its key`, { table, column: key, key });
    }
  }
  const seen = new Set<string>();
  for (const item of parsed.items) {
    if (seen.has(item.name)) throw new BucardoError('INVALID_ARGUMENT', `Invalid customcols for table "${table}": column "${item.name}" is selected twice`, { table, column: item.name });
    seen.add(item.name);
  }
}

/** The source the table was added from plans the list: an expression it refuses is refused here, with its reason. */
async function checkOnSource(ctx: BucardoContext, relation: RelationRow, parsed: SelectList, clause: string): Promise<void> {
  const table = formatTable(relation.table);
  const db = relation.db;
  const checked = await withSource(ctx, db, 'bucardo add customcols', async (session) => {
    if (!session.selectColumns) {
      throw new BucardoError('DB_ROLE_UNSUPPORTED', `Database "${db}" cannot read table "${table}" with customcols: its source has no selectColumns()`, { db, table });
    }
    try {
      return await session.selectColumns(relation.table, parsed.list);
    } catch (error) {
      const reason = toBucardoError(error, 'INVALID_ARGUMENT', { db, table });
      throw new BucardoError('INVALID_ARGUMENT', `Invalid customcols for table "${table}" on database "${db}": ${reason.message} (in "${clause.trim()}")`, { db, table, item: clause.trim(), ...(reason.sqlstate ? { sqlstate: reason.sqlstate } : {}), cause: error });
    }
  });
  if (checked === undefined) {
    throw new BucardoError('DB_ROLE_UNSUPPORTED', `Database "${db}" cannot read table "${table}" with customcols: its type has no source side`, { db, table });
  }
}

/** A receiving database that can describe its tables must have every column the list writes, in the table as it is named there. */
async function checkOnReceiver(ctx: BucardoContext, table: TableRef, parsed: SelectList, db: string, sync: string): Promise<void> {
  const row = await ctx.control.catalog.database(db);
  const writer = ctx.engine.registry.database(row.type).target;
  if (!writer) return;
  const [rename] = chooseCustomNames(await ctx.control.catalog.customNames.forSync(sync), sync, db, [table]);
  const there = rename?.as ?? table;
  const session = await writer.open(specOf(row), { log: ctx.engine.log, label: 'bucardo add customcols' });
  try {
    if (!session.describeTable) return;
    const shape = await session.describeTable(there);
    if (!shape) throw new BucardoError('TABLE_MISSING', `Table "${formatTable(there)}" does not exist on database "${db}", which customcols for table "${formatTable(table)}" would write`, { db, table: formatTable(there) });
    const missing = parsed.items.find((item) => !shape.columns.some((column) => column.name === item.name));
    if (missing) {
      throw new BucardoError('TABLE_COLUMNS_MISMATCH', `Invalid customcols for table "${formatTable(table)}": table "${formatTable(there)}" on database "${db}" has no column "${missing.name}"`, { db, table: formatTable(there), column: missing.name });
    }
  } finally {
    await session.close();
  }
}
