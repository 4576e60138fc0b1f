import type { Checkpoint, SourceChanges } from './changes.js';
import type { KeyText } from './keys.js';
import type { Logger } from './logger.js';
import type { RowBatch } from './row-batch.js';
import type { TableRef, TableShape } from './table.js';

/** A database as the user added it (`bucardo add db NAME type=… key=value…`). */
export interface DatabaseSpec {
  /** Bucardo's name for the database, e.g. `t1`. */
  readonly name: string;
  /** The registered database type, e.g. `postgres`. */
  readonly type: string;
  /** The driver's connection parameters, as normalised by `DatabaseDriver.normalizeParams`. */
  readonly params: Readonly<Record<string, string>>;
}

/** What a driver gets when it opens a session. */
export interface OpenContext {
  readonly log: Logger;
  readonly signal?: AbortSignal;
  /** A label for the connection (PostgreSQL: `application_name`), e.g. `bucardo kid foobar`. */
  readonly label: string;
}

/**
 * A database type, registered by a plugin (`host.registerDatabase`). `source` and `target` are the
 * capabilities: a type without `source` cannot be a source in a sync, and the core says so.
 */
export interface DatabaseDriver {
  readonly type: string;
  /** Other names accepted for `type=`, e.g. `pg` for `postgres`. */
  readonly aliases?: readonly string[];
  /** Checks and normalises the `key=value` parameters of `bucardo add db`; throws INVALID_ARGUMENT. */
  normalizeParams(params: Readonly<Record<string, string>>): Record<string, string>;
  /** One line for `bucardo list dbs`, e.g. `psql -h host -p 5432 -U user -d name`. Never shows a password. */
  describe(spec: DatabaseSpec): string;
  /** Connects once and disconnects; throws CONNECTION_FAILED naming the database. */
  ping(spec: DatabaseSpec, context: OpenContext): Promise<void>;
  readonly source?: SourceDriver;
  readonly target?: TargetWriter;
}

/** Reads changes and row images from a database. */
export interface SourceDriver {
  open(spec: DatabaseSpec, context: OpenContext): Promise<SourceSession>;
}

export interface CaptureArgs {
  readonly tables: readonly TableShape[];
  /** The checkpoint the previous run ended at (or the one `installCapture` returned). */
  readonly since: Checkpoint;
  /**
   * Read only the changes up to this checkpoint (one returned by an earlier capture), instead of up to now:
   * a run that resumes after an interruption reads exactly the change set it was working on.
   */
  readonly until?: Checkpoint;
  readonly signal: AbortSignal;
}

export interface ReadTableArgs {
  readonly shape: TableShape;
  /** Rows per yielded batch. */
  readonly batchRows: number;
  /** Start after this key (exclusive), to resume a copy; tables with a key only. */
  readonly after?: KeyText;
  readonly signal: AbortSignal;
}

/** A sequence's state, as the text PostgreSQL prints. */
export interface SequenceState {
  readonly lastValue: string;
  readonly isCalled: boolean;
  readonly start: string;
  readonly increment: string;
  readonly min: string;
  readonly max: string;
  readonly cycle: boolean;
}

export interface FetchArgs {
  readonly shape: TableShape;
  readonly keys: readonly KeyText[];
  readonly signal: AbortSignal;
}

