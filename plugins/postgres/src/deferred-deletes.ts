import type { KeyText, TableShape } from '@bucardo/plugin-sdk';
import { qualified } from './capture-names.js';

/**
 * The keys a transaction deletes from tables foreign keys point at (`ReferencedTables`), held until every
 * table of the transaction is written: by then the children that pointed at those rows were deleted or
 * moved, as they were on the origin, and the deletes run children first.
 */
export class DeferredDeletes {
  readonly #pending = new Map<string, { readonly shape: TableShape; readonly keys: KeyText[] }>();

  add(shape: TableShape, keys: readonly KeyText[]): void {
    if (keys.length === 0) return;
    const id = qualified(shape.table);
    const entry = this.#pending.get(id);
    if (entry) entry.keys.push(...keys);
    else this.#pending.set(id, { shape, keys: [...keys] });
  }

  /** Runs the held deletes in `order`'s order of their tables, and forgets them. */
  async run(order: (shapes: readonly TableShape[]) => Promise<TableShape[]>, remove: (shape: TableShape, keys: readonly KeyText[]) => Promise<unknown>): Promise<void> {
    if (this.#pending.size === 0) return;
    const pending = new Map(this.#pending);
    this.#pending.clear();
    for (const shape of await order([...pending.values()].map((entry) => entry.shape))) {
      await remove(shape, pending.get(qualified(shape.table))!.keys);
    }
  }

  clear(): void {
    this.#pending.clear();
  }
}
