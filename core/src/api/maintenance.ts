import { formatTable, isBucardoError, tableId, toBucardoError, type BucardoError, type Checkpoint, type SourceSession, type TableRef, type TableShape } from '@bucardo/plugin-sdk';
import { missingSequences } from '../run/sequence-missing.js';
import { databaseError } from '../run/database-error.js';
import { RunSessions } from '../run/sessions.js';
import { isPureFullcopy, sourcesOf } from '../run/sync-plan.js';
import { describeAll, inspectTableShapes } from '../run/table-shapes.js';
import { replacedKeys } from './replaced-keys.js';
import { writePrivilegeProblems } from '../run/write-privileges.js';
import { repairCapture } from './capture-repair.js';
import { syncForeignKeyWarnings } from './inspect.js';
import type { BucardoContext } from './context.js';
import { withSource } from './source-session.js';
import { loadSyncPlan } from './sync-plan-loader.js';
import { fullcopyRefusal, truncateWarnings } from './truncate-warnings.js';

/** What `validate` found for one sync: problems fail it (and its runs); warnings are allowed but lose something. */
export interface SyncValidation {
  readonly sync: string;
  readonly problems: BucardoError[];
  readonly warnings: BucardoError[];
}

/** `bucardo validate SYNC…|all`: every table of each sync on every database: present, keyed, same columns. */
export async function validateSyncs(ctx: BucardoContext, names: readonly string[]): Promise<SyncValidation[]> {
  const results: SyncValidation[] = [];
  for (const name of names) {
    try {
      const plan = await loadSyncPlan(ctx.control.catalog, name);
      const sessions = await RunSessions.open(plan, ctx.engine.registry, ctx.engine.log, 'bucardo validate', new AbortController().signal);
      try {
        const { shapes, problems: shapeProblems, warnings } = await inspectTableShapes(plan, sessions);
        const refusals = plan.databases.flatMap((db) => fullcopyRefusal(ctx.engine.registry, db, `sync "${name}"`) ?? []);
        const problems = [...refusals, ...shapeProblems, ...await replacedKeys(plan, sessions, shapes), ...await writePrivilegeProblems(plan, sessions, shapes)];
        // a dropped or disabled capture trigger is put back (the tables must be sound to install it)
        const { repaired, broken } = await repairCapture(plan, sessions, shapes, problems.length === 0);
        // a run leaves such a sequence out and goes on: a warning, as it is in the run's log
        // foreign keys leaving the herd, as the first source has them (where the sync's shapes are read)
        const first = sourcesOf(plan)[0];
        const foreignKeys = first ? await syncForeignKeyWarnings(plan, sessions.source(first.name)) : [];
        const truncates = truncateWarnings(ctx.engine.registry, name, plan.databases);
        results.push({ sync: name, problems: [...problems, ...broken], warnings: [...warnings, ...repaired, ...await missingSequences(plan, sessions), ...foreignKeys, ...truncates] });
      } finally {
        await sessions.close();
      }
    } catch (error) {
      results.push({ sync: name, problems: [isBucardoError(error) ? error : toBucardoError(error, 'SYNC_INVALID', { sync: name })], warnings: [] });
    }
  }
  return results;
}

/** Who reads each table's changes on each database: (db, table) → the checkpoints of those syncs for that db. */
async function consumers(ctx: BucardoContext): Promise<Map<string, { db: string; table: TableRef; checkpoints: Checkpoint[]; complete: boolean }>> {
  const [syncs, herds, groups, allCheckpoints] = await Promise.all([
    ctx.control.catalog.syncs(), ctx.control.catalog.herds(), ctx.control.catalog.dbgroups(), ctx.control.catalog.allCheckpoints(),
  ]);
  const found = new Map<string, { db: string; table: TableRef; checkpoints: Checkpoint[]; complete: boolean }>();
  for (const sync of syncs) {
    const checkpoints = allCheckpoints.get(sync.name) ?? new Map<string, Checkpoint>();
    const herd = herds.find((h) => h.name === sync.herd);
    const members = groups.find((g) => g.name === sync.dbgroup)?.members ?? [];
    const sources = members.filter((m) => m.role === 'source');
    // A pure fullcopy sync copies whole tables: it has no capture to read or purge.
    if (isPureFullcopy({ databases: members })) continue;
    for (const source of sources) {
      for (const table of herd?.tables ?? []) {
        const key = `${source.db}\u0001${table.schema}\u0001${table.name}`;
        const entry = found.get(key) ?? { db: source.db, table, checkpoints: [], complete: true };
        const checkpoint = checkpoints.get(source.db);
        if (checkpoint === undefined) entry.complete = false;
        else entry.checkpoints.push(checkpoint);
        found.set(key, entry);
      }
    }
  }
  return found;
}

