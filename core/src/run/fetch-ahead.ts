import type { FetchedRows, TableBatch } from '@bucardo/plugin-sdk';

/**
 * Reads the rows of the next table batch while the current one is applied: fetching talks to the
 * sources, applying to the targets, so the two overlap instead of taking turns. At most one batch is read
 * ahead, which bounds the rows in memory to two batches. Keys of different batches never overlap, so a
 * batch read early is as current as one read just in time (newer changes go to the next run either way).
 */
export class FetchAhead {
  /** The batches in order; a batch is forgotten once taken, so that the keys of applied batches can be freed. */
  readonly #order: Array<TableBatch | undefined>;
  readonly #position = new Map<TableBatch, number>();
  readonly #pending = new Map<TableBatch, Promise<FetchedRows>>();
  readonly #fetch: (batch: TableBatch) => Promise<FetchedRows>;

  constructor(transactions: readonly (readonly TableBatch[])[], fetch: (batch: TableBatch) => Promise<FetchedRows>) {
    const order = transactions.flat();
    order.forEach((batch, index) => this.#position.set(batch, index));
    this.#order = order;
    this.#fetch = fetch;
  }

  /**
   * The rows of `batch` (read ahead, or read now), and the read of the batch after it started. A batch
   * taken again (a retried transaction) is read again, without reading ahead.
   */
  rows(batch: TableBatch): Promise<FetchedRows> {
    const rows = this.#pending.get(batch) ?? this.#fetch(batch);
    this.#pending.delete(batch);
    const position = this.#position.get(batch);
    this.#position.delete(batch);
    if (position !== undefined) this.#order[position] = undefined;
    const next = position === undefined ? undefined : this.#order[position + 1];
    if (next && !this.#pending.has(next)) {
      const ahead = this.#fetch(next);
      // Its failure surfaces when the batch is applied; until then (or if the run stops first) it is held.
      ahead.catch(() => undefined);
      this.#pending.set(next, ahead);
    }
    return rows;
  }

  /** Drops what was read ahead (after a failed transaction: its retry reads again). Waits for reads in flight. */
  async discard(): Promise<void> {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    await Promise.allSettled(pending);
  }
}
