import type { SqlConnection } from './apply-failed.js';
import type { Checkpoint, SourceChanges } from './changes.js';
import type { ForeignKey } from './foreign-key.js';
import type { KeyText } from './keys.js';
import type { Logger } from './logger.js';
import type { RowBatch } from './row-batch.js';
import type { ColumnInfo, TableRef, TableShape } from './table.js';

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
  /** A logger for the session (lines carry the database name). */
  readonly log: Logger;
  /** Aborted when the run that opens the session is stopped. Optional. */
  readonly signal?: AbortSignal;
  /** A label for the connection (PostgreSQL: `application_name`), e.g. `bucardo kid foobar`. */
  readonly label: string;
}

/**
 * A database type, registered by a plugin (`host.registerDatabase`). `source` and `target` are the
 * capabilities: a type without `source` cannot be a source in a sync, and the core says so.
 */
export interface DatabaseDriver {
  /** The name users give with `bucardo add db NAME type=…`, e.g. `postgres`. */
  readonly type: string;
  /** Other names accepted for `type=`, e.g. `pg` for `postgres`. */
  readonly aliases?: readonly string[];
  /** Checks and normalises the `key=value` parameters of `bucardo add db`; throws INVALID_ARGUMENT. */
  normalizeParams(params: Readonly<Record<string, string>>): Record<string, string>;
  /** One line for `bucardo list dbs`, e.g. `psql -h host -p 5432 -U user -d name`. Never shows a password. */
  describe(spec: DatabaseSpec): string;
  /** Connects once and disconnects; throws CONNECTION_FAILED naming the database. */
  ping(spec: DatabaseSpec, context: OpenContext): Promise<void>;
  /** Present when the type can be a source: reads changes and row images. */
  readonly source?: SourceDriver;
  /** Present when the type can be written to (every database of a sync is). */
  readonly target?: TargetWriter;
  /**
   * Present when the type offers a plain SQL connection, outside any run's transaction: what an
   * `applyFailed` tap gets from `args.connect(db)` to fix rows before it asks for a retry.
   */
  readonly sql?: SqlAccess;
}

/** A driver's plain connections (`DatabaseDriver.sql`). */
export interface SqlAccess {
  /** Connects as a session of the run would (same parameters, settings and label); CONNECTION_FAILED naming it. */
  connect(spec: DatabaseSpec, context: OpenContext): Promise<SqlConnection>;
}

/** Capability flags of a source, each false when left out. The core branches on these, never on a type. */
export interface SourceCapabilities {
  /**
   * `capture` honours `CaptureArgs.partition`, and `pending` counts change records: a backlog larger than
   * the run's partition size is then captured and applied in key partitions, so that a run's memory is
   * bounded whatever the backlog. Default false (one capture of everything).
   */
  readonly partitionedCapture?: boolean;
}

/** Reads changes and row images from a database. */
export interface SourceDriver {
  /** What the source can do. */
  readonly capabilities?: SourceCapabilities;
  /** Opens a session on a source database; a failure to connect is CONNECTION_FAILED naming it. */
  open(spec: DatabaseSpec, context: OpenContext): Promise<SourceSession>;
}

/** What `SourceSession.capture` and `hasChanges` are given. */
export interface CaptureArgs {
  /** The sync's tables, with their shapes. */
  readonly tables: readonly TableShape[];
  /** The checkpoint the previous run ended at (or the one `installCapture` returned). */
  readonly since: Checkpoint;
  /**
   * Read only the changes up to this checkpoint (one returned by an earlier capture), instead of up to now:
   * a run that resumes after an interruption reads exactly the change set it was working on.
   */
  readonly until?: Checkpoint;
  /**
   * Read only the keys of this partition: those for which `keyPartition(key, key columns, count)` is
   * `index`. Given only to sources with `partitionedCapture`, with `until` set for every partition after
   * the first, so that all partitions read the same interval. Each partition's `TableChanges` then carry
   * `newestOverall`.
   */
  readonly partition?: { readonly index: number; readonly count: number };
  /**
   * The sync that reads, given when it records what it writes into this database (`ApplyBatch.makeDelta`):
   * those records are changes for the other syncs reading this database, not for it (the rows came from
   * it), and a source skips the records marked with this name. Absent: nothing is skipped.
   */
  readonly sync?: string;
  /** Aborted when the run is stopped. */
  readonly signal: AbortSignal;
}

