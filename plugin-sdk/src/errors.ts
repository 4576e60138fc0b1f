/**
 * Errors are data: every error the framework raises carries a stable `code` and the names of the things
 * it is about (database, table, sync, key, plugin, hook), so that the CLI can print them, tests can
 * assert on fields instead of wording, and monitoring can group them.
 */
import { formatTable } from './table.js';

/** Every error code, sorted alphabetically. */
export const ErrorCodes = [
  'ALREADY_INSTALLED',
  'ALREADY_RUNNING',
  'APPLY_FAILED',
  'CAPTURE_FAILED',
  'CONFIG_INVALID',
  'CONFIG_NOT_FOUND',
  'CONFLICT_ABORT',
  'CONFLICT_UNRESOLVED',
  'CONNECTION_FAILED',
  'CONTROL_NOT_INSTALLED',
  'DB_INACTIVE',
  'DB_IN_USE',
  'DB_NOT_FOUND',
  'DB_ROLE_UNSUPPORTED',
  'DAEMON_FAILED',
  'DBGROUP_NOT_FOUND',
  'DUPLICATE_NAME',
  'FETCH_FAILED',
  'HERD_EMPTY',
  'HERD_NOT_FOUND',
  'INVALID_ARGUMENT',
  'INVALID_NAME',
  'IN_USE',
  'PERMISSION_DENIED',
  'PLUGIN_DUPLICATE',
  'PLUGIN_ERROR',
  'PLUGIN_INVALID',
  'PLUGIN_NOT_FOUND',
  'PLUGIN_SDK_MISMATCH',
  'RUN_ABORTED',
  'SYNC_BUSY',
  'SYNC_INACTIVE',
  'SYNC_INVALID',
  'SYNC_NOT_FOUND',
  'TABLE_COLUMNS_MISMATCH',
  'TABLE_MISSING',
  'TABLE_NO_KEY',
  'TABLE_NOT_FOUND',
  'TABLE_NOT_IN_HERD',
  'UNKNOWN_COMMAND',
  'UNKNOWN_DB_TYPE',
  'UNKNOWN_STRATEGY',
] as const;

/** One of the stable error codes. */
export type ErrorCode = (typeof ErrorCodes)[number];

/** The names an error is about. Every field is optional; set the ones that apply. */
export interface ErrorSubject {
  /** A database, by Bucardo's name. */
  readonly db?: string;
  /** A table, as `schema.name`. */
  readonly table?: string;
  /** A column. */
  readonly column?: string;
  /** A sync. */
  readonly sync?: string;
  /** A herd (relgroup). */
  readonly herd?: string;
  /** A dbgroup. */
  readonly dbgroup?: string;
  /** A row key. */
  readonly key?: string;
  /** A plugin, by its name. */
  readonly plugin?: string;
  /** A hook (for plugin errors). */
  readonly hook?: string;
  /** Any other offending name: an option, a file, a plugin package, a type. */
  readonly item?: string;
  /** The SQLSTATE of an underlying database error, when there is one. */
  readonly sqlstate?: string;
}

/** The subject fields of a new BucardoError, and its cause. */
export interface BucardoErrorOptions extends ErrorSubject {
  /** The error this one wraps (kept as the standard `cause`). */
  readonly cause?: unknown;
}

/** The names a BucardoError is about: the ErrorSubject fields, set from its options (declared once, there). */
export interface BucardoError extends ErrorSubject {}

/** The one error type of the framework: a code, a message, and the names it is about. */
export class BucardoError extends Error {
  /** Always `BucardoError` (what `isBucardoError` checks, across copies of the SDK). */
  override readonly name = 'BucardoError';
  /** The stable code, one of `ErrorCodes`. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options: BucardoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    const { cause: _cause, ...subject } = options;
    Object.assign(this, stripUndefined(subject));
  }

  /** The subject fields that are set, for structured logs and JSON output. */
  get subject(): ErrorSubject {
    const { db, table, column, sync, herd, dbgroup, key, plugin, hook, item, sqlstate } = this;
    return stripUndefined({ db, table, column, sync, herd, dbgroup, key, plugin, hook, item, sqlstate });
  }

  /** The code, the message and the subject fields that are set. */
  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...this.subject };
  }
}

/** Whether a value is a BucardoError with a known code (from this or any other copy of the SDK). */
export function isBucardoError(value: unknown): value is BucardoError {
  if (!(value instanceof Error) || value.name !== 'BucardoError') return false;
  const code: unknown = (value as unknown as { code?: unknown }).code;
  return typeof code === 'string' && (ErrorCodes as readonly string[]).includes(code);
}

/**
 * Returns `error` as a BucardoError: a BucardoError keeps its code and gains the subject fields it lacks;
 * anything else is wrapped with `code` and keeps the original as `cause`.
 */
