/**
 * An in-memory target for the kit's own tests: a correct one (transactions buffered until commit), and
 * flaws that can be switched on one at a time, each of which some scenario must catch.
 */
import {
  tableId, type ApplyBatch, type ApplyResult, type DatabaseSpec, type KeyText, type TableRef, type TableShape,
  type TargetCapabilities, type TargetSession, type TargetWriter, type TextValue,
} from '@bucardo/plugin-sdk';
import type { TargetUnderTest } from '@bucardo/plugin-sdk/testing';

export type Flaw =
  | 'ignores-deletes' | 'null-as-empty' | 'no-rollback' | 'appends' | 'first-key-part' | 'wrong-count'
  | 'loses-backslashes' | 'drops-second-origin' | 'keeps-rolled-back-on-close' | 'truncate-ignored'
  // a walk-through's target: what a run committed is published only when the run ends well
  | 'drops-bad-runs';

type Tables = Map<string, Map<KeyText, TextValue[]>>;

class MemorySession implements TargetSession {
  readonly #store: Tables;
  readonly #flaws: ReadonlySet<Flaw>;
  #pending: Tables | undefined;
  #atRunStart: Tables | undefined;

  constructor(store: Tables, flaws: ReadonlySet<Flaw>) {
    this.#store = store;
    this.#flaws = flaws;
  }

  async beginRun(): Promise<void> {
    if (this.#flaws.has('drops-bad-runs')) this.#atRunStart = copy(this.#store);
  }

  async endRun(run: { readonly outcome: string }): Promise<void> {
    if (run.outcome === 'bad' && this.#atRunStart) {
      this.#store.clear();
      for (const [id, rows] of this.#atRunStart) this.#store.set(id, rows);
    }
    this.#atRunStart = undefined;
  }

  async begin(): Promise<void> {
    this.#pending = this.#flaws.has('no-rollback') ? this.#store : copy(this.#store);
  }

  async apply(batch: ApplyBatch): Promise<ApplyResult> {
    batch.signal.throwIfAborted();
    const tables = this.#pending;
    if (!tables) throw new Error('apply outside a transaction');
    const id = tableId(batch.shape.table);
    let rows = tables.get(id);
    if (!rows) tables.set(id, (rows = new Map()));
    let deleted = 0;
    if (!this.#flaws.has('ignores-deletes')) for (const key of batch.deletes) if (rows.delete(this.#key(batch.shape, key))) deleted++;
    let inserted = 0;
    for (const [index, rowBatch] of batch.rows.entries()) {
      if (index > 0 && this.#flaws.has('drops-second-origin')) continue;
      for (const row of rowBatch.rows()) {
        const stored = row.map((value) => this.#store_(value));
        const key = this.#key(batch.shape, rowBatch.keyOf(row));
        rows.set(this.#flaws.has('appends') ? `${key}#${rows.size}` : key, stored);
        inserted++;
      }
    }
    return { deleted, inserted: this.#flaws.has('wrong-count') ? inserted + 1 : inserted, skipped: [] };
  }

  async truncate(shape: TableShape): Promise<number | undefined> {
    if (this.#flaws.has('truncate-ignored')) return undefined;
    const rows = this.#pending?.get(tableId(shape.table));
    const count = rows?.size ?? 0;
    rows?.clear();
    return count;
  }

  async commit(): Promise<void> {
    if (this.#pending && this.#pending !== this.#store) {
      this.#store.clear();
      for (const [id, rows] of this.#pending) this.#store.set(id, rows);
    }
    this.#pending = undefined;
  }

  async rollback(): Promise<void> {
    this.#pending = undefined;
  }

  async close(): Promise<void> {
    if (this.#flaws.has('keeps-rolled-back-on-close')) await this.commit();
    this.#pending = undefined;
  }

  #key(shape: TableShape, key: KeyText): KeyText {
    return this.#flaws.has('first-key-part') && shape.key.length > 1 ? key.split('\u0000')[0]! : key;
  }

  #store_(value: TextValue): TextValue {
    if (value === null && this.#flaws.has('null-as-empty')) return '';
    if (value !== null && this.#flaws.has('loses-backslashes')) return value.replaceAll('\\', '');
    return value;
  }
}

function copy(tables: Tables): Tables {
  return new Map([...tables].map(([id, rows]) => [id, new Map(rows)]));
}

/** A target for one scenario: a fresh store, the writer, and a readBack of rows as text values. */
export function memoryTarget(flaws: readonly Flaw[] = [], capabilities: TargetCapabilities = { transactions: true, truncate: true }): TargetUnderTest {
  const store: Tables = new Map();
  const flawSet = new Set(flaws);
  const writer: TargetWriter = {
    capabilities,
    async open() {
      const session = new MemorySession(store, flawSet);
      // without the capability, no truncate() (the core calls it whenever a session has it)
      if (!capabilities.truncate) Object.defineProperty(session, 'truncate', { value: undefined });
      return session;
    },
  };
  const spec: DatabaseSpec = { name: 'mem', type: 'memory', params: {} };
  return {
    writer,
    spec,
    readBack: async (table: TableRef) => [...(store.get(tableId(table))?.values() ?? [])],
  };
}
