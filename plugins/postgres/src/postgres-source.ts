import type pg from 'pg';
import { RowBatch, type ColumnInfo, type ReadTableArgs, type CaptureArgs, type CaptureProblem, type Checkpoint, type DatabaseSpec, type FetchArgs, type ForeignKey, type OpenContext, type SourceChanges, type SourceDriver, type SourceSession, type TableRef, type TableShape } from '@bucardo/plugin-sdk';
import { captureProblems, capturedKeys } from './capture-check.js';
import { CheckpointOrigin } from './checkpoint-origin.js';
import { installCapture, removeCapture } from './capture-install.js';
import { checkCapturePrivileges } from './capture-privileges.js';
import { upgradeCaptureGuard } from './capture-guard-upgrade.js';
import { qualified } from './capture-names.js';
import { MarksTable } from './marks-table.js';
import { hasChanges, pending, pendingKeys, purge, readChanges } from './capture-read.js';
import { readTable } from './table-read.js';
import { estimateRows } from './row-estimates.js';
import { connect } from './connect.js';
import { cancellable } from './cancel.js';
import { copyOutAll } from './copy-out-query.js';
import { describeTables, findTable, listTables } from './introspect.js';
import { foreignKeys } from './foreign-keys.js';
import { KeyIndexes } from './key-index.js';
import { selectAdditiveAsOf } from './additive-as-of.js';
import { customSelect, selectColumns } from './select-list.js';
import { columnList, inlineKeyCondition, keyColumnList } from './key-sql.js';
import type { ResolvedPostgresOptions } from './postgres-options.js';

/** Reads changes and row images from a PostgreSQL source. */
export class PostgresSource implements SourceDriver {
  readonly capabilities = Object.freeze({ partitionedCapture: true });
  readonly #options: ResolvedPostgresOptions;

  constructor(options: ResolvedPostgresOptions) {
    this.#options = options;
  }

