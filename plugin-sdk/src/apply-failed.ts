import type { BucardoError } from './errors.js';
import type { KeyText } from './keys.js';
import type { RunArgs, TableBatch } from './run.js';
import type { TableRef } from './table.js';

/**
 * A short-lived connection to one database of the run, outside the run's transactions: what a statement
 * writes through it is committed at once (unless the tap opens a transaction of its own) and is the
 * database's own change, captured there like an application's (never marked as the sync's writing).
 * Values come back as the text the database prints. The core closes it when the hook call ends.
 */
export interface SqlConnection {
  /** Runs one statement with `$1`-style parameters; the rows it returned, and how many rows it touched. */
  query(text: string, values?: readonly unknown[]): Promise<{ readonly rows: ReadonlyArray<Record<string, unknown>>; readonly rowCount: number }>;
  /** Ends the connection; called once, by the core. */
  close(): Promise<void>;
}

/** One table batch of a transaction, with its keys by the database their row comes from (as `ApplyFailedArgs.keys`). */
export interface ApplyFailedBatch {
  /** The table batch: its shape (columns, key), clean keys by source, conflicts. */
  readonly batch: TableBatch;
  /** Its keys by the database their row comes from: each source's clean keys, each settled conflict's key under its winner. */
  readonly keys: ReadonlyMap<string, readonly KeyText[]>;
}

/**
 * What the `applyFailed` hook receives: a transaction's apply failed on a database, while a table batch
 * was written or when the database checked the transaction before any database committed (`phase`), and
 * was rolled back on every database (nothing of it is committed anywhere). Bucardo's `exception` custom
 * code gets the same: the table, the error, the keys by source (`deltabin`) and the attempt.
 */
export interface ApplyFailedArgs extends RunArgs {
  /** The database whose apply failed (Bucardo's name for it). */
  readonly db: string;
  /**
   * The table whose batch failed there, by the sync's name for it. At commit, the table the server named
   * (the constraint's) when it is one of the transaction's; otherwise (`wholeTransaction`) the first of
   * `batches`.
   */
  readonly table: TableRef;
  /** The table batch whose apply failed: its shape (columns, key), clean keys by source, conflicts. */
  readonly batch: TableBatch;
  /**
   * Where the failure was found: `apply`, while `batch` was written; `commit`, when the database checked
   * the whole transaction before any database committed (PostgreSQL: a DEFERRABLE INITIALLY DEFERRED
   * constraint, checked by `SET CONSTRAINTS ALL IMMEDIATE`). Absent from a core older than this field.
   */
  readonly phase?: 'apply' | 'commit';
  /** At commit: every table batch of the transaction, in the order they were written, each with its keys. */
  readonly batches?: readonly ApplyFailedBatch[];
  /**
   * At commit, `true` when the server named no table of the transaction (a constraint trigger's own error,
   * a table outside the sync): `table`, `batch` and `keys` are then the first of `batches`, and every
   * table of the transaction counts the failure towards its limit of two.
   */
  readonly wholeTransaction?: boolean;
  /** The failure: code `APPLY_FAILED`, with `db`, `table` and, from a database's answer, its `sqlstate`. */
  readonly error: BucardoError;
  /** The server's DETAIL, where the database's plugin gives it (PostgreSQL: `Key (email)=(x) already exists.`). */
  readonly detail?: string;
  /** The constraint the server named, where the database's plugin gives it (PostgreSQL: the unique index). */
  readonly constraint?: string;
  /**
   * The batch's keys by the database their row comes from (Bucardo's `deltabin`): each source's clean keys,
   * and each settled conflict's key under its winner. At commit, every key of `table` in the transaction
   * (a table foreign keys point at may have a second batch, of the keys it loses).
   */
  readonly keys: ReadonlyMap<string, readonly KeyText[]>;
  /**
   * 1 for the first failure of this table that a tap is asked about in this run, 2 for the second (the
   * last); with `wholeTransaction`, of the transaction's table that failed most.
   */
  readonly attempt: number;
  /**
   * A connection of its own to database `db` of the run, to fix the rows before answering `retry`. Offered
   * by database types whose plugin has `DatabaseDriver.sql` (postgres does); for another it rejects with
   * DB_ROLE_UNSUPPORTED naming the database and its type. Closed by the core when the call ends.
   */
  connect(db: string): Promise<SqlConnection>;
}

/**
 * A tap's answer: `{ retry: true }` tries the transaction again (from a clean rollback, the rows read again
 * from the sources); nothing (`undefined`) leaves the decision to the next tap, and with no tap answering,
 * the run fails with the error. `{ retry: false }` answers without retrying: the run fails at once.
 */
export interface ApplyFailedAnswer {
  /** `true`: roll back done, try the transaction again; `false`: fail the run now, without asking further taps. */
  readonly retry: boolean;
}
