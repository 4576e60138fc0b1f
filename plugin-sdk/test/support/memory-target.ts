/**
 * An in-memory target for the kit's own tests: a correct one (transactions buffered until commit), and
 * flaws that can be switched on one at a time, each of which some scenario must catch.
 */
import {
  RowBatch, tableId, type ApplyBatch, type ApplyResult, type DatabaseSpec, type KeyText, type TableRef, type TableShape,
  type RunInfo, type TargetCapabilities, type TargetSession, type TargetWriter, type TextValue,
} from '@bucardo/plugin-sdk';
import type { TargetUnderTest } from '@bucardo/plugin-sdk/testing';

export type Flaw =
  | 'ignores-deletes' | 'null-as-empty' | 'no-rollback' | 'appends' | 'first-key-part' | 'wrong-count'
  | 'loses-backslashes' | 'drops-second-origin' | 'keeps-rolled-back-on-close' | 'truncate-ignored'
  // a walk-through's target: what a run committed is published only when the run ends well
  | 'drops-bad-runs'
  // maps tables onto slots of its own from RunInfo.tables, finding a batch's table by identity (never equal)
  | 'run-tables-by-identity'
  // with a guard, overwrites keys changed locally after it; or leaves alone every key ever changed locally
  | 'guard-ignored' | 'guard-skips-every-local-change'
  // keeps each table's column names from the first batch the session sees (an insert statement made once)
  | 'caches-columns'
  // says the role lacks INSERT on every table, which it writes all the same (a privilege check gone wrong)
  | 'privileges-invented';

/** Rows by key, each a record by column name (no table shapes: a column added is just a new field). */
type Tables = Map<string, Map<KeyText, Record<string, TextValue>>>;

/** The store's own change capture: per table, per key, the number of the last local change to it. */
interface LocalChanges {
  last: number;
  readonly keys: Map<string, Map<KeyText, number>>;
}

/** Ways a correct memory target may work, which the kit must drive as the core does. */
export interface MemoryBehaviour {
  /** Refuses a table that `RunInfo.tables` does not name (as a target mapping tables onto names of its own may). */
  readonly needsRunTables?: boolean;
}

class MemorySession implements TargetSession {
  readonly #store: Tables;
  readonly #flaws: ReadonlySet<Flaw>;
  readonly #local: LocalChanges;
  readonly #behaviour: MemoryBehaviour;
  #pending: Tables | undefined;
  #atRunStart: Tables | undefined;
  #runTables: readonly TableRef[] | undefined;
  readonly #columns = new Map<string, readonly string[]>();

  constructor(store: Tables, flaws: ReadonlySet<Flaw>, local: LocalChanges, behaviour: MemoryBehaviour) {
    this.#store = store;
    this.#flaws = flaws;
    this.#local = local;
    this.#behaviour = behaviour;
  }

  async beginRun(run: RunInfo): Promise<void> {
    if (this.#behaviour.needsRunTables && !run.tables) throw new Error('beginRun without RunInfo.tables (the core always gives them)');
    this.#runTables = run.tables;
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
    const id = this.#slot(batch.shape.table);
    let rows = tables.get(id);
    if (!rows) tables.set(id, (rows = new Map()));
    const skipped = this.#changedAfter(batch);
    let deleted = 0;
    if (!this.#flaws.has('ignores-deletes')) {
      for (const key of batch.deletes) if (!skipped.has(key) && rows.delete(this.#key(batch.shape, key))) deleted++;
    }
    let inserted = 0;
    const names = this.#columnNames(batch.shape);
    for (const [index, rowBatch] of batch.rows.entries()) {
      if (index > 0 && this.#flaws.has('drops-second-origin')) continue;
      for (const row of rowBatch.rows()) {
        if (skipped.has(rowBatch.keyOf(row))) continue;
        const stored = Object.fromEntries(names.map((name, i) => [name, this.#store_(row[i] ?? null)]));
        const key = this.#key(batch.shape, rowBatch.keyOf(row));
        rows.set(this.#flaws.has('appends') ? `${key}#${rows.size}` : key, stored);
        inserted++;
      }
    }
    return { deleted, inserted: this.#flaws.has('wrong-count') ? inserted + 1 : inserted, skipped: [...skipped] };
  }

  /** The batch's column names, in the order of its values (or, a flaw, those of the first batch of the table). */
  #columnNames(shape: TableShape): readonly string[] {
    const names = shape.columns.map((column) => column.name);
    if (!this.#flaws.has('caches-columns')) return names;
    const id = tableId(shape.table);
    if (!this.#columns.has(id)) this.#columns.set(id, names);
    return this.#columns.get(id)!;
  }

  /** Where a table's rows are kept: its id, or (a flaw) a slot found in RunInfo.tables by identity. */
  #slot(table: TableRef): string {
    if (this.#flaws.has('run-tables-by-identity') && this.#runTables) return `slot ${this.#runTables.indexOf(table)}`;
    if (this.#behaviour.needsRunTables && !this.#runTables?.some((t) => tableId(t) === tableId(table))) {
      throw new Error(`table ${tableId(table)} is not one of the run's tables`);
    }
    return tableId(table);
  }

  /** The batch's keys changed locally after its guard (a receiving source's `localChangeGuard`). */
  #changedAfter(batch: ApplyBatch): Set<KeyText> {
    const changed = new Set<KeyText>();
    if (batch.guard === undefined || this.#flaws.has('guard-ignored')) return changed;
    const since = this.#flaws.has('guard-skips-every-local-change') ? 0 : Number(batch.guard);
    const local = this.#local.keys.get(tableId(batch.shape.table));
    for (const key of [...batch.deletes, ...batch.rows.flatMap((rowBatch) => [...rowBatch.keys()])]) {
      if ((local?.get(key) ?? 0) > since) changed.add(key);
    }
    return changed;
  }

  /** Nothing lacking: the store takes any write; the flaw says INSERT is, for every table. */
  async missingPrivileges(shapes: readonly TableShape[]): Promise<{ role: string; missing: Array<readonly string[]> }> {
    return { role: 'memory', missing: shapes.map(() => (this.#flaws.has('privileges-invented') ? ['INSERT'] : [])) };
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
export function memoryTarget(flaws: readonly Flaw[] = [], capabilities: TargetCapabilities = { transactions: true, truncate: true }, behaviour: MemoryBehaviour = {}): TargetUnderTest {
  const store: Tables = new Map();
  const flawSet = new Set(flaws);
  const local: LocalChanges = { last: 0, keys: new Map() };
  const writer: TargetWriter = {
    capabilities,
    async open() {
      const session = new MemorySession(store, flawSet, local, behaviour);
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
    // no table shapes here: a column added is a field the next rows have
    reshape: async () => undefined,
    // the store's own capture: a checkpoint is the number of the last local change
    guard: async () => String(local.last),
    async writeLocally(shape: TableShape, rows: readonly (readonly TextValue[])[]) {
      const id = tableId(shape.table);
      if (!store.has(id)) store.set(id, new Map());
      if (!local.keys.has(id)) local.keys.set(id, new Map());
      for (const row of rows) {
        const key = RowBatch.fromRows('local', shape, [row]).keyOf(row);
        store.get(id)!.set(key, Object.fromEntries(shape.columns.map((column, i) => [column.name, row[i] ?? null])));
        local.keys.get(id)!.set(key, ++local.last);
      }
    },
  };
}