/** What `SourceSession.readTable` is given (initial copies, fullcopy members, truncate winners, refreshes). */
export interface ReadTableArgs {
  /** The table to read, with its columns (the order of the values yielded) and key. */
  readonly shape: TableShape;
  /** Rows per yielded batch. */
  readonly batchRows: number;
  /** Start after this key (exclusive), to resume a copy; tables with a key only. */
  readonly after?: KeyText;
  /**
   * Most of the table's rows changed since the sync last read it (a `refreshAbove` copy): a reader that
   * walks an index for key order may do better to scan the table and sort, since the index then holds
   * about as many entries for dead row versions as for live ones. Optional; the order asked is the same.
   */
  readonly mostlyChanged?: boolean;
  /** Aborted when the run is stopped. */
  readonly signal: AbortSignal;
}

/** A sequence's state, as the text PostgreSQL prints. */
export interface SequenceState {
  /** The last value (`last_value`). */
  readonly lastValue: string;
  /** Whether `lastValue` has been handed out (`is_called`). */
  readonly isCalled: boolean;
  /** The start value. */
  readonly start: string;
  /** The increment. */
  readonly increment: string;
  /** The minimum value. */
  readonly min: string;
  /** The maximum value. */
  readonly max: string;
  /** Whether the sequence wraps around. */
  readonly cycle: boolean;
}

/** A table whose capture is not working on a source, as `SourceSession.captureProblems` finds it. */
export interface CaptureProblem {
  /** The table whose changes are not recorded on that source. */
  readonly table: TableRef;
  /** What records its changes there, e.g. the trigger's name. */
  readonly trigger: string;
  /** `missing`: dropped; `disabled`: there, but not firing for the application's writes. */
  readonly state: 'missing' | 'disabled';
}

/** What `SourceSession.fetch` is given. */
export interface FetchArgs {
  /** The table, with its columns (the order of the values returned) and key. */
  readonly shape: TableShape;
  /** The keys whose current rows are wanted. */
  readonly keys: readonly KeyText[];
  /**
   * For a table with additive columns: this source's capture checkpoint of the run. Each additive column
   * is returned as of it, less what the changes committed after it added: those changes are the next
   * run's, and a row image that held them would count them twice (once in the image, once as the next
   * run's delta). A source that ignores it returns the current values, which is exact only while nobody
   * writes during a run.
   */
  readonly additiveAsOf?: Checkpoint;
  /**
   * A custom select list for a receiving database (`bucardo add customcols`), without its `SELECT`: each
   * image holds its output columns, which are `shape.columns` then (the key among them, by name), read
   * from the table `shape` names, the keys chosen by the table's own key columns. Given only to sessions
   * with `selectColumns`.
   */
  readonly selectList?: string;
  /** Aborted when the run is stopped. */
  readonly signal: AbortSignal;
}