  async open(spec: DatabaseSpec, context: OpenContext): Promise<SourceSession> {
    const client = await connect(spec, context, this.#options);
    try {
      await upgradeCaptureGuard(client, spec.name, context.log);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return new PostgresSourceSession(spec.name, client, new CheckpointOrigin(client, spec.name, context.log));
  }
}

/** How often the autokick probe also checks the capture triggers (a catalog statement, about 1 ms). */
const TRIGGER_CHECK_MS = 10_000;

class PostgresSourceSession implements SourceSession {
  readonly #db: string;
  readonly #client: pg.Client;
  readonly #keyIndexes: KeyIndexes;
  readonly #origin: CheckpointOrigin;
  /** When `hasChanges` last looked at the capture triggers (never, at first). */
  #triggersCheckedAt = 0;
  readonly #marks = new MarksTable();

  constructor(db: string, client: pg.Client, origin: CheckpointOrigin) {
    this.#db = db;
    this.#client = client;
    this.#origin = origin;
    this.#keyIndexes = new KeyIndexes(client);
  }

  async describeTable(table: TableRef): Promise<TableShape | undefined> {
    return (await this.describeTables([table]))[0];
  }

  describeTables(tables: readonly TableRef[]): Promise<Array<TableShape | undefined>> {
    return describeTables(this.#client, tables);
  }

  findTable(name: string): Promise<TableRef[]> {
    return findTable(this.#client, name);
  }

  listTables(kind: 'table' | 'sequence'): Promise<TableRef[]> {
    return listTables(this.#client, kind);
  }

  foreignKeys(tables: readonly TableRef[]): Promise<ForeignKey[]> {
    return foreignKeys(this.#client, tables);
  }

  async installCapture(tables: readonly TableShape[]): Promise<Checkpoint> {
    await checkCapturePrivileges(this.#client, this.#db, tables);
    return installCapture(this.#client, tables, this.#db);
  }

  capture(args: CaptureArgs): Promise<SourceChanges> {
    return cancellable(this.#client, args.signal, async () => {
      // a sync's own makedelta records, where a delta table can hold them, are skipped: it wrote those rows
      const skip = args.sync !== undefined && await this.#marks.exists(this.#client) ? args.sync : undefined;
      const changes = await readChanges(this.#client, this.#db, args.tables, await this.#origin.onThisServer(args.since), args.until, args.partition, skip);
      // the next run's checkpoint is this one, taken here (an `until` was taken by an earlier capture, maybe elsewhere)
      if (args.until === undefined) this.#origin.seen(changes.checkpoint);
      return changes;
    });
  }

  captureProblems(tables: readonly TableRef[]): Promise<CaptureProblem[]> {
    return captureProblems(this.#client, tables);
  }

  capturedKeys(tables: readonly TableRef[]): Promise<Array<readonly string[] | undefined>> {
    return capturedKeys(this.#client, tables);
  }

  readTable(args: ReadTableArgs): AsyncIterable<RowBatch> {
    return readTable(this.#client, this.#db, args, (shape) => this.#keyIndexes.local(shape));
  }

  /** One REPEATABLE READ transaction: every `COPY` in it reads the snapshot its first statement took. */
  async readConsistently<T>(work: () => Promise<T>): Promise<T> {
    await this.#client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    try {
      const result = await work();
      await this.#client.query('COMMIT');
      return result;
    } catch (error) {
      await this.#client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  rebaseCheckpoint(checkpoint: Checkpoint): Promise<Checkpoint | undefined> {
    return this.#origin.rebase(checkpoint);
  }

  async purge(args: { tables: readonly TableShape[]; consumed: readonly Checkpoint[] }): Promise<number> {
    // a checkpoint of another server consumed nothing here: its sync's next run reads every record
    if (!(await this.#origin.allFromThisServer(args.consumed))) return 0;
    return purge(this.#client, args.tables, args.consumed);
  }

  async pending(args: { tables: readonly TableShape[]; since: Checkpoint }): Promise<Map<string, number>> {
    return pending(this.#client, args.tables, await this.#origin.onThisServer(args.since));
  }

  async pendingKeys(args: { tables: readonly TableShape[]; since: Checkpoint; records?: ReadonlyMap<string, number> }): Promise<Map<string, number>> {
    return pendingKeys(this.#client, args.tables, await this.#origin.onThisServer(args.since), args.records);
  }

  estimateRows(tables: readonly TableRef[]): Promise<Map<string, number>> {
    return estimateRows(this.#client, tables);
  }

  removeCapture(tables: readonly TableRef[]): Promise<void> {
    return removeCapture(this.#client, tables);
  }

  hasChanges(args: CaptureArgs): Promise<boolean> {
    return cancellable(this.#client, args.signal, async () => {
      if (await hasChanges(this.#client, args.tables, await this.#origin.onThisServer(args.since))) return true;
      // a table whose trigger is gone records nothing, so the probe alone would never start the run that
      // says so: now and then, such a table counts as a change, and the run's capture fails naming it
      if (Date.now() - this.#triggersCheckedAt < TRIGGER_CHECK_MS) return false;
      this.#triggersCheckedAt = Date.now();
      return (await captureProblems(this.#client, args.tables.map((shape) => shape.table))).length > 0;
    });
  }

  async fetch(args: FetchArgs): Promise<RowBatch> {
    if (args.keys.length === 0) return RowBatch.empty(this.#db, args.shape);
    // In key order: a target then inserts into its key index page by page rather than at random (COPY of
    // 33k pgbench rows after deleting their keys: 220-310 ms sorted, 390-460 ms in random order).
    const hide = await this.#keyIndexes.hideKeys(args.shape, args.keys.length);
    // keys compared with this database's operators (the shape is the first source's)
    const local = await this.#keyIndexes.local(args.shape);
    const where = inlineKeyCondition(local, args.keys, hide);
    const select = args.selectList !== undefined
      ? customSelect(args.shape.table, args.selectList, where)
      : (args.shape.additive ?? []).length > 0 && args.additiveAsOf !== undefined
      ? selectAdditiveAsOf(local, where, args.additiveAsOf)
      : `SELECT ${columnList(args.shape)} FROM ONLY ${qualified(args.shape.table)} WHERE ${where}`;
    const rows = await cancellable(this.#client, args.signal, () => copyOutAll(this.#client, `COPY (${select} ORDER BY ${keyColumnList(args.shape)}) TO STDOUT`));
    return new RowBatch(this.#db, args.shape, rows.data, rows.ends);
  }

  selectColumns(table: TableRef, selectList: string): Promise<ColumnInfo[]> {
    return selectColumns(this.#client, table, selectList);
  }

  async close(): Promise<void> {
    await this.#client.end().catch(() => undefined);
  }
}
