import { BucardoError, formatTable, type TableRef } from '@bucardo/plugin-sdk';
import type { RelationRow } from '../control/catalog-rows.js';
import { databaseError } from '../run/database-error.js';
import { sourcesOf } from '../run/sync-plan.js';
import { refreshCapture } from './capture-refresh.js';
import { removeUnusedCapture } from './capture-cleanup.js';
import type { BucardoContext } from './context.js';
import { refuseKeylessInTrackedSyncs } from './tables.js';
import { readSyncPlan } from './sync-plan-loader.js';
import { syncBacklog, type SourceBacklog } from './sync-backlog.js';
import { pickTable } from './table-names.js';

/**
 * `bucardo update sync S add table T…`: puts added tables into the sync's herd (every sync sharing the herd
 * gets them) and installs capture on their sources; the running daemon picks them up at its next run. The
 * rows already in the table are not copied: use `update sync S onetimecopy=2` for that.
 */
export async function addTablesToSync(ctx: BucardoContext, syncName: string, names: readonly string[]): Promise<TableRef[]> {
  const sync = await ctx.control.catalog.sync(syncName);
  const relations = findRelations(await ctx.control.catalog.relations(), names);
  const users = (await ctx.control.catalog.syncs()).filter((row) => row.herd === sync.herd).map((row) => row.name);
  await refuseKeylessInTrackedSyncs(ctx, sync.herd, users, relations.filter((row) => row.kind === 'table' && row.keyColumns.length === 0).map((row) => row.table));
  await ctx.control.catalog.addHerdMembers(sync.herd, relations.map((row) => row.id));
  try {
    await refreshCapture(ctx, users);
  } catch (error) {
    // Checks failed on some database (a missing table, a column mismatch): undo, nothing changes.
    await ctx.control.catalog.removeHerdMembers(sync.herd, relations.map((row) => row.id));
    throw error;
  }
  return relations.map((row) => row.table);
}

/** Change records a sync had captured for what was taken out of it and not delivered yet: they never will be now. */
export interface DroppedChanges {
  readonly sync: string;
  /** Per source, counted just before (or why not). */
  readonly undelivered: readonly SourceBacklog[];
}

/** Tables taken out of syncs, and what each sync had not delivered of them. */
export interface RemovedTables {
  readonly tables: readonly TableRef[];
  readonly dropped: readonly DroppedChanges[];
}

/** `bucardo update sync S remove table T…`: takes tables out of the sync's herd, and their capture where nothing else reads it. */
export async function removeTablesFromSync(ctx: BucardoContext, syncName: string, names: readonly string[]): Promise<RemovedTables> {
  const relations = findRelations(await ctx.control.catalog.relations(), names);
  const dropped = await removeRelationsFromSync(ctx, syncName, relations);
  return { tables: relations.map((row) => row.table), dropped: [dropped] };
}

async function removeRelationsFromSync(ctx: BucardoContext, syncName: string, relations: readonly RelationRow[]): Promise<DroppedChanges> {
  const sync = await ctx.control.catalog.sync(syncName);
  const herd = await ctx.control.catalog.herd(sync.herd);
  const strangers = relations.filter((row) => !herd.members.some((member) => member.schema === row.table.schema && member.name === row.table.name));
  if (strangers.length > 0) throw new BucardoError('TABLE_NOT_FOUND', `Table "${formatTable(strangers[0]!.table)}" is not in sync "${syncName}"`, { sync: syncName, table: formatTable(strangers[0]!.table) });
  const plan = await readSyncPlan(ctx.control.catalog, syncName);
  // counted first: the sync stops reading these tables' changes here
  const undelivered = await syncBacklog(ctx, { ...plan, tables: relations.map((row) => row.table) });
  await ctx.control.catalog.removeHerdMembers(sync.herd, relations.map((row) => row.id));
  await removeUnusedCapture(ctx, new Map(sourcesOf(plan).map((db) => [db.name, relations.map((row) => row.table)])));
  return { sync: syncName, undelivered };
}

/** What `remove sync` did beyond removing the sync: what it dropped, and the capture it took along or could not. */
export interface RemovedSync {
  /** Per source, the change records the sync had captured and not delivered, counted just before it went. */
  readonly undelivered: readonly SourceBacklog[];
  /** Per source database, the tables whose capture went with the sync (no other sync reads them there). */
  readonly capture: ReadonlyMap<string, readonly TableRef[]>;
  /** Sources whose capture could not be removed (unreachable): it stays there, recording changes no sync reads. */
  readonly captureKept: ReadonlyArray<{ readonly db: string; readonly error: BucardoError }>;
}

/**
 * `bucardo remove sync S`: the sync with its checkpoints and kick requests, and the capture no other sync
 * needs. A daemon running it gives it up at its next round. Its backlog is counted first (the checkpoints
 * go with it), since those changes are never delivered now. A source that cannot be reached does not keep
 * the sync: it may be removed because that database is gone.
 */