/** An open connection to a source database, for one run or (in a daemon) across runs. */
export interface SourceSession {
  /** The table's columns and key on this database, or `undefined` when it has no such table. */
  describeTable(table: TableRef): Promise<TableShape | undefined>;
  /**
   * `describeTable` of each table, in order, in as few round trips as the database allows: a sync of
   * hundreds of tables is checked on every database by each run that opens new connections. Optional:
   * without it the core asks `describeTable` table by table.
   */
  describeTables?(tables: readonly TableRef[]): Promise<Array<TableShape | undefined>>;
  /**
   * The tables named `name` in any schema (for `bucardo add table name` without a schema). Optional:
   * without it, an unqualified name means schema `public`.
   */
  findTable?(name: string): Promise<TableRef[]>;
  /**
   * Every table (or sequence) of the database that a sync could read, ordered by schema and name: the
   * database's own schemas, not the system's nor Bucardo's (`bucardo add all tables`). Partitioned
   * parents are left out: their rows are in their partitions, which are listed. Optional: without it,
   * `add all` is refused for the database, naming it.
   */
  listTables?(kind: 'table' | 'sequence'): Promise<TableRef[]>;
  /**
   * Every foreign key held by one of these tables or pointing at one of them (each once), as the database's
   * catalog has them now: `bucardo inspect`, `validate` and `add sync` tell with them which tables a sync's
   * foreign keys need that its herd lacks. Optional: without it, nothing is said about foreign keys.
   */
  foreignKeys?(tables: readonly TableRef[]): Promise<ForeignKey[]>;
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
   * The tables whose capture is not working: a trigger (or whatever records changes) missing or disabled
   * since `installCapture`, so that the application's changes go unrecorded. `bucardo validate` asks, and
   * installs capture again where needed; a driver should also refuse to `capture` such a table, which a
   * run would otherwise report as having no changes. Optional: without it nothing is checked.
   */
  captureProblems?(tables: readonly TableRef[]): Promise<CaptureProblem[]>;
  /**
   * Per table, in order, the key columns its capture here records changes by, or `undefined` where it has
   * none. `bucardo validate` compares them with the sync's key: a capture made for a key since replaced
   * cannot give its changes by the new one, and every run would fail reading them. Optional.
   */
  capturedKeys?(tables: readonly TableRef[]): Promise<Array<readonly string[] | undefined>>;
  /**
   * The whole table, in key order (tables with a key) or as stored (keyless tables), in batches of at most
   * `batchRows` rows, read in one snapshot: for initial copies, fullcopy members, truncate winners and
   * tables copied whole (`refreshAbove`). The snapshot must be taken when the read starts, never an older
   * one (a lagging replica, a cached snapshot): a table copied whole right after a capture must hold
   * everything that capture consumed. The core asks for the next batch while it writes the current one,
   * so a batch must not share a buffer that the next one overwrites. Optional.
   */
  readTable?(args: ReadTableArgs): AsyncIterable<RowBatch>;
  /**
   * Runs `work`, in which the core reads several tables with `readTable`, with every read seeing the
   * database as of one moment (an initial copy): no child row is copied whose parent was written after the
   * parent's table was read, which the target's foreign key would refuse (the change path delivers both
   * after the copy). Optional: without it, each table is read as of its own moment.
   */
  readConsistently?<T>(work: () => Promise<T>): Promise<T>;
  /**
   * A checkpoint given back as one to use on the database this session reaches, when it cannot have been
   * taken there (the database was moved to another server: `bucardo update db`, a dump restored);
   * `undefined` when it is this database's own. The core stores the replacement for every sync reading the
   * database, so that a sync that runs much later does not take the old checkpoint for its own. Optional.
   */
  rebaseCheckpoint?(checkpoint: Checkpoint): Promise<Checkpoint | undefined>;
  /** Deletes change records every one of these checkpoints has consumed; returns how many. Optional. */
  purge?(args: { readonly tables: readonly TableShape[]; readonly consumed: readonly Checkpoint[] }): Promise<number>;
  /** How many change records of each table (by `tableId`) are not consumed by `since`. Optional. */
  pending?(args: { readonly tables: readonly TableShape[]; readonly since: Checkpoint }): Promise<Map<string, number>>;
  /**
   * About how many distinct keys of each table (by `tableId`) those change records are about: exact where
   * it decides (records that repeat keys), an estimate is fine where nearly every record is a key of its
   * own. Asked only for the tables whose record count would have a run copy them whole (`refreshAbove`):
   * a table whose few rows changed many times is then applied key by key. `records`, when given, is what
   * `pending` just counted for them (by `tableId`), so that a source need not count again. Optional:
   * without it, records are counted as keys.
   */
  pendingKeys?(args: { readonly tables: readonly TableShape[]; readonly since: Checkpoint; readonly records?: ReadonlyMap<string, number> }): Promise<Map<string, number>>;
  /**
   * About how many rows each table (by `tableId`) holds, from the database's statistics, without reading
   * the tables; a table the database has no figure for is left out. With `pending`, it tells a run when
   * most of a table changed, so that copying it whole costs less than applying it key by key
   * (`refreshAbove`). A copy of a whole table (initial copy, fullcopy) asks it once per table, for the total
   * in its progress (`bucardo status`). Optional: without it, tables are always applied key by key, and a
   * copy's progress shows only the rows copied.
   */
  estimateRows?(tables: readonly TableRef[]): Promise<Map<string, number>>;
  /**
   * The output columns of select list `selectList` (`bucardo add customcols`, without its `SELECT`) read
   * from `table` here, checked by the database: an invalid list rejects, with the database's reason.
   * Optional: only a session that has it is given `FetchArgs.selectList`; without it customcols are
   * refused for the database.
   */
  selectColumns?(table: TableRef, selectList: string): Promise<ColumnInfo[]>;
  /** Removes capture from these tables (triggers, change tables): no sync reads them any more. Optional. */
  removeCapture?(tables: readonly TableRef[]): Promise<void>;
  /** Releases the connection; called once. */
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
  /**
   * The target checks foreign keys between the sync's tables as it writes (`TableShape.references`): the
   * core then plans the keys a pointed-at table loses after every other key of the run, keeps a table
   * pointing at itself in one transaction, and does not cut pointed-at tables into key partitions, at the
   * cost of holding their backlog whole. Default false.
   */
  readonly foreignKeys?: boolean;
  /**
   * The target honours `ApplyBatch.makeDelta` (Bucardo's makedelta): the rows a sync writes here are recorded
   * as this database's changes, so that other syncs reading it as a source pass them on (cascades, stars).
   * `bucardo add db … makedelta=on`, and a table's `makedelta=` naming the database, are refused for a
   * database whose target lacks it. Default false.
   */
  readonly makeDelta?: boolean;
  /**
   * `summarizeRows` and `rowDigests` honour `RowSummaryRequest.selectList`: `bucardo compare` then sets a
   * receiving database with customcols against the first source's rows read through its list. Without it,
   * such a database is not compared on such a table (said, naming the database). Default false.
   */
  readonly selectListDigests?: boolean;
}

