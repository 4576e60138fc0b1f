import type { TableBatch } from '@bucardo/plugin-sdk';
import { sizeOf } from './batches.js';

/** Where a run is, for `bucardo status`: partition p of P (a backlog captured in parts), transaction i of n, keys done of the total. */
export class Progress {
  readonly #total: number;
  readonly #count: number;
  readonly #partition: string;
  #transactions = 0;
  #keys = 0;

  constructor(transactions: readonly (readonly TableBatch[])[], partition?: { readonly index: number; readonly count: number }) {
    this.#count = transactions.length;
    this.#total = transactions.reduce((sum, transaction) => sum + transaction.reduce((n, batch) => n + sizeOf(batch), 0), 0);
    this.#partition = partition && partition.count > 1 ? `partition ${partition.index + 1} of ${partition.count}, ` : '';
  }

  describe(text: string): string {
    const batch = this.#count > 1 ? `batch ${this.#transactions + 1} of ${this.#count}, ` : '';
    return `${text} (${this.#partition}${batch}${this.#keys} of ${this.#total} keys done)`;
  }

  done(transaction: readonly TableBatch[]): void {
    this.#transactions++;
    this.#keys += transaction.reduce((n, batch) => n + sizeOf(batch), 0);
  }
}
