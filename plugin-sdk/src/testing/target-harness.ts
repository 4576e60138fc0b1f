/**
 * Drives a target the way the core does (beginRun → per transaction: begin, apply per table batch,
 * commit or rollback → endRun), keeps a model of what the target should hold, and compares the target's
 * `readBack` with it.
 */
import { expect } from 'vitest';
import { RowBatch } from '../row-batch.js';
import { tableId, formatTable, type TableRef, type TableShape } from '../table.js';
import type { TextValue } from '../copy-text.js';
import type { KeyText } from '../keys.js';
import type { Checkpoint } from '../changes.js';
import type { Logger } from '../logger.js';
import type { ApplyBatch, ApplyResult, RunEnd, RunInfo, TargetCapabilities, TargetSession } from '../database.js';
import { expectedRecord, rowRecord, sortByKey, type ExpectedValue, type ReadBackRow } from './read-back.js';
import { conformanceTables, keyOf } from './target-fixtures.js';
import type { TargetUnderTest } from './target-conformance.js';

/** One table's share of a transaction: delete these keys, then write these rows (grouped by origin). */
export interface Write {
  readonly shape: TableShape;
  readonly deletes: readonly KeyText[];
  readonly rows: readonly (readonly (readonly TextValue[])[])[];
}

/** Writes these rows: each row's key is deleted first, as the core does for a changed key. */
export function upsert(shape: TableShape, ...groups: ReadonlyArray<ReadonlyArray<readonly TextValue[]>>): Write {
  return { shape, deletes: groups.flat().map((row) => keyOf(shape, row)), rows: groups.filter((group) => group.length > 0) };
}

/** Deletes these keys (rows deleted on the source). */
export function remove(shape: TableShape, keys: readonly KeyText[]): Write {
  return { shape, deletes: keys, rows: [] };
}

/** Deletes `deletes` and these rows' keys, then writes the rows. */
export function change(shape: TableShape, deletes: readonly KeyText[], rows: ReadonlyArray<readonly TextValue[]>): Write {
  const keys = new Set([...deletes, ...rows.map((row) => keyOf(shape, row))]);
  return { shape, deletes: [...keys], rows: rows.length > 0 ? [rows] : [] };
}

/** What the target should hold: per table, per key, the row's values by column name. */
type Model = Map<string, Map<KeyText, Readonly<Record<string, TextValue>>>>;

let runCounter = 0;

/** What the kit runs a scenario with. */
export class TargetHarness {
  readonly target: TargetUnderTest;
  readonly capabilities: Required<TargetCapabilities>;
  readonly #expectedValue: ExpectedValue;
  readonly #log: Logger;
  /** The sync's tables, as the core passes them in `RunInfo.tables`: references, in herd order. */
  readonly #tables: readonly TableRef[];
  #model: Model = new Map();
  /** Each kit table's shape on the target now (the kit's own, until `reshape` changes it). */
  readonly #shapes = new Map<string, TableShape>(conformanceTables.map((shape) => [tableId(shape.table), shape]));
  readonly #sessions = new Set<TargetSession>();
  /** While a guarded run is open: the checkpoint every apply of the run carries (`ApplyBatch.guard`). */
  #guard: Checkpoint | undefined;
  #guarded = false;

  constructor(target: TargetUnderTest, options: { expectedValue: ExpectedValue; log: Logger; tables: readonly TableShape[]; transactions?: boolean }) {
    this.target = target;
    this.#tables = Object.freeze(options.tables.map((shape) => Object.freeze({ schema: shape.table.schema, name: shape.table.name })));
    const declared = target.writer.capabilities ?? {};
    this.capabilities = {
      transactions: options.transactions ?? declared.transactions === true,
      truncate: declared.truncate === true,
      localChangeGuard: declared.localChangeGuard === true,
      schema: declared.schema === true,
      foreignKeys: declared.foreignKeys === true,
      makeDelta: declared.makeDelta === true,
      selectListDigests: declared.selectListDigests === true,
    };
    this.#expectedValue = options.expectedValue;
    this.#log = options.log;
  }