/** The value the core assumes for each capability a writer leaves out: all false. */
export const defaultTargetCapabilities: Required<TargetCapabilities> = Object.freeze({
  transactions: false,
  truncate: false,
  localChangeGuard: false,
  schema: false,
  foreignKeys: false,
  makeDelta: false,
  selectListDigests: false,
});

/** Writes row images to a database. */
export interface TargetWriter {
  /** What the target can do; the core branches on these flags, never on the type. */
  readonly capabilities: TargetCapabilities;
  /** Opens a session on a receiving database; a failure to connect is CONNECTION_FAILED naming it. */
  open(spec: DatabaseSpec, context: OpenContext): Promise<TargetSession>;
}

/** One table's share of a batch for one target: delete these keys, then write these rows. */
export interface ApplyBatch {
  /** The table, its columns (the order of the values in `rows`) and its key. */
  readonly shape: TableShape;
  /** Every key this target receives in the batch; each is deleted before `rows` are written. */
  readonly deletes: readonly KeyText[];
  /** The winning images, grouped by the source they come from. Deleted keys have no row. */
  readonly rows: readonly RowBatch[];
  /**
   * When this target is also a source of the sync: the checkpoint of its own capture in this run.
   * A target with `localChangeGuard` leaves alone (and reports in `skipped`) every key changed locally
   * after it, so that a user's concurrent write is not overwritten; the next run carries it. Its additive
   * columns (`shape.additive`) are the exception: such a row still takes the image's additive values
   * plus what its local changes after the guard added, or it would keep a balance without the other
   * sources' changes and send it on with its own next change.
   */
  readonly guard?: Checkpoint;
  /**
   * makedelta is on for this table on this database (targets with `makeDelta`): record the batch's keys as
   * changes here, in the same transaction, marked as written by `sync`, so that the other syncs reading this
   * database pass them on and `sync` itself does not read them back (`CaptureArgs.sync`). A target without
   * the capability ignores it.
   */
  readonly makeDelta?: { readonly sync: string };
  /** Aborted when the run is stopped: a long write should give up (and may reject). */
  readonly signal: AbortSignal;
}

/** What `TargetSession.truncate` may be told. */
export interface TruncateOptions {
  /** makedelta is on for this table here: record the truncate, marked as written by `sync` (as `ApplyBatch.makeDelta`). */
  readonly makeDelta?: { readonly sync: string };
}

/** What `TargetSession.apply` did, for the run's counts. */
export interface ApplyResult {
  /**
   * Rows removed, as a DELETE reports them (an update's old row counts; a key not held here does not). A
   * target that cannot tell reports the keys of `deletes` without a row in `rows` (the source deleted them),
   * never `deletes.length`, which counts the keys of the rows written too: status would show deletes that
   * never happened.
   */
  readonly deleted: number;
  /** Rows written: the batch's `rows`, less those of keys reported in `skipped`. */
  readonly inserted: number;
  /** Keys left alone because they changed locally after the guard checkpoint. */
  readonly skipped: readonly KeyText[];
}

