import { BucardoError, RowBatch, formatTable, tableId, toBucardoError, type DatabaseSpec, type Logger, type SourceDriver, type SourceSession, type TableRef, type TableShape } from '@bucardo/plugin-sdk';
import { databaseError, lostConnection } from './database-error.js';
import { renamedReadSession } from './renamed-sessions.js';
import { TableRenames, type TableRename } from './table-renames.js';

/** A table read with a custom select list for one receiving database (`bucardo add customcols`). */
export interface TableSelect {
  /** The table, as the sync knows it. */
  readonly table: TableRef;
  /** The select list, without its SELECT. */
  readonly selectList: string;
  /** The output columns' names, in order (the target's columns). */
  readonly columns: readonly string[];
  /** Its number (`bucardo list customcols`), which a failure to read with it names, to remove it by. */
  readonly id: number;
}

/**
 * How to open a reading session on a database of the sync, and the tables' names there (`bucardo add
 * customname`, receiving databases only: a winner's rows read where the target session writes them).
 */
export type OpenReader = (db: string) => { readonly spec: DatabaseSpec; readonly driver: SourceDriver; readonly customNames?: readonly TableRename[] } | undefined;

/**
 * Reads row images with custom select lists, for the receiving databases that have one: the images the
 * run read for everyone are read again, key for key, from the database they came from. On sessions of
 * its own (one per database, opened on first use, one statement at a time): the run's source session may
 * be in the middle of a table's COPY, which a copy's batch is written during. The same images asked with
 * the same list for two databases are read once.
 */
export class CustomColsReader {
  readonly #open: OpenReader;
  readonly #log: Logger;
  readonly #sync: string;
  readonly #sessions = new Map<string, Promise<SourceSession>>();
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #shapes = new Map<string, Promise<TableShape>>();
  readonly #images = new WeakMap<RowBatch, Map<string, Promise<RowBatch>>>();

  constructor(sync: string, open: OpenReader, log: Logger) {
    this.#sync = sync;
    this.#open = open;
    this.#log = log;
  }

