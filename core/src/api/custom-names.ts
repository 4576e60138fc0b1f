import { BucardoError, formatTable, parseTableName, tableId, type TableRef } from '@bucardo/plugin-sdk';
import type { CustomNameRow } from '../control/custom-name-store.js';
import type { BucardoContext } from './context.js';
import { pickTable } from './table-names.js';
import { checkReceivingScope, type ReceivingScope } from './receiving-scope.js';

/** Where a custom name applies: one database, one sync, both, or (neither) every receiving database. */
export type CustomNameScope = ReceivingScope;

export type { CustomNameRow };

/**
 * `bucardo add customname TABLE NEWNAME|SCHEMA.NEWNAME [db=DB] [sync=SYNC]`: the table is written under
 * `newName` on receiving databases (every one, or those of the scope). A name without a schema keeps the
 * table's schema. Refused, naming what: a table, database or sync that was never added, a database that is
 * a source where the name would apply (a source keeps the table's own name: its changes are captured
 * there), and a second custom name for the same table and scope.
 */
export async function addCustomName(ctx: BucardoContext, tableText: string, newName: string, scope: CustomNameScope = {}): Promise<CustomNameRow> {
  const catalog = ctx.control.catalog;
  const relations = (await catalog.relations()).filter((row) => row.kind === 'table');
  const relation = pickTable(tableText, relations, (row) => row.table);
  if (!relation) throw new BucardoError('TABLE_NOT_FOUND', `Table "${tableText}" has not been added: run "bucardo add table ${tableText}" first`, { table: tableText });
  const table = relation.table;
  const as = targetName(newName, table);
  // two of a sync's tables written into one would mix their rows (and each copy would empty the other's)
  const sharedWith = (row: { readonly syncs: readonly string[] }) => row.syncs.find((sync) => relation.syncs.includes(sync) && (scope.sync === undefined || sync === scope.sync));
  const taken = relations.find((row) => tableId(row.table) === tableId(as) && sharedWith(row) !== undefined);
  if (taken) {
    const shared = sharedWith(taken)!;
    throw new BucardoError('INVALID_NAME', `"${formatTable(as)}" is another table of sync "${shared}": table "${formatTable(table)}" cannot be written into it`, { table: formatTable(table), item: formatTable(as), sync: shared });
  }
  // nor two of a sync's tables written into one by two custom names whose databases can meet
  const named = await catalog.customNames.list();
  const rivalSync = (row: CustomNameRow) => {
    if (tableId(row.table) === tableId(table) || tableId(row.as) !== tableId(as)) return undefined;
    if (row.db !== undefined && scope.db !== undefined && row.db !== scope.db) return undefined;
    const rival = relations.find((candidate) => tableId(candidate.table) === tableId(row.table));
    return rival?.syncs.find((sync) => relation.syncs.includes(sync) && (scope.sync === undefined || sync === scope.sync) && (row.sync === undefined || sync === row.sync));
  };
  const rival = named.find((row) => rivalSync(row) !== undefined);
  if (rival) {
    const shared = rivalSync(rival)!;
    throw new BucardoError('INVALID_NAME', `"${formatTable(as)}" is already the custom name of table "${formatTable(rival.table)}" in sync "${shared}" (customname ${rival.id}): table "${formatTable(table)}" cannot be written into it too`, { table: formatTable(table), item: formatTable(as), sync: shared });
  }
  await checkReceivingScope(catalog, relation, scope, 'a custom name', `a source keeps table "${formatTable(table)}" under its own name (its changes are captured there)`);
  // looked for first, so that a refusal does not use up an id; the unique index settles a race
  const sameScope = (rows: readonly CustomNameRow[]) => rows.find((row) => tableId(row.table) === tableId(table) && row.db === scope.db && row.sync === scope.sync);
  const already = sameScope(named);
  const id = already ? undefined : await catalog.customNames.insert(relation.id, as, scope);
  if (id !== undefined) return { id, table, as, ...scope };
  const existing = already ?? sameScope(await catalog.customNames.list())!;
  throw new BucardoError('DUPLICATE_NAME',
    `Table "${formatTable(table)}" already has a custom name${describeScope(scope)}: ${existing.id}. ${formatTable(table)} => ${formatTable(existing.as)}; remove it first (bucardo remove customname ${existing.id})`,
    { table: formatTable(table), item: String(existing.id), ...scope });
}

/** `bucardo list customnames`: every custom name, in the order they were added. */
export function listCustomNames(ctx: BucardoContext): Promise<CustomNameRow[]> {
  return ctx.control.catalog.customNames.list();
}

/** `bucardo remove customname ID…`: refused whole, naming it, when one of the ids is not there (one statement: all or none). */
export async function removeCustomNames(ctx: BucardoContext, ids: readonly number[]): Promise<CustomNameRow[]> {
  const { removed, unknown } = await ctx.control.catalog.customNames.remove(ids);
  if (unknown !== undefined) {
    throw new BucardoError('INVALID_ARGUMENT', `Customname number ${unknown} does not exist (bucardo list customnames shows them)`, { item: String(unknown) });
  }
  return removed;
}

/** ` on database "r" in sync "s"`: where a custom name applies, for messages. */
export function describeScope(scope: CustomNameScope): string {
  return `${scope.db === undefined ? '' : ` on database "${scope.db}"`}${scope.sync === undefined ? '' : ` in sync "${scope.sync}"`}`;
}

function targetName(text: string, table: TableRef): TableRef {
  let parsed: { schema?: string; name: string };
  try {
    parsed = parseTableName(text);
  } catch (error) {
    throw new BucardoError('INVALID_NAME', `Invalid new name "${text}" for table "${formatTable(table)}": give NAME or SCHEMA.NAME`, { table: formatTable(table), item: text, cause: error });
  }
  const as = { schema: parsed.schema ?? table.schema, name: parsed.name };
  if (tableId(as) === tableId(table)) {
    throw new BucardoError('INVALID_NAME', `"${text}" is the table's own name: a custom name must differ from "${formatTable(table)}"`, { table: formatTable(table), item: text });
  }
  return as;
}
