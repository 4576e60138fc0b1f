import type { Checkpoint, Logger, TableShape } from '@bucardo/plugin-sdk';
import { databaseError } from './database-error.js';
import type { RunSessions } from './sessions.js';
import { sourcesOf, type SyncPlan } from './sync-plan.js';

/** The most change records a run captures and plans at once, unless configured (`partitionSize`). */
export const DEFAULT_PARTITION_SIZE = 500_000;

/** Pending change records per source (by name), then per table (by `tableId`). */
export type PendingRecords = ReadonlyMap<string, ReadonlyMap<string, number>>;

/** Whether every source can capture in key partitions (they must all hash keys the same way, or none is cut). */
export function canPartition(plan: SyncPlan, sessions: RunSessions): boolean {
  return sourcesOf(plan).every((db) => sessions.sourceCapabilities(db.name).partitionedCapture === true);
}

/** What each source has pending since its checkpoint; undefined when a source cannot count it. */
export async function pendingRecords(plan: SyncPlan, sessions: RunSessions, shapes: readonly TableShape[], checkpoints: ReadonlyMap<string, Checkpoint>): Promise<PendingRecords | undefined> {
  const sources = sourcesOf(plan);
  if (shapes.length === 0 || !sources.every((db) => sessions.source(db.name).pending !== undefined)) return undefined;
  const counts = await Promise.all(sources.map(async (db) => {
    try {
      return [db.name, await sessions.source(db.name).pending!({ tables: shapes, since: checkpoints.get(db.name)! })] as const;
    } catch (error) {
      throw databaseError(error, 'CAPTURE_FAILED', { db: db.name, sync: plan.name });
    }
  }));
  return new Map(counts);
}

/**
 * How many key partitions the run's capture is cut into: enough that none holds more than `partitionSize`
 * change records (all sources together, of the tables `pending` counts), so that memory stays bounded
 * whatever the backlog (the tables foreign keys point at are not counted: they are captured whole, see
 * `foreign-key-layout.ts`). 1 when the sources cannot capture in partitions or could not count.
 */
export function partitionCount(plan: SyncPlan, sessions: RunSessions, pending: PendingRecords | undefined, partitionSize: number, log: Logger, pointedAt = false): number {
  if (!pending || !canPartition(plan, sessions)) return 1;
  let records = 0;
  for (const perTable of pending.values()) for (const count of perTable.values()) records += count;
  const partitions = Math.max(1, Math.ceil(records / partitionSize));
  if (partitions > 1) log.log('normal', `Sync "${plan.name}" has ${records} change records to read: capturing them in ${partitions} key partitions of at most ~${partitionSize}${pointedAt ? ' (tables foreign keys point at are captured whole, with the first and the last)' : ''}`);
  return partitions;
}