export async function removeSync(ctx: BucardoContext, name: string): Promise<RemovedSync> {
  const plan = await readSyncPlan(ctx.control.catalog, name);
  const undelivered = await syncBacklog(ctx, plan);
  await ctx.control.catalog.deleteSync(name);
  const capture = new Map<string, readonly TableRef[]>();
  const captureKept: Array<{ db: string; error: BucardoError }> = [];
  // one source at a time, so that one unreachable database keeps only its own capture
  for (const db of sourcesOf(plan)) {
    try {
      for (const [where, tables] of await removeUnusedCapture(ctx, new Map([[db.name, [...plan.tables]]]))) capture.set(where, tables);
    } catch (error) {
      captureKept.push({ db: db.name, error: databaseError(error, 'CAPTURE_FAILED', { db: db.name, sync: name }) });
    }
  }
  return { undelivered, capture, captureKept };
}

/** `bucardo remove table T… [--force]`: refused while a sync uses it; `force` takes it out of every herd first. */
export async function removeTables(ctx: BucardoContext, names: readonly string[], force: boolean): Promise<RemovedTables> {
  const relations = findRelations(await ctx.control.catalog.relations(), names);
  const used = relations.filter((row) => row.syncs.length > 0);
  if (used.length > 0 && !force) {
    const row = used[0]!;
    throw new BucardoError('IN_USE', `Table "${formatTable(row.table)}" is used by sync ${row.syncs.join(', ')}: remove it from the sync first, or use --force`, { table: formatTable(row.table), sync: row.syncs[0]! });
  }
  const dropped: DroppedChanges[] = [];
  for (const row of used) {
    for (const sync of row.syncs) {
      // The table leaves the sync even when a source cannot be reached; its capture there stays, and says so.
      await removeRelationsFromSync(ctx, sync, [row]).then((changes) => { dropped.push(changes); }, (error: unknown) => ctx.engine.log.log('warn',
        `Table "${formatTable(row.table)}" left sync "${sync}", but its capture could not be removed everywhere: ${(error as Error).message}`,
        { sync, table: formatTable(row.table) }));
    }
  }
  await ctx.control.catalog.deleteRelations(relations.map((row) => row.id));
  return { tables: relations.map((row) => row.table), dropped };
}

/** What `remove db` took away: the databases, and with `force` the syncs that used them and their dbgroup memberships. */
export interface RemovedDatabases {
  readonly databases: readonly string[];
  /** Each sync removed with them, which of the databases it used, and what went with it (as `remove sync` says). */
  readonly syncs: ReadonlyArray<{ readonly name: string; readonly dbs: readonly string[]; readonly removed: RemovedSync }>;
  readonly memberships: ReadonlyArray<{ readonly db: string; readonly dbgroup: string }>;
}

/** `bucardo remove db D… [--force]`: refused while a dbgroup holds it; `force` removes the syncs that use it and its memberships. */
export async function removeDatabases(ctx: BucardoContext, names: readonly string[], force: boolean): Promise<RemovedDatabases> {
  for (const name of names) await ctx.control.catalog.database(name);
  const groups = await ctx.control.catalog.dbgroups();
  for (const name of names) {
    const holding = groups.filter((group) => group.members.some((member) => member.db === name));
    if (holding.length > 0 && !force) {
      const users = holding.flatMap((group) => group.syncs);
      // a dbgroup no sync uses any more (one `add sync … dbs=` made, say) goes with one command
      const unused = holding.filter((group) => group.syncs.length === 0).map((group) => group.name);
      const fix = users.length === 0 ? `remove the dbgroup first (bucardo remove dbgroup ${unused.join(' ')})` : 'remove it from there first';
      throw new BucardoError('DB_IN_USE', `Database "${name}" is in dbgroup ${holding.map((g) => g.name).join(', ')}${users.length ? ` (used by sync ${users.join(', ')})` : ''}: ${fix}, or use --force`, { db: name, dbgroup: holding[0]!.name });
    }
  }
  // Two of the databases may share a dbgroup: each sync goes once.
  const memberships: Array<{ db: string; dbgroup: string }> = [];
  const syncs = new Map<string, Set<string>>();
  for (const group of groups) {
    const dbs = group.members.filter((member) => names.includes(member.db)).map((member) => member.db);
    for (const db of dbs) memberships.push({ db, dbgroup: group.name });
    for (const sync of dbs.length > 0 ? group.syncs : []) for (const db of dbs) (syncs.get(sync) ?? syncs.set(sync, new Set()).get(sync)!).add(db);
  }
  const removed: Array<{ name: string; dbs: string[]; removed: RemovedSync }> = [];
  for (const [sync, dbs] of syncs) removed.push({ name: sync, dbs: [...dbs], removed: await removeSync(ctx, sync) });
  for (const name of names) await ctx.control.catalog.deleteDatabase(name);
  return { databases: [...names], syncs: removed, memberships };
}

function findRelations(relations: readonly RelationRow[], names: readonly string[]): RelationRow[] {
  if (names.length === 0) throw new BucardoError('INVALID_ARGUMENT', 'Name at least one table');
  return names.map((text) => {
    const row = pickTable(text, relations, (relation) => relation.table);
    if (!row) throw new BucardoError('TABLE_NOT_FOUND', `Table "${text}" has not been added: run "bucardo add table ${text}" first`, { table: text });
    return row;
  });
}
