import type { Checkpoint, KeyText, TableShape } from '@bucardo/plugin-sdk';
import { qualified } from './capture-names.js';

/** The keys held for one table, and the local-change guard they are deleted under (a receiving source). */
export interface HeldDeletes {
  readonly shape: TableShape;
  readonly keys: KeyText[];
  readonly guard: Checkpoint | undefined;
  /** The sync whose own change records (makedelta) are not a user's change under the guard. */
  readonly exceptOrigin?: string;
}

/**
 * The keys a transaction deletes from tables foreign keys point at (`ReferencedTables`), held until every
 * table of the transaction is written: by then the children that pointed at those rows were deleted or
 * moved, as they were on the origin, and the deletes run children first, each under the guard its batch
 * came with (a row a user changed here meanwhile is left alone).
 */
export class DeferredDeletes {
  readonly #pending = new Map<string, HeldDeletes>();

  add(shape: TableShape, keys: readonly KeyText[], guard: Checkpoint | undefined, exceptOrigin?: string): void {
    if (keys.length === 0) return;
    const id = qualified(shape.table);
    const entry = this.#pending.get(id);
    if (entry) entry.keys.push(...keys);
    else this.#pending.set(id, { shape, keys: [...keys], guard, ...(exceptOrigin === undefined ? {} : { exceptOrigin }) });
  }

  /** Runs the held deletes in `order`'s order of their tables, and forgets them. */
  async run(order: (shapes: readonly TableShape[]) => Promise<TableShape[]>, remove: (held: HeldDeletes) => Promise<unknown>): Promise<void> {
    if (this.#pending.size === 0) return;
    const pending = new Map(this.#pending);
    this.#pending.clear();
    for (const shape of await order([...pending.values()].map((entry) => entry.shape))) await remove(pending.get(qualified(shape.table))!);
  }

  clear(): void {
    this.#pending.clear();
  }
}
