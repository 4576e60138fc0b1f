import type { KeyText } from './keys.js';
import type { TableRef } from './table.js';

/** What happened to a key on a source: the net effect is always "make the key look like the source". */
export type ChangeOp = 'insert' | 'update' | 'delete';

/** The changes to one key on one source since the sync last consumed that source. */
export interface KeyChange {
  /** The first operation on the key in the captured interval (`insert` for a new row). */
  readonly firstOp: ChangeOp;
  /** The last operation on the key in the captured interval (`delete` when the row is gone). */
  readonly lastOp: ChangeOp;
  /** When the last change happened, in microseconds since the Unix epoch (exact). */
  readonly changedAt: number;
  /**
   * For the table's additive columns: the sum of (new - old) over the captured changes, as decimal text
   * (an insert counts its value, a delete minus its old value). Absent when the table has none.
   */
  readonly additive?: Readonly<Record<string, string>>;
}

/** The changed keys of one table on one source. */
export interface TableChanges {
  /** The table the keys belong to. */
  readonly table: TableRef;
  /** The changed keys, each with what happened to it. */
  readonly changes: ReadonlyMap<KeyText, KeyChange>;
  /**
   * When the table was last truncated on this source in the captured interval (µs since the epoch), if it
   * was: the latest truncate among the sources wins, and every other database is made equal to its table,
   * once the keys other sources changed after it (`KeyChange.changedAt`, the same clock) were written there.
   */
  readonly truncatedAt?: number;
  /**
   * When the capture was of one partition: the time of the newest change to the table in the whole
   * interval, every partition (µs since the epoch), for strategies that compare tables (`latest_table`).
   */
  readonly newestOverall?: number;
}

/**
 * An opaque position in a source's change stream, owned by the source driver (for PostgreSQL: a
 * transaction snapshot). The core stores it and hands it back; it never looks inside.
 */
export type Checkpoint = string;

/** What one source captured in one run. */
export interface SourceChanges {
  /** The source database's name. */
  readonly db: string;
  /** Where this capture ended; the next run starts here once every database committed. */
  readonly checkpoint: Checkpoint;
  /** Changed keys per table, by `tableId`. Tables without changes may be absent. */
  readonly tables: ReadonlyMap<string, TableChanges>;
}

/** Everything captured in one run, one entry per source. */
export interface ChangeSet {
  /** One entry per source of the sync. */
  readonly sources: readonly SourceChanges[];
}

/** The number of changed keys in a change set (keys changed on several sources count once per source). */
export function countChanges(changeSet: ChangeSet): number {
  let count = 0;
  for (const source of changeSet.sources) for (const table of source.tables.values()) count += table.changes.size;
  return count;
}
