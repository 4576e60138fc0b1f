import type { ChangeSet, Checkpoint } from './changes.js';
import type { Conflict, Decisions } from './conflict.js';
import type { ApplyBatch, ApplyResult } from './database.js';
import type { KeyText } from './keys.js';
import type { Logger } from './logger.js';
import type { RowBatch } from './row-batch.js';
import type { TableShape } from './table.js';

/**
 * `source` (master: its changes go everywhere), `target` (slave: receives changes), `fullcopy` (each run
 * makes its tables equal to the first source's, by a full copy: the only mode for tables without a key).
 */
export type DatabaseRole = 'source' | 'target' | 'fullcopy';

/** A database in a sync, with its role. */
export interface SyncDatabase {
  /** Bucardo's name for the database. */
  readonly name: string;
  /** Its database type, e.g. `postgres`. */
  readonly type: string;
  /** Its role in the sync. */
  readonly role: DatabaseRole;
  /**
   * Whether rows can be read from it (a source, or a type with a source side). A conflict's winner must
   * be: its row is read and written to the others. Given to conflict strategies; absent, assume it can.
   */
  readonly readable?: boolean;
}

/** What every hook of a run receives. */
export interface RunArgs {
  /** The sync being run. */
  readonly sync: string;
  /** The run's id. */
  readonly runId: string;
  /** The sync's databases, in dbgroup order. */
  readonly databases: readonly SyncDatabase[];
  /** The sync's tables, with their shapes. */
  readonly tables: readonly TableShape[];
  /** A logger whose lines carry the sync and run. */
  readonly log: Logger;
  /** Aborted when the run is stopped (a kick's timeout, a daemon stopping). */
  readonly signal: AbortSignal;
  /** When the run resumes an interrupted one: each source's capture ends at that run's checkpoint. */
  readonly until?: Readonly<Record<string, Checkpoint>>;
  /**
   * When a large backlog is captured in key partitions (each captured, settled and applied before the
   * next): the partition this phase belongs to. Absent when the run captures everything at once.
   */
  readonly partition?: { readonly index: number; readonly count: number };
  /**
   * The capture of only these sources, when not every one: a run cut into key partitions reads the
   * truncated tables whole from the sources other than the truncate's winner, whose writes after the
   * truncate are kept. Absent: every source.
   */
  readonly onlySources?: readonly string[];
  /** After the capture (fetch, resolve, apply): each source's checkpoint of this run's capture. */
  readonly captured?: Readonly<Record<string, Checkpoint>>;
}

/** The keys of one table handled in one batch. */
export interface TableBatch {
  /** The table. */
  readonly shape: TableShape;
  /** Keys changed on exactly one source, by that source. */
  readonly clean: ReadonlyMap<string, readonly KeyText[]>;
  /** Keys changed on two or more sources. */
  readonly conflicts: readonly Conflict[];
}

/** Row images read for a batch. */
export interface FetchedRows {
  /** Images of each source's clean keys, by source. */
  readonly clean: ReadonlyMap<string, RowBatch>;
  /** Images of conflicting keys, by candidate source (each source's image of every key it changed). */
  readonly candidates: ReadonlyMap<string, RowBatch>;
}

/** What the per-batch hooks receive: the run's args and the table batch. */
export interface BatchArgs extends RunArgs {
  /** The table batch being handled. */
  readonly batch: TableBatch;
}

/** What the resolve hook receives. */
export interface ResolveArgs extends BatchArgs {
  /** The row images read for the batch. */
  readonly rows: FetchedRows;
  /** The sync's `conflict=` setting, e.g. `latest` or a list of databases `t3 t1 t2`. */
  readonly strategy: string;
  /** Per source, the time of its newest change to this table in this run (µs since the epoch). */
  readonly newestChange: ReadonlyMap<string, number>;
}

/** What one table batch writes: one ApplyBatch per receiving database. */
export interface ApplyArgs extends BatchArgs {
  /** Per receiving database, what it gets. */
  readonly plan: ReadonlyMap<string, ApplyBatch>;
}

/** What the writes of a batch did, per database. */
export interface ApplyOutcome {
  /** Per database written, what `apply` returned. */
  readonly results: ReadonlyMap<string, ApplyResult>;
}

/** How a run ended: `good` (changes applied), `empty` (nothing to do), `bad` (failed; its changes come again next run). */
export type RunOutcome = 'good' | 'empty' | 'bad';

/** What a run did to one table. */
export interface TableCounts {
  /** The table, as `schema.name`. */
  readonly table: string;
  /** Rows copied from sources. */
  readonly inserts: number;
  /** Rows deleted, summed over the receiving databases. */
  readonly deletes: number;
  /** Conflicts settled. */
  readonly conflicts: number;
}

/** The end of a run, for status, loggers and metrics. */
export interface RunReport {
  /** The sync. */
  readonly sync: string;
  /** The run's id. */
  readonly runId: string;
  /** How the run ended. */
  readonly outcome: RunOutcome;
  /** When the run started. */
  readonly startedAt: Date;
  /** When the run ended. */
  readonly endedAt: Date;
  /** Rows copied from sources (each row once, however many databases received it). */
  readonly inserts: number;
  /** Rows deleted, summed over the receiving databases. */
  readonly deletes: number;
  /** Conflicts settled. */
  readonly conflicts: number;
  /** Keys left for the next run because a user changed them on a database during the run. */
  readonly deferred: number;
  /** Transactions retried after a serialization failure, a deadlock, or an applyFailed tap's `retry`. */
  readonly retries: number;
  /** Counts per table. */
  readonly tables: readonly TableCounts[];
  /** Rows written and deleted per receiving database. */
  readonly databases: ReadonlyMap<string, { readonly inserted: number; readonly deleted: number }>;
  /** The error of a bad run, as `BucardoError.toJSON()`. */
  readonly error?: { readonly code: string; readonly message: string; readonly [field: string]: unknown };
}

// The hooks' value types, re-exported for plugin authors.
export type { ChangeSet, Decisions };
