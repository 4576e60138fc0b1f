import { isBucardoError, type KeyText, type TableBatch } from '@bucardo/plugin-sdk';

/** Where a transaction's apply failed: the table batch, and its keys by the database their rows come from. */
export interface FailedBatch {
  readonly batch: TableBatch;
  readonly keys: ReadonlyMap<string, readonly KeyText[]>;
}

/** Failures of a table batch's apply on a database, with their batch: the errors travel on unchanged. */
const FAILED = new WeakMap<object, FailedBatch>();

/**
 * Remembers that `error` is a database's failure to apply `batch` (an APPLY_FAILED naming the database),
 * with the batch's keys by origin: the clean keys by source, each conflict's key under its winner. A
 * plugin tap's own failure (PLUGIN_ERROR) is not one. Returns the error.
 */
export function markFailedBatch(error: unknown, batch: TableBatch, winners: ReadonlyMap<KeyText, string>): unknown {
  if (!isBucardoError(error) || error.code !== 'APPLY_FAILED' || error.db === undefined) return error;
  const keys = new Map<string, KeyText[]>([...batch.clean].map(([db, list]) => [db, [...list]]));
  for (const [key, db] of winners) {
    let list = keys.get(db);
    if (!list) keys.set(db, (list = []));
    list.push(key);
  }
  FAILED.set(error, { batch, keys });
  return error;
}

/** The batch a failure was marked with, if it is a database's failure to apply one. */
export function failedBatchOf(error: unknown): FailedBatch | undefined {
  return typeof error === 'object' && error !== null ? FAILED.get(error) : undefined;
}
