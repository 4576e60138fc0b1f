import { BucardoError, tableId, type Checkpoint, type SourceSession, type TableRef, type TableShape } from '@bucardo/plugin-sdk';
import { databaseError } from '../run/database-error.js';
import { isPureFullcopy, sourcesOf, type PlannedDatabase, type SyncPlan } from '../run/sync-plan.js';
import { describeAll } from '../run/table-shapes.js';
import type { BucardoContext } from './context.js';

/** Change records of one table a sync has captured on a source and not delivered yet. */
export interface TableBacklog {
  readonly table: TableRef;
  readonly records: number;
}

/**
 * What a sync had not delivered yet on one of its sources: counted per table (tables with none left out),
 * or not known, and why (the database could not be reached, its driver cannot count).
 */
export type SourceBacklog =
  | { readonly db: string; readonly counted: true; readonly tables: readonly TableBacklog[] }
  | { readonly db: string; readonly counted: false; readonly error: BucardoError };

/**
 * Per source, the change records `plan`'s next run would read: those after the sync's own checkpoint
 * there, counted as a run counts them (`SourceSession.pending`). `bucardo delta` counts for the slowest
 * sync of each table instead, which says nothing of this one. A source the sync has no checkpoint for
 * has nothing of it (its next run starts reading there), and a pure fullcopy sync captures nothing.
 * Never throws for a source: one that cannot be counted says why, and the others are still counted.
 * `open` are sessions the caller already holds on sources (compare's): counted on, not opened again.
 */
export async function syncBacklog(ctx: BucardoContext, plan: SyncPlan, open?: ReadonlyMap<string, SourceSession>): Promise<SourceBacklog[]> {
  if (isPureFullcopy(plan) || plan.tables.length === 0) return [];
  const checkpoints = await ctx.control.catalog.checkpoints(plan.name);
  const sources = sourcesOf(plan).filter((db) => checkpoints.has(db.name));
  return Promise.all(sources.map((db) => sourceBacklog(ctx, plan, db, checkpoints.get(db.name)!, open?.get(db.name))));
}

async function sourceBacklog(ctx: BucardoContext, plan: SyncPlan, db: PlannedDatabase, since: Checkpoint, session?: SourceSession): Promise<SourceBacklog> {
  try {
    const tables = session ? await countWith(session, plan, db.name, since) : await countOn(ctx, plan, db, since);
    return { db: db.name, counted: true, tables };
  } catch (error) {
    return { db: db.name, counted: false, error: databaseError(error, 'CAPTURE_FAILED', { db: db.name, sync: plan.name }) };
  }
}

async function countOn(ctx: BucardoContext, plan: SyncPlan, db: PlannedDatabase, since: Checkpoint): Promise<TableBacklog[]> {
  const driver = ctx.engine.registry.database(db.type).source;
  if (!driver) throw new BucardoError('DB_ROLE_UNSUPPORTED', `Database "${db.name}" (type ${db.type}) cannot be a source`, { db: db.name, sync: plan.name });
  const session = await driver.open(db.spec, { log: ctx.engine.log, label: 'bucardo remove sync' });
  try {
    return await countWith(session, plan, db.name, since);
  } finally {
    await session.close();
  }
}

async function countWith(session: SourceSession, plan: SyncPlan, db: string, since: Checkpoint): Promise<TableBacklog[]> {
  if (!session.pending) throw new BucardoError('PLUGIN_ERROR', `The driver of database "${db}" cannot count pending change records`, { db, sync: plan.name });
  // a table dropped on the source has no change records to count, and is no reason to count none
  const shapes = (await describeAll(session, plan.tables, db)).filter((shape): shape is TableShape => shape !== undefined);
  const counts = await session.pending({ tables: shapes, since });
  return shapes
    .map((shape) => ({ table: shape.table, records: counts.get(tableId(shape.table)) ?? 0 }))
    .filter((entry) => entry.records > 0);
}