export function toBucardoError(error: unknown, code: ErrorCode, subject: ErrorSubject = {}): BucardoError {
  if (isBucardoError(error)) {
    const missing = Object.fromEntries(
      Object.entries(stripUndefined(subject)).filter(([field]) => (error as unknown as Record<string, unknown>)[field] === undefined),
    );
    Object.assign(error, missing);
    return error;
  }
  const { code: sqlstate, schema, table } = (error ?? {}) as { code?: unknown; schema?: unknown; table?: unknown };
  // the server names the table a constraint or a statement failed on: a deferred check at commit has no other name
  const serverTable = typeof schema === 'string' && typeof table === 'string' ? { table: formatTable({ schema, name: table }) } : {};
  return new BucardoError(code, serverMessage(error), {
    ...serverTable,
    ...stripUndefined(subject),
    ...(typeof sqlstate === 'string' && /^[0-9A-Z]{5}$/.test(sqlstate) ? { sqlstate } : {}),
    cause: error,
  });
}

/** Foreign key, unique and exclusion violations: their DETAIL names the key (`Key (pid)=(7) is not present in table "par".`). */
const KEYED_VIOLATIONS = new Set(['23503', '23505', '23P01']);

/**
 * An error's message; for a foreign key, unique or exclusion violation, with the server's DETAIL, which
 * names the key: without it the message says which constraint, not which row. (A check constraint's
 * DETAIL holds the whole row, so it is left out.)
 */
export function serverMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const { code, detail } = (error ?? {}) as { code?: unknown; detail?: unknown };
  return typeof code === 'string' && KEYED_VIOLATIONS.has(code) && typeof detail === 'string' && detail !== '' ? `${message} (${detail})` : message;
}

/** Set on an error a plugin marks `retryable`: a symbol registered by name, so that every copy of the SDK sees it. */
const RETRYABLE = Symbol.for('bucardo.retryable');

/**
 * Marks a failure after which the whole transaction may simply be tried again, as after a deadlock: a
 * race with another writer that a second attempt settles (PostgreSQL: a key another session inserted
 * between the run's delete and its write). The core rolls back every database and retries the
 * transaction, a few times with backoff. Returns the error.
 */
export function retryable<E>(error: E): E {
  return mark(error, RETRYABLE);
}

/** Whether `error`, or an error it wraps (`cause`), was marked `retryable`. */
export function isRetryable(error: unknown): boolean {
  return marked(error, RETRYABLE);
}

/** Set on an error a plugin marks `connectionLost`: a symbol registered by name, so that every copy of the SDK sees it. */
const CONNECTION_LOST = Symbol.for('bucardo.connectionLost');

/**
 * Marks a failure that says the connection to the database is gone (its server stopped, its session was
 * ended, the network broke), not that a statement failed: the core then names the lost database in the
 * message, fails the run without retrying the transaction, and the next run connects again. Mark what only
 * the plugin's driver can tell (its own words for a broken client); a PostgreSQL SQLSTATE of class 08 or
 * 57P01-57P05, and Node's socket codes (`ECONNRESET`, …), are recognised without a mark. Returns the error.
 */
export function connectionLost<E>(error: E): E {
  return mark(error, CONNECTION_LOST);
}

/**
 * node-postgres's own words for a connection that is gone, with no SQLSTATE or socket code to go by: the
 * socket ended during the statement (`Connection terminated unexpectedly`), or the client was broken or
 * closed before it (`… is not queryable`). node-postgres's wording, not PostgreSQL's: for code that holds
 * a node-postgres client (the core's control connection, the postgres plugin, which marks these
 * `connectionLost`), kept here once so both read it the same.
 */
export const NODE_POSTGRES_LOST = /^Connection terminated|is not queryable$/;

/** Whether `error`, or an error it wraps (`cause`), was marked `connectionLost`. */
export function isConnectionLost(error: unknown): boolean {
  return marked(error, CONNECTION_LOST);
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function mark<E>(error: E, symbol: symbol): E {
  if (typeof error === 'object' && error !== null) Object.defineProperty(error, symbol, { value: true });
  return error;
}

/** Whether `error`, or an error it wraps (`cause`, ten deep at most), carries `mark`. */
function marked(error: unknown, mark: symbol): boolean {
  for (const current of causeChain(error)) if ((current as Record<symbol, unknown>)[mark] === true) return true;
  return false;
}

/** `error` and the errors it wraps (`cause`), outermost first, ten deep at most: where a plugin's own fields may be. */
export function* causeChain(error: unknown): Generator<object> {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 10; current = (current as { cause?: unknown }).cause, depth++) yield current;
}