/** What `TargetSession.summarizeRows` is asked for. */
export interface RowSummaryRequest {
  /**
   * The table, with the columns to compare and its key: the first source's columns and key, by name, each
   * with its type on this database. Only these columns count, in this order; equal values count as equal
   * whatever their type (an integer and a numeric 5.0).
   */
  readonly shape: TableShape;
  /**
   * How many partitions the keys fall into (`keyPartition(key, keyColumns, partitions)`). A shape without
   * a key (a fullcopy sync's table) has every row in partition 0.
   */
  readonly partitions: number;
  /**
   * A custom select list (`bucardo add customcols`, without its `SELECT`): the rows are those of the list
   * read from the table `shape` names, and `shape.columns` are its output columns (the key among them, by
   * name), so that the first source is digested as a receiver with that list was sent its rows. Given only
   * to writers with `TargetCapabilities.selectListDigests`.
   */
  readonly selectList?: string;
  /** Aborted when the compare is stopped: a long read should give up (and may reject). */
  readonly signal: AbortSignal;
}

/** A table's rows summed up per key partition: equal summaries mean (up to a digest collision) equal rows. */
export interface RowSummary {
  /**
   * How the digests are made (e.g. `postgres-md5-text-v1`): only summaries of one format can be compared;
   * two writers that make digests the same way say the same.
   */
  readonly format: string;
  /** Per partition that holds rows: how many, and a digest of them all that does not depend on their order. */
  readonly partitions: ReadonlyMap<number, { readonly rows: number; readonly digest: string }>;
  /**
   * Rows whose key has a NULL part (only where the table has no key here): in no partition, since no key
   * matches them. Absent or 0 when there are none.
   */
  readonly unkeyed?: number;
}

/** One partition's rows, as `TargetSession.rowDigests` gives them: `keys[i]`'s row has `digests[i]`. */
export interface PartitionDigests {
  /** The partition (`keyPartition` of the request's `partitions`). */
  readonly partition: number;
  /** Each row's key, as the SDK's key text. */
  readonly keys: readonly KeyText[];
  /** Each row's digest, in the order of `keys`. */
  readonly digests: readonly string[];
  /**
   * Optional: per row (in the order of `keys`), a short fingerprint of each column's value, in the order of
   * the request's columns, made alike on every database of the writer's format: lets compare say which
   * columns of a row differ.
   */
  readonly columns?: ReadonlyArray<readonly string[]>;
}

/** What `TargetSession.rowDigests` is asked for: the rows of these partitions only. */
export interface RowDigestRequest extends RowSummaryRequest {
  /** The partitions whose rows to read (those whose summaries differed). */
  readonly only: readonly number[];
}

/** The run a target session is writing for (a session may live across runs in a daemon). */
export interface RunInfo {
  /** The sync being run. */
  readonly sync: string;
  /** The run's id, unique per control database. */
  readonly runId: string;
  /** When the run started. */
  readonly startedAt: Date;
  /**
   * The sync's tables, in herd order: a target that maps tables onto names of its own (collections, files)
   * can check them before anything is written. Absent when a core older than this field runs the target.
   */
  readonly tables?: readonly TableRef[];
}

/**
 * A run as it ends (what `TargetSession.endRun` receives): `good` or `empty` once every database committed
 * every transaction, `bad` otherwise.
 */
export type RunEnd = RunInfo & { readonly outcome: 'good' | 'empty' | 'bad' };

/**
 * An open connection to a receiving database, for one run or (in a daemon) across runs. The core calls `beginRun`,
 * then per transaction `begin`, `apply` per table batch, `prepareCommit` and `commit` (or `rollback`), then
 * `endRun`.
 */