  /** Opens a session (closed by `dispose` if the scenario does not close it). */
  async open(): Promise<TargetSession> {
    const session = await this.target.writer.open(this.target.spec, { log: this.#log, label: 'bucardo conformance' });
    this.#sessions.add(session);
    return session;
  }

  async close(session: TargetSession): Promise<void> {
    this.#sessions.delete(session);
    await session.close();
  }

  /**
   * A new run's identity, as the core makes it (`run-sync.ts`): a run id unique in this process, started
   * now, and the sync's tables (every table the scenario was told about, in herd order, as references).
   */
  newRun(): RunInfo {
    runCounter += 1;
    return { sync: 'conformance', runId: String(runCounter), startedAt: new Date(), tables: this.#tables };
  }

  /**
   * From now on, each run takes a guard after `beginRun` (`target.guard()`, as the core captures every
   * source after `beginRun`) and every apply of the run carries it, as the core's apply plan gives a
   * receiving source the checkpoint of its own capture in this run.
   */
  guardRuns(): void {
    if (typeof this.target.guard !== 'function') throw new Error('the target under test has no guard()');
    this.#guarded = true;
  }

  /** Starts a run on a session: `beginRun` with a new run's identity, then its guard when runs are guarded. */
  async beginRun(session: TargetSession): Promise<RunInfo> {
    const run = this.newRun();
    await session.beginRun?.(run);
    this.#guard = this.#guarded ? await this.target.guard!() : undefined;
    return run;
  }

  /** Ends a run on a session: `endRun` with the run's identity (its tables too, as the core spreads it) and outcome. */
  async endRun(session: TargetSession, run: RunInfo, outcome: RunEnd['outcome']): Promise<void> {
    this.#guard = undefined;
    await session.endRun?.({ ...run, outcome });
  }

  /**
   * One good run: beginRun, each transaction (begin, apply each write, commit), endRun `good` (or `empty`
   * when there is no transaction). The model follows.
   */
  async run(session: TargetSession, ...transactions: ReadonlyArray<readonly Write[]>): Promise<ApplyResult[]> {
    const run = await this.beginRun(session);
    const results: ApplyResult[] = [];
    for (const transaction of transactions) results.push(...await this.transaction(session, transaction));
    await this.endRun(session, run, transactions.length > 0 ? 'good' : 'empty');
    return results;
  }

  /** begin, apply each write, prepareCommit and commit, as the core calls them; the model follows. */
  async transaction(session: TargetSession, writes: readonly Write[]): Promise<ApplyResult[]> {
    const signal = new AbortController().signal;
    await session.begin(signal);
    const results: ApplyResult[] = [];
    for (const write of writes) results.push(await this.apply(session, write, signal));
    await session.prepareCommit?.(signal);
    await session.commit();
    for (const write of writes) this.applyToModel(write);
    return results;
  }

  /**
   * begin, apply each write, then `failing` (if given) with its signal already aborted, as when a run is
   * stopped (the target may reject it or not), or else `prepareCommit`, as when another database refuses
   * its commit; then rollback. The model does not follow.
   */
  async rolledBack(session: TargetSession, writes: readonly Write[], failing?: Write): Promise<void> {
    const signal = new AbortController().signal;
    await session.begin(signal);
    for (const write of writes) await this.apply(session, write, signal);
    if (failing) {
      const stopped = new AbortController();
      stopped.abort(new Error('the conformance kit stops this batch'));
      await this.apply(session, failing, stopped.signal).catch(() => undefined);
    } else {
      // every batch applied, then another database refuses its commit: rolled back after prepareCommit
      await session.prepareCommit?.(signal);
    }
    await session.rollback();
  }

  /** A bad run: beginRun, a transaction rolled back after `failing` (see `rolledBack`), endRun `bad`. */
  async failedRun(session: TargetSession, writes: readonly Write[], failing: Write): Promise<void> {
    const run = await this.beginRun(session);
    await this.rolledBack(session, writes, failing);
    await this.endRun(session, run, 'bad');
  }

  /**
   * Applies one write (the model does not follow: call `applyToModel` once it is committed). `skipped`: the
   * keys the target must leave alone (changed locally after the run's guard); none by default.
   */
  async apply(session: TargetSession, write: Write, signal: AbortSignal = new AbortController().signal, skipped: readonly KeyText[] = []): Promise<ApplyResult> {
    const batch = this.batch(write, signal);
    const result = await session.apply(batch);
    checkResult(result, write, skipped, this.#guard !== undefined);
    return result;
  }

  batch(write: Write, signal: AbortSignal): ApplyBatch {
    const origins = ['A', 'B', 'C', 'D'];
    return {
      shape: write.shape,
      deletes: write.deletes,
      rows: write.rows.map((rows, index) => RowBatch.fromRows(origins[index % origins.length]!, write.shape, rows)),
      signal,
      // as the core's apply plan: the field only when there is a guard
      ...(this.#guard === undefined ? {} : { guard: this.#guard }),
    };
  }

  applyToModel(write: Write): void {
    const id = tableId(write.shape.table);
    let rows = this.#model.get(id);
    if (!rows) this.#model.set(id, (rows = new Map()));
    for (const key of write.deletes) rows.delete(key);
    for (const group of write.rows) {
      // by column name: a write's shape may list the columns in another order than the target's table
      for (const row of group) rows.set(keyOf(write.shape, row), Object.fromEntries(write.shape.columns.map((column, index) => [column.name, row[index] ?? null])));
    }
  }

  /** The shape of a kit table on the target now. */
  shapeOf(table: TableRef): TableShape {
    const shape = this.#shapes.get(tableId(table));
    if (!shape) throw new Error(`not a kit table: ${formatTable(table)}`);
    return shape;
  }

  /**
   * Changes a table's shape on the target (`target.reshape`) and in the model: rows already there hold
   * NULL in a column added (PostgreSQL's ADD COLUMN); readBack is then asked for the new shape.
   */
  async reshape(to: TableShape): Promise<void> {
    const from = this.shapeOf(to.table);
    await this.target.reshape!(from, to);
    this.#shapes.set(tableId(to.table), to);
  }

  /** Empties a table in the model (after a committed truncate). */
  truncateModel(table: TableRef): void {
    this.#model.delete(tableId(table));
  }

  /** A copy of the model, to compare against later. */
  snapshot(): Model {
    return new Map([...this.#model].map(([id, rows]) => [id, new Map(rows)]));
  }

  restore(model: Model): void {
    this.#model = new Map([...model].map(([id, rows]) => [id, new Map(rows)]));
  }

  /**
   * Reads `write`'s table back and expects every row it wrote among the rows, whatever else is there: for a
   * target without transactions, whose rolled-back writes may stay.
   */
  async checkHolds(step: string, write: Write): Promise<void> {
    const actual = await this.#actual(this.shapeOf(write.shape.table));
    for (const group of write.rows) {
      for (const row of group) expect(actual, `${formatTable(write.shape.table)} ${step}`).toContainEqual(expectedRecord(write.shape, row, this.#expectedValue));
    }
  }

  /** Reads every kit table back and compares it with the model (or with `model` when given). */
  async check(step: string, model: Model = this.#model): Promise<void> {
    for (const { table } of conformanceTables) {
      const shape = this.shapeOf(table);
      expect(await this.#actual(shape), `${formatTable(shape.table)} ${step}`).toEqual(this.#expected(shape, model));
    }
  }

  async #actual(shape: TableShape): Promise<Array<Record<string, unknown>>> {
    const rows: readonly ReadBackRow[] = await this.target.readBack(shape.table, shape);
    return sortByKey(shape, rows.map((row) => rowRecord(shape, row)));
  }

  #expected(shape: TableShape, model: Model): Array<Record<string, unknown>> {
    const rows = [...(model.get(tableId(shape.table))?.values() ?? [])];
    // a column the row was written without (added since) holds NULL
    return sortByKey(shape, rows.map((row) => expectedRecord(shape, shape.columns.map((column) => row[column.name] ?? null), this.#expectedValue)));
  }

  /** Closes the sessions the scenario left open, then the target. */
  async dispose(): Promise<void> {
    const errors: unknown[] = [];
    for (const session of this.#sessions) await session.close().catch((error: unknown) => errors.push(error));
    this.#sessions.clear();
    await this.target.dispose?.().catch((error: unknown) => errors.push(error));
    if (errors.length > 0) throw new AggregateError(errors, 'closing the sessions or disposing of the target failed');
  }
}

/**
 * What every apply must return: the rows written, a plausible delete count, and exactly the keys `skipped`
 * left alone (none without a guard, nor with one when nothing changed locally after it).
 */
function checkResult(result: ApplyResult, write: Write, skipped: readonly KeyText[], guarded: boolean): void {
  const left = new Set(skipped);
  const rows = write.rows.reduce((sum, group) => sum + group.filter((row) => !left.has(keyOf(write.shape, row))).length, 0);
  const table = formatTable(write.shape.table);
  expect(result, `apply() of ${table} returns an ApplyResult`).toMatchObject({ deleted: expect.any(Number), inserted: expect.any(Number), skipped: expect.any(Array) });
  const why = !guarded ? 'no key is skipped without a guard'
    : skipped.length === 0 ? 'no key is skipped under a guard when nothing changed here after it'
    : 'the keys changed here after the guard are skipped, and only they';
  expect([...result.skipped].sort(), `apply() of ${table}: ${why}`).toEqual([...left].sort());
  expect(result.inserted, `apply() of ${table}: inserted is the number of rows written${left.size > 0 ? ' (less those of skipped keys)' : ''}`).toBe(rows);
  expect(Number.isInteger(result.deleted) && result.deleted >= 0 && result.deleted <= write.deletes.length,
    `apply() of ${table}: deleted (${result.deleted}) is between 0 and the ${write.deletes.length} keys to delete`).toBe(true);
}
