/**
 * What a run has committed on its receivers so far. A run stopped halfway rolls back only the transaction
 * it was in: its committed transactions and whole-table copies stay, and its message must say so, since a
 * user reading "nothing was kept" would look for the rows in the wrong place. A retry does not undo any
 * of it, so these tallies are not part of the counts a retried transaction goes back to.
 */
export class KeptWork {
  #transactions = 0;
  readonly #copies = new Map<string, { rows: number; to: readonly string[]; whole: boolean }>();

  /** A run transaction committed on every database. */
  transactionCommitted(): void {
    this.#transactions++;
  }

  /** Rows of `table` committed on `to`: the whole table (`whole`), or the batches of an initial copy so far. */
  copyCommitted(table: string, rows: number, to: readonly string[], whole: boolean): void {
    this.#copies.set(table, { rows, to, whole });
  }

  /** `2 transactions committed on every database; public.t copied whole to B, C`, or undefined when nothing was. */
  describe(): string | undefined {
    const parts: string[] = [];
    if (this.#transactions > 0) parts.push(`${this.#transactions} transaction${this.#transactions === 1 ? '' : 's'} committed on every database`);
    for (const [table, copy] of this.#copies) {
      parts.push(`${table} copied ${copy.whole ? 'whole' : `in part (${copy.rows} rows)`} to ${copy.to.join(', ')}`);
    }
    return parts.length === 0 ? undefined : parts.join('; ');
  }
}