/** A database `purge` or `delta` could not read: the others are still done, and this one named. */
export interface DatabaseFailure {
  readonly db: string;
  readonly error: BucardoError;
}

/** Per database, how many consumed change records `purge` deleted, or why it could not. */
export type PurgeResult = { readonly db: string; readonly purged: number } | DatabaseFailure;

/** Per database and table, the change records not consumed yet, or why the database could not be read. */
export type DeltaResult = { readonly db: string; readonly table: string; readonly pending: number } | DatabaseFailure;

/** Databases named by the user must exist (DB_NOT_FOUND naming the first that does not). */
async function knownDatabases(ctx: BucardoContext, names: readonly string[] | undefined): Promise<void> {
  for (const name of names ?? []) await ctx.control.catalog.database(name);
}

/** `work` on one database; a failure is that database's result, so that an outage does not hide the others. */
async function orFailure<T>(db: string, work: () => Promise<T>): Promise<T | DatabaseFailure> {
  try {
    return await work();
  } catch (error) {
    // a refused connection is already CONNECTION_FAILED; a statement that failed keeps its SQLSTATE
    return { db, error: databaseError(error, 'CAPTURE_FAILED', { db }) };
  }
}

/**
 * `bucardo purge`: deletes the change records every sync reading them has consumed (Bucardo's delta and
 * track tables grew when purging was skipped). The daemon does this by itself after runs.
 */
export async function purgeDeltas(ctx: BucardoContext, onlyDbs?: readonly string[], open?: ReadonlyMap<string, SourceSession>): Promise<PurgeResult[]> {
  await knownDatabases(ctx, onlyDbs);
  const work = [...(await consumers(ctx)).values()].filter((entry) => entry.complete && (!onlyDbs || onlyDbs.includes(entry.db)));
  const results: PurgeResult[] = [];
  for (const [db, entries] of groupByDb(work)) {
    const purge = async (session: SourceSession) => {
      if (!session.purge) return 0;
      const shapes = await describeAll(session, entries.map((entry) => entry.table), db);
      // tables read by the same syncs have consumed the same checkpoints: one purge call for all of them
      const byCheckpoints = new Map<string, { consumed: readonly Checkpoint[]; tables: TableShape[] }>();
      entries.forEach((entry, index) => {
        const shape = shapes[index];
        if (!shape) return;
        const key = JSON.stringify(entry.checkpoints);
        const group = byCheckpoints.get(key) ?? { consumed: entry.checkpoints, tables: [] };
        group.tables.push(shape);
        byCheckpoints.set(key, group);
      });
      let total = 0;
      for (const group of byCheckpoints.values()) total += await session.purge(group);
      return total;
    };
    // A daemon's worker passes the sessions it keeps between runs: a purge every minute would otherwise
    // open (and authenticate) a new connection to every source each time.
    const kept = open?.get(db);
    results.push(await orFailure(db, async () => ({ db, purged: kept ? await purge(kept) : (await withSource(ctx, db, 'bucardo maintenance', purge)) ?? 0 })));
  }
  return results;
}

/** `bucardo delta`: per database and table, the change records the slowest sync has not consumed yet. */
export async function deltaBacklog(ctx: BucardoContext, onlyDbs?: readonly string[]): Promise<DeltaResult[]> {
  await knownDatabases(ctx, onlyDbs);
  const work = [...(await consumers(ctx)).values()].filter((entry) => !onlyDbs || onlyDbs.includes(entry.db));
  const results: DeltaResult[] = [];
  for (const [db, entries] of groupByDb(work)) {
    const rows: DeltaResult[] = [];
    const failure = await orFailure(db, () => withSource(ctx, db, 'bucardo maintenance', async (session) => {
      if (!session.pending) return;
      const shapes = await describeAll(session, entries.map((entry) => entry.table), db);
      // one count per checkpoint for all tables, not one per table and checkpoint
      const counts = new Map<Checkpoint, Map<string, number>>();
      for (const since of new Set(entries.flatMap((entry) => entry.checkpoints))) {
        const tables = shapes.filter((shape, index): shape is TableShape => shape !== undefined && entries[index]!.checkpoints.includes(since));
        counts.set(since, await session.pending({ tables, since }));
      }
      entries.forEach((entry, index) => {
        const shape = shapes[index];
        if (!shape) return;
        let pending = 0;
        for (const since of entry.checkpoints) pending = Math.max(pending, counts.get(since)?.get(tableId(shape.table)) ?? 0);
        rows.push({ db, table: formatTable(entry.table), pending });
      });
    }));
    results.push(...(failure ? [failure] : rows));
  }
  return results;
}

function groupByDb<T extends { db: string }>(entries: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const entry of entries) groups.set(entry.db, [...(groups.get(entry.db) ?? []), entry]);
  return groups;
}
