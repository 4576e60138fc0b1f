import { BucardoError } from '@bucardo/plugin-sdk';
import type { Catalog } from '../control/catalog.js';
import type { SyncPlan } from '../run/sync-plan.js';
import type { RelationRow } from '../control/catalog-rows.js';
import { tableId } from '@bucardo/plugin-sdk';
import { specOf } from './databases.js';
import { chooseCustomNames } from '../run/custom-name-choice.js';
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
  const [herd, dbgroup, databases, relations, customNames] = await Promise.all([catalog.herd(sync.herd), catalog.dbgroup(sync.dbgroup), catalog.databases(), catalog.relations(), catalog.customNames.forSync(sync.name)]);
  return {
    name: sync.name,
    herd: sync.herd,
    dbgroup: sync.dbgroup,
    strategy: sync.conflictStrategy,
    tables: herd.tables,
    sequences: herd.sequences,
    onetimecopy: sync.onetimecopy,
    ...(sync.copyRequest === undefined ? {} : { copyRequest: sync.copyRequest }),
    ...(sync.refreshAbove === null || sync.refreshAbove === undefined ? {} : { refreshAbove: sync.refreshAbove }),
    additive: additiveOf(relations),
    makeDelta: makeDeltaOf(herd.tables, dbgroup.members.map((member) => member.db), relations, databases),
    databases: dbgroup.members.map((member) => {
      const row = databases.find((db) => db.name === member.db)!;
      // a source keeps every table's own name: its rows are captured there, under that name
      const renames = member.role === 'source' ? [] : chooseCustomNames(customNames, sync.name, member.db, herd.tables);
      return {
        name: member.db, role: member.role, type: row.type, spec: specOf(row), ...(row.status === 'inactive' ? { inactive: true as const } : {}),
        ...(renames.length > 0 ? { customNames: renames } : {}),
      };
    }),
  };
}

export function additiveOf(relations: readonly RelationRow[]): Map<string, readonly string[]> {
  return new Map(relations.filter((row) => row.additive.length > 0).map((row) => [tableId(row.table), row.additive]));
}
