import { toBucardoError, type Checkpoint, type Logger, type TableShape } from '@bucardo/plugin-sdk';
import type { RunSessions } from './sessions.js';
import { sourcesOf, type SyncPlan } from './sync-plan.js';

/** The most change records a run captures and plans at once, unless configured (`partitionSize`). */
export const DEFAULT_PARTITION_SIZE = 500_000;

/**
 * How many key partitions the run's capture is cut into: enough that none holds more than `partitionSize`
 * change records (all sources together), so that memory stays bounded whatever the backlog. 1 when a
 * source cannot capture in partitions (every source must hash keys the same way, or none is cut).
 */
export async function partitionCount(plan: SyncPlan, sessions: RunSessions, shapes: readonly TableShape[], checkpoints: ReadonlyMap<string, Checkpoint>,
  partitionSize: number, log: Logger): Promise<number> {
  const sources = sourcesOf(plan);
  const able = sources.every((db) => sessions.sourceCapabilities(db.name).partitionedCapture === true && sessions.source(db.name).pending !== undefined);
  if (!able || shapes.length === 0) return 1;
  const counts = await Promise.all(sources.map(async (db) => {
    try {
      const perTable = await sessions.source(db.name).pending!({ tables: shapes, since: checkpoints.get(db.name)! });
      let records = 0;
      for (const count of perTable.values()) records += count;
      return records;
    } catch (error) {
      throw toBucardoError(error, 'CAPTURE_FAILED', { db: db.name, sync: plan.name });
    }
  }));
  const records = counts.reduce((sum, count) => sum + count, 0);
  const partitions = Math.max(1, Math.ceil(records / partitionSize));
  if (partitions > 1) log.log('normal', `Sync "${plan.name}" has ${records} change records to read: capturing them in ${partitions} key partitions of at most ~${partitionSize}`);
  return partitions;
}