export interface TargetSession {
  /** The table's shape here, or `undefined` when the table is missing (targets with `schema`). */
  describeTable?(table: TableRef): Promise<TableShape | undefined>;
  /** `describeTable` of each table, in order, in few round trips (as `SourceSession.describeTables`). Optional. */
  describeTables?(tables: readonly TableRef[]): Promise<Array<TableShape | undefined>>;
  /**
   * Per table, in order, the columns a row written here without a value fails on (NOT NULL with no default,
   * nor identity or generated): one the first source lacks makes every row the sync writes there fail, which
   * the core reports up front, naming it, instead of a constraint error per run. Optional; `[]` for a
   * missing table.
   */
  requiredColumns?(tables: readonly TableRef[]): Promise<Array<readonly string[]>>;
  /**
   * The role this session connects as, and per table, in order, the privileges it lacks to write the table
   * as the sync writes (e.g. `INSERT`, `DELETE`, `USAGE ON SCHEMA s`), in the database's words; `[]` where it
   * lacks none or the table is missing (said otherwise). `bucardo validate` and `add sync` report them up front, naming
   * the database, the role and the table, where every run would fail on the first write. Optional.
   */
  missingPrivileges?(shapes: readonly TableShape[]): Promise<{ readonly role: string; readonly missing: ReadonlyArray<readonly string[]> }>;
  /**
   * For `bucardo compare`: the table's rows here, summed up per partition of their keys (the SDK's
   * `keyPartition` of `request.partitions`), so that two databases holding the same rows answer the same,
   * whatever the rows' order or the columns' order, and a different row changes its partition's answer.
   * Optional: a database whose writer lacks it is left out of comparisons.
   */
  summarizeRows?(request: RowSummaryRequest): Promise<RowSummary>;
  /**
   * For `bucardo compare`: the key and digest (as `summarizeRows`) of each row of the partitions in
   * `request.only`, partition by partition in ascending order, each partition whole in one answer (those
   * without rows here left out), so that the core holds one partition per database at a time. A key held
   * twice here (a table not unique on the key here) comes twice. Breaking off the iteration ends the read.
   */
  rowDigests?(request: RowDigestRequest): AsyncIterable<PartitionDigests>;
  /**
   * A run starts: called once per run before its first `begin()`. For targets whose unit is the run
   * rather than the transaction (a file per run). Optional.
   */
  beginRun?(run: RunInfo): Promise<void>;
  /**
   * A run ends: `good` or `empty` once every database committed every transaction, `bad` otherwise. Either
   * way, publish every transaction whose `commit` returned: the core does not send those again (after a bad
   * run, the next resumes after them). Sessions are closed after a failed run: a target that must not lose
   * what it could not publish keeps it on disk (written in `prepareCommit`) and publishes it next `beginRun`.
   * Optional.
   */
  endRun?(run: RunEnd): Promise<void>;
  /** Starts a batch. */
  begin(signal: AbortSignal): Promise<void>;
  /** Deletes the batch's keys, then writes its rows, in the current transaction. */
  apply(batch: ApplyBatch): Promise<ApplyResult>;
  /**
   * Empties a table in the current transaction (targets with `truncate`); returns the rows removed if known.
   * `options.makeDelta` (targets with `makeDelta`): the truncate a sync copies here (a truncate's winner) is
   * recorded as this database's, marked as written by that sync, so that the other syncs reading this
   * database copy the table whole too.
   */
  truncate?(shape: TableShape, signal: AbortSignal, options?: TruncateOptions): Promise<number | undefined>;
  /**
   * (targets with `makeDelta`) Records, in the current transaction, a truncate of the table as this
   * database's change, marked as written by `makeDelta.sync`, without emptying anything. A whole-table copy
   * (an initial copy, a fullcopy member, a truncate's winner) empties a table in its first transaction and
   * may fill it in several: the core records the truncate with the copy's last transaction, so that the
   * syncs reading this database copy the table whole once it is whole, not half-way through. Optional:
   * without it, the truncate is recorded when the table is emptied (`TruncateOptions.makeDelta`).
   */
  recordTruncate?(shape: TableShape, signal: AbortSignal, makeDelta: { readonly sync: string }): Promise<void>;
  /** Whether a table has no rows (for `onetimecopy=2`). Optional: without it, a table is taken as not empty. */
  isEmpty?(table: TableRef): Promise<boolean>;
  /** A sequence's state here, or undefined when there is no such sequence. Optional (targets without sequences). */
  readSequence?(sequence: TableRef): Promise<SequenceState | undefined>;
  /** Makes a sequence's state equal to `state`. */
  setSequence?(sequence: TableRef, state: SequenceState): Promise<void>;
  /**
   * Checks now what `commit()` would check only then (deferred constraints and constraint triggers), once
   * every batch of the transaction is applied and before any database commits: a refusal here rolls the
   * transaction back on every database, where a refusal at `commit()` comes after others committed. Nothing is
   * committed yet, so a run that is stopped (`signal`) may cut it short. Optional.
   */
  prepareCommit?(signal: AbortSignal): Promise<void>;
  /** Makes the transaction's writes durable (and visible, for targets with `transactions`). */
  commit(): Promise<void>;
  /** Discards the transaction's writes where the target has `transactions`; called after any failure. */
  rollback(): Promise<void>;
  /** Releases the session; an open transaction is discarded. Called once. */
  close(): Promise<void>;
}
