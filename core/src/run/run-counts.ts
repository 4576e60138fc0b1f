import { formatTable, type ApplyOutcome, type KeyText, type TableBatch, type TableCounts } from '@bucardo/plugin-sdk';
import { KeptWork } from './kept-work.js';

/** Tallies of one run: totals, per table and per receiving database. */
export class RunCounts {
  inserts = 0;
  deletes = 0;
  conflicts = 0;
  retries = 0;
  /** Rows moved by whole-table copies (part of `inserts`). */
  copied = 0;
  readonly deferred = new Set<KeyText>();
  /** What the run committed so far; not among what `restore` puts back, since a retry undoes none of it. */
  readonly kept = new KeptWork();
  readonly #tables = new Map<string, { inserts: number; deletes: number; conflicts: number }>();
  readonly #databases = new Map<string, { inserted: number; deleted: number }>();

  addBatch(batch: TableBatch, rowsMoved: number, outcome: ApplyOutcome): void {
    const table = formatTable(batch.shape.table);
    const tableCounts = this.#tables.get(table) ?? { inserts: 0, deletes: 0, conflicts: 0 };
    this.#tables.set(table, tableCounts);
    tableCounts.inserts += rowsMoved;
    tableCounts.conflicts += batch.conflicts.length;
    this.inserts += rowsMoved;
    this.conflicts += batch.conflicts.length;
    for (const [db, result] of outcome.results) {
      const dbCounts = this.#databases.get(db) ?? { inserted: 0, deleted: 0 };
      this.#databases.set(db, dbCounts);
      dbCounts.inserted += result.inserted;
      dbCounts.deleted += result.deleted;
      tableCounts.deletes += result.deleted;
      this.deletes += result.deleted;
      for (const key of result.skipped) this.deferred.add(`${table}\u0001${key}`);
    }
  }

  /** Rows copied whole into `receivers` databases (initial copies, fullcopy members, truncate winners), once committed. */
  addCopy(table: string, rows: number, receivers: readonly string[]): void {
    this.kept.copyCommitted(table, rows, receivers, true);
    const tableCounts = this.#tables.get(table) ?? { inserts: 0, deletes: 0, conflicts: 0 };
    this.#tables.set(table, tableCounts);
    tableCounts.inserts += rows;
    this.inserts += rows;
    for (const db of receivers) {
      const dbCounts = this.#databases.get(db) ?? { inserted: 0, deleted: 0 };
      this.#databases.set(db, dbCounts);
      dbCounts.inserted += rows;
    }
    this.copied += rows;
  }

  /** A copy of the tallies, to go back to when a transaction is retried. */
  snapshot(): RunCounts {
    const copy = new RunCounts();
    RunCounts.#copy(this, copy);
    return copy;
  }

  restore(from: RunCounts): void {
    RunCounts.#copy(from, this);
  }

  static #copy(from: RunCounts, to: RunCounts): void {
    to.inserts = from.inserts;
    to.deletes = from.deletes;
    to.conflicts = from.conflicts;
    to.copied = from.copied;
    to.deferred.clear();
    from.deferred.forEach((key) => to.deferred.add(key));
    to.#tables.clear();
    for (const [table, counts] of from.#tables) to.#tables.set(table, { ...counts });
    to.#databases.clear();
    for (const [db, counts] of from.#databases) to.#databases.set(db, { ...counts });
  }

  get moved(): number {
    return this.inserts + this.deletes;
  }

  tables(): TableCounts[] {
    return [...this.#tables].map(([table, counts]) => ({ table, ...counts }));
  }

  databases(): ReadonlyMap<string, { inserted: number; deleted: number }> {
    return new Map(this.#databases);
  }
}
