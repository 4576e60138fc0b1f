import { isBucardoError, tableId, type ApplyFailedBatch, type KeyText, type TableBatch, type TableRef } from '@bucardo/plugin-sdk';

/** Where a transaction's apply failed: the table batch, and its keys by the database their rows come from. */
export interface FailedBatch extends ApplyFailedBatch {
  /** `apply`: while `batch` was written; `commit`: when a database checked the transaction before any committed. */
  readonly phase: 'apply' | 'commit';
  /**
   * The tables the failure counts against (the limit of handled failures per table): `batch`'s; at commit
   * when the server named none of the transaction's tables, every one of them.
   */
  readonly charged: readonly TableRef[];
  /** At commit: every batch of the transaction, with its keys. */
  readonly batches?: readonly ApplyFailedBatch[];
  /** At commit, when the server named no table of the transaction: `batch` is merely the first. */
  readonly wholeTransaction?: boolean;
}

/** A table batch the transaction applied, and the databases that won its conflicts. */
export interface AppliedBatch {
  readonly batch: TableBatch;
  readonly winners: ReadonlyMap<KeyText, string>;
}

/** Failures of a table batch's apply on a database, with their batch: the errors travel on unchanged. */
const FAILED = new WeakMap<object, FailedBatch>();

/**
 * Remembers that `error` is a database's failure to apply `batch` (an APPLY_FAILED naming the database),
 * with the batch's keys by origin: the clean keys by source, each conflict's key under its winner. A
 * plugin tap's own failure (PLUGIN_ERROR) is not one. Returns the error.
 */
export function markFailedBatch(error: unknown, batch: TableBatch, winners: ReadonlyMap<KeyText, string>): unknown {
  if (!isDatabaseFailure(error)) return error;
  FAILED.set(error, { batch, keys: keysByOrigin(batch, winners), phase: 'apply', charged: [batch.shape.table] });
  return error;
}

/**
 * Remembers that `error` is a database's refusal of the transaction's `applied` batches when it checked
 * them before committing (a deferred constraint). Its batch is the one of the table the server named
 * (`error.table`, by its name on that database: `tableOn`), or, when it named none of them, the first,
 * with every table charged. Returns the error.
 */
export function markFailedCommit(error: unknown, applied: readonly AppliedBatch[], tableOn: (db: string, table: TableRef) => string): unknown {
  if (!isDatabaseFailure(error) || applied.length === 0) return error;
  const batches = applied.map(({ batch, winners }) => ({ batch, keys: keysByOrigin(batch, winners) }));
  const db = error.db;
  const named = error.table === undefined ? [] : batches.filter(({ batch }) => tableOn(db, batch.shape.table) === error.table);
  if (named.length === 0) {
    const charged = [...new Map(batches.map(({ batch }) => [tableId(batch.shape.table), batch.shape.table])).values()];
    FAILED.set(error, { ...batches[0]!, phase: 'commit', charged, batches, wholeTransaction: true });
    return error;
  }
  // a table the transaction writes twice (a foreign key's parent, its lost keys planned last): all its keys
  const keys = named.length === 1 ? named[0]!.keys : mergeKeys(named.map((entry) => entry.keys));
  FAILED.set(error, { batch: named[0]!.batch, keys, phase: 'commit', charged: [named[0]!.batch.shape.table], batches });
  return error;
}

/** The batch a failure was marked with, if it is a database's failure to apply one. */
export function failedBatchOf(error: unknown): FailedBatch | undefined {
  return typeof error === 'object' && error !== null ? FAILED.get(error) : undefined;
}

function isDatabaseFailure(error: unknown): error is object & { readonly db: string; readonly table?: string } {
  return isBucardoError(error) && error.code === 'APPLY_FAILED' && error.db !== undefined;
}

/** The clean keys by source, and each conflict's key under its winner. */
function keysByOrigin(batch: TableBatch, winners: ReadonlyMap<KeyText, string>): Map<string, KeyText[]> {
  const keys = new Map<string, KeyText[]>([...batch.clean].map(([db, list]) => [db, [...list]]));
  for (const [key, db] of winners) {
    let list = keys.get(db);
    if (!list) keys.set(db, (list = []));
    list.push(key);
  }
  return keys;
}

function mergeKeys(all: readonly ReadonlyMap<string, readonly KeyText[]>[]): Map<string, KeyText[]> {
  const merged = new Map<string, KeyText[]>();
  for (const keys of all) {
    for (const [db, list] of keys) merged.set(db, [...(merged.get(db) ?? []), ...list]);
  }
  return merged;
}
