import { BucardoError } from '@bucardo/plugin-sdk';
import type { Catalog } from '../control/catalog.js';
import type { SyncPlan } from '../run/sync-plan.js';
import type { RelationRow } from '../control/catalog-rows.js';
import { formatTable, tableId, type TableRef } from '@bucardo/plugin-sdk';
import { specOf } from './databases.js';
import { chooseCustomNames, chooseMostSpecific } from '../run/custom-name-choice.js';
import { parseSelectList } from '../run/select-list.js';
import type { CustomColsRow } from '../control/custom-cols-store.js';
import type { CustomNameRow } from '../control/custom-name-store.js';
import type { TableRename } from '../run/table-renames.js';
import type { TableSelect } from '../run/custom-cols-reader.js';
import { makeDeltaOf } from './makedelta.js';

/** Reads a sync and everything it refers to from the catalog, for a run: its herd must hold tables. */
export async function loadSyncPlan(catalog: Catalog, name: string): Promise<SyncPlan> {
  const plan = await readSyncPlan(catalog, name);
  if (plan.tables.length === 0 && (plan.sequences?.length ?? 0) === 0) throw new BucardoError('HERD_EMPTY', `Herd "${plan.herd}" of sync "${name}" has no tables`, { sync: name, herd: plan.herd });
  return plan;
}

/** The same, whatever its herd holds: for taking a sync apart (`remove sync`, `update sync … remove table`). */
export async function readSyncPlan(catalog: Catalog, name: string): Promise<SyncPlan> {
  const sync = await catalog.sync(name);
  const [herd, dbgroup, databases, relations, customNames, customCols] = await Promise.all([catalog.herd(sync.herd), catalog.dbgroup(sync.dbgroup), catalog.databases(), catalog.relations(), catalog.customNames.forSync(sync.name), catalog.customCols.forSync(sync.name)]);
  return {
    name: sync.name,
    herd: sync.herd,
    dbgroup: sync.dbgroup,
    strategy: sync.conflictStrategy,
    tables: herd.tables,
    sequences: herd.sequences,
    onetimecopy: sync.onetimecopy,
    ...(sync.copyRequest === undefined ? {} : { copyRequest: sync.copyRequest }),
    ...(sync.copyTargets === undefined ? {} : { copyTargets: sync.copyTargets }),
    ...(sync.refreshAbove === null || sync.refreshAbove === undefined ? {} : { refreshAbove: sync.refreshAbove }),
    additive: additiveOf(relations),
    makeDelta: makeDeltaOf(herd.tables, dbgroup.members.map((member) => member.db), relations, databases),
    databases: dbgroup.members.map((member) => {
      const row = databases.find((db) => db.name === member.db)!;
      return {
        name: member.db, role: member.role, type: row.type, spec: specOf(row), ...(row.status === 'inactive' ? { inactive: true as const } : {}),
        ...receivingCustoms({ customNames, customCols }, sync.name, member, herd.tables),
      };
    }),
  };
}

export function additiveOf(relations: readonly RelationRow[]): Map<string, readonly string[]> {
  return new Map(relations.filter((row) => row.additive.length > 0).map((row) => [tableId(row.table), row.additive]));
}

/** The select lists `tables` are read with for receiving database `db` of sync `sync` (the most specific clause of each). */
function tableSelects(rows: readonly CustomColsRow[], sync: string, db: string, tables: readonly TableRef[]): TableSelect[] {
  const chosen = chooseMostSpecific(rows, sync, db, tables);
  return tables.flatMap((table) => {
    const row = chosen.get(tableId(table));
    if (!row) return [];
    const parsed = parseSelectList(row.clause, formatTable(table));
    return [{ table, selectList: parsed.list, columns: parsed.items.map((item) => item.name), id: row.id }];
  });
}

/**
 * What receiving database `member` of sync `sync` has of the custom names and select lists that apply
 * (only the fields it has): a source keeps every table's own name and columns, its rows are captured there.
 */
export function receivingCustoms(
  rows: { readonly customNames: readonly CustomNameRow[]; readonly customCols: readonly CustomColsRow[] },
  sync: string, member: { readonly db: string; readonly role: string }, tables: readonly TableRef[],
): { customNames?: TableRename[]; customCols?: TableSelect[] } {
  if (member.role === 'source') return {};
  const renames = chooseCustomNames(rows.customNames, sync, member.db, tables);
  const selects = tableSelects(rows.customCols, sync, member.db, tables);
  return { ...(renames.length > 0 ? { customNames: renames } : {}), ...(selects.length > 0 ? { customCols: selects } : {}) };
}