  /**
   * The table's shape as database `db` reads it with `select`: the list's output columns (types as the
   * source `from` gives them), the table's key. Asked once per table and list until `forget`.
   */
  shapeOf(shape: TableShape, select: TableSelect, from: string): Promise<TableShape> {
    const id = `${tableId(shape.table)}\u0000${select.selectList}`;
    let known = this.#shapes.get(id);
    if (!known) {
      known = this.#one(from, async (session) => {
        const columns = await session.selectColumns!(shape.table, select.selectList);
        const { additive: _additive, ...rest } = shape;
        return { ...rest, columns };
      }, shape.table);
      known.catch(() => this.#shapes.delete(id));
      this.#shapes.set(id, known);
    }
    return known;
  }

  /**
   * `rows` read again with `select` for receiving database `to`, into `shape` (`shapeOf`): the rows of the
   * same keys, as they are now.
   */
  images(rows: RowBatch, shape: TableShape, select: TableSelect, signal: AbortSignal, to: string): Promise<RowBatch> {
    // `add customcols` refuses a keyless table, but its key can be dropped afterwards, and a fullcopy sync
    // runs keyless tables: read again by no key, the copy emptied `to` and the run said DONE
    if (shape.key.length === 0) throw this.#keyless(select, rows.origin, to);
    if (rows.rowCount === 0) return Promise.resolve(RowBatch.empty(rows.origin, shape));
    let byList = this.#images.get(rows);
    if (!byList) this.#images.set(rows, (byList = new Map()));
    let read = byList.get(select.selectList);
    if (!read) {
      const keys = [...rows.keys()];
      read = this.#one(rows.origin, async (session) => {
        const fetched = await session.fetch({ shape, keys, selectList: select.selectList, signal });
        return new RowBatch(rows.origin, shape, fetched.data);
      }, shape.table);
      byList.set(select.selectList, read);
    }
    // named per receiver, outside what is shared: two receivers of the same list each name themselves
    return read.catch((error: unknown) => {
      throw customColsReadFailed(error, select, rows.origin, [to], this.#sync);
    });
  }

  #keyless(select: TableSelect, from: string, to: string): BucardoError {
    const table = formatTable(select.table);
    return new BucardoError('TABLE_NO_KEY',
      `Table "${table}" on database "${from}" has no primary key or unique index over NOT NULL columns now: customcols ${select.id} ("SELECT ${select.selectList}") for database "${to}" reads each row again by its key, so nothing is written there. Give the table its key back, or remove the clause (bucardo remove customcols ${select.id})`,
      { db: from, table, sync: this.#sync, item: `SELECT ${select.selectList}` });
  }

  /** Shapes are asked again by the next run (its tables were checked again). */
  forget(): void {
    this.#shapes.clear();
  }

  async close(): Promise<void> {
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.allSettled(sessions.map(async (session) => (await session).close()));
  }

  /** `work` on database `db`'s session, after the work asked of it before. */
  #one<T>(db: string, work: (session: SourceSession) => Promise<T>, table: TableRef): Promise<T> {
    const run = (this.#queues.get(db) ?? Promise.resolve()).catch(() => undefined).then(async () => {
      const session = await this.#session(db, table);
      return work(session).catch((error: unknown) => {
        throw databaseError(error, 'FETCH_FAILED', { db, table: formatTable(table), sync: this.#sync });
      });
    });
    this.#queues.set(db, run);
    return run;
  }

  #session(db: string, table: TableRef): Promise<SourceSession> {
    let session = this.#sessions.get(db);
    if (!session) {
      const reach = this.#open(db);
      if (!reach) {
        throw new BucardoError('DB_ROLE_UNSUPPORTED', `Cannot read rows from database "${db}" with customcols for table "${formatTable(table)}": its type has no source side`, { db, table: formatTable(table), sync: this.#sync });
      }
      const renames = new TableRenames(reach.customNames ?? []);
      session = reach.driver.open(reach.spec, { log: this.#log.child({ db }), label: `bucardo ${this.#sync} customcols` }).then((opened) => {
        if (opened.selectColumns) return renames.size > 0 ? renamedReadSession(opened, renames) : opened;
        void opened.close();
        throw new BucardoError('DB_ROLE_UNSUPPORTED', `Database "${db}" cannot read table "${formatTable(table)}" with customcols: its source has no selectColumns()`, { db, table: formatTable(table), sync: this.#sync });
      }, (error: unknown) => {
        throw toBucardoError(error, 'CONNECTION_FAILED', { db, sync: this.#sync });
      });
      session.catch(() => this.#sessions.delete(db));
      this.#sessions.set(db, session);
    }
    return session;
  }
}

/**
 * A failure to read rows with a list the LIMIT 0 probe took at add time (`v::int` meets 'abc'): in the
 * source's words, it names neither customcols nor what to do, and fails every run (and compare) until the
 * list or the row changes. A lost connection is not the list's doing, and stays as it is.
 */
export function customColsReadFailed(error: unknown, select: TableSelect, from: string, to: readonly string[], sync: string): BucardoError {
  const failed = toBucardoError(error, 'FETCH_FAILED', { db: from, sync });
  if (failed.code !== 'FETCH_FAILED' || lostConnection(failed.cause ?? failed)) return failed;
  const table = formatTable(select.table);
  const receivers = `${to.length === 1 ? 'database' : 'databases'} ${to.map((db) => `"${db}"`).join(', ')}`;
  return new BucardoError('FETCH_FAILED',
    `Cannot read table "${table}" on database "${from}" with customcols ${select.id} ("SELECT ${select.selectList}") for ${receivers}: ${failed.message}; fix the clause, or remove it (bucardo remove customcols ${select.id})`,
    { db: from, table, sync, item: `SELECT ${select.selectList}`, ...(failed.sqlstate === undefined ? {} : { sqlstate: failed.sqlstate }), cause: error });
}