export interface SourceSession {
  /** The table's columns and key on this database, or `undefined` when it has no such table. */
  describeTable(table: TableRef): Promise<TableShape | undefined>;
  /**
   * The tables named `name` in any schema (for `bucardo add table name` without a schema). Optional:
   * without it, an unqualified name means schema `public`.
   */
  findTable?(name: string): Promise<TableRef[]>;
  /**
   * Installs change capture for these tables (idempotent) and returns the checkpoint from which a new
   * sync starts reading.
   */
  installCapture(tables: readonly TableShape[]): Promise<Checkpoint>;
  /** The changes to these tables committed after `since` and up to now. */
  capture(args: CaptureArgs): Promise<SourceChanges>;
  /**
   * Whether any change to these tables was committed after `since`: a cheap probe that the daemon calls
   * several times a second for autokick syncs. Optional: without it, autokick runs the capture itself.
   */
  hasChanges?(args: CaptureArgs): Promise<boolean>;
  /** The current images of the rows with these keys; keys without a row are deleted rows. */
  fetch(args: FetchArgs): Promise<RowBatch>;
  /**
   * The whole table, in key order (tables with a key) or as stored (keyless tables), in batches of at most
   * `batchRows` rows, read in one snapshot: for initial copies and fullcopy members. Optional.
   */
  readTable?(args: ReadTableArgs): AsyncIterable<RowBatch>;
  /** Deletes change records every one of these checkpoints has consumed; returns how many. Optional. */
  purge?(args: { readonly tables: readonly TableShape[]; readonly consumed: readonly Checkpoint[] }): Promise<number>;
  /** How many change records of each table (by `tableId`) are not consumed by `since`. Optional. */
  pending?(args: { readonly tables: readonly TableShape[]; readonly since: Checkpoint }): Promise<Map<string, number>>;
  /** Removes capture from these tables (triggers, change tables): no sync reads them any more. Optional. */
  removeCapture?(tables: readonly TableRef[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Capability flags of a target, each with the default the core assumes when the writer leaves it out.
 * The core branches on these, never on a target's type.
 */
export interface TargetCapabilities {
  /** `rollback()` undoes everything since `begin()`, and `commit()` makes it visible at once. Default false. */
  readonly transactions?: boolean;
  /** The target can empty a table (TRUNCATE). Default false. */
  readonly truncate?: boolean;
  /**
   * The target can tell which keys were changed locally after a checkpoint of its own capture, and
   * leaves them alone (a concurrent local write is not overwritten). Default false.
   */
  readonly localChangeGuard?: boolean;
  /** The target has a schema the core can check (`describeTable`). Default false. */
  readonly schema?: boolean;
}

export const defaultTargetCapabilities: Required<TargetCapabilities> = Object.freeze({
  transactions: false,
  truncate: false,
  localChangeGuard: false,
  schema: false,
});

/** Writes row images to a database. */
export interface TargetWriter {
  readonly capabilities: TargetCapabilities;
  open(spec: DatabaseSpec, context: OpenContext): Promise<TargetSession>;
}

/** One table's share of a batch for one target: delete these keys, then write these rows. */
export interface ApplyBatch {
  readonly shape: TableShape;
  /** Every key this target receives in the batch; each is deleted before `rows` are written. */
  readonly deletes: readonly KeyText[];
  /** The winning images, grouped by the source they come from. Deleted keys have no row. */
  readonly rows: readonly RowBatch[];
  /**
   * When this target is also a source of the sync: the checkpoint of its own capture in this run.
   * A target with `localChangeGuard` leaves alone (and reports in `skipped`) every key changed locally
   * after it, so that a user's concurrent write is not overwritten; the next run carries it.
   */
  readonly guard?: Checkpoint;
  readonly signal: AbortSignal;
}

export interface ApplyResult {
  readonly deleted: number;
  readonly inserted: number;
  /** Keys left alone because they changed locally after the guard checkpoint. */
  readonly skipped: readonly KeyText[];
}

/** The run a target session is writing for (a session may live across runs in a daemon). */
export interface RunInfo {
  readonly sync: string;
  readonly runId: string;
  readonly startedAt: Date;
}

export interface TargetSession {
  /** The table's shape here, or `undefined` when the table is missing (targets with `schema`). */
  describeTable?(table: TableRef): Promise<TableShape | undefined>;
  /**
   * A run starts: called once per run before its first `begin()`. For targets whose unit is the run
   * rather than the transaction (a file per run). Optional.
   */
  beginRun?(run: RunInfo): Promise<void>;
  /**
   * A run ends: `good` or `empty` once every database committed every transaction, `bad` otherwise (the
   * same changes come again next run: discard what this run wrote). Optional.
   */
  endRun?(run: RunInfo & { readonly outcome: 'good' | 'empty' | 'bad' }): Promise<void>;
  /** Starts a batch. */
  begin(signal: AbortSignal): Promise<void>;
  apply(batch: ApplyBatch): Promise<ApplyResult>;
  /** Empties a table in the current transaction (targets with `truncate`); returns the rows removed if known. */
  truncate?(shape: TableShape, signal: AbortSignal): Promise<number | undefined>;
  /** Whether a table has no rows (for `onetimecopy=2`). Optional: without it, a table is taken as not empty. */
  isEmpty?(table: TableRef): Promise<boolean>;
  /** A sequence's state here, or undefined when there is no such sequence. Optional (targets without sequences). */
  readSequence?(sequence: TableRef): Promise<SequenceState | undefined>;
  /** Makes a sequence's state equal to `state`. */
  setSequence?(sequence: TableRef, state: SequenceState): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  close(): Promise<void>;
}
