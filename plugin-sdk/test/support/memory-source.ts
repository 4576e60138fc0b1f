/**
 * An in-memory source for the source kit's own tests: change records with transaction ids, checkpoints
 * as snapshots (the ids below a horizon, minus those still open), and flaws that can be switched on one
 * at a time, each of which some scenario must catch.
 */
import {
  keyMaker, keyPartition, tableId, type CaptureArgs, type Checkpoint, type ChangeOp, type ForeignKey, type KeyChange, type SourceChanges,
  type SourceDriver, type SourceSession, type TableChanges, type TableRef, type TableShape,
} from '@bucardo/plugin-sdk';
import { sourceKitTables, type KitWrite, type SourceUnderTest } from '@bucardo/plugin-sdk/testing';

export type SourceFlaw = 'watermark' | 'last-op-only' | 'no-partition-filter' | 'no-newest-overall' | 'rereads' | 'probe-always-no' | 'estimates-anything' | 'foreign-keys-invented' | 'lists-capture-tables';

interface ChangeRecord {
  readonly table: string;
  readonly key: string;
  readonly op: ChangeOp;
  readonly at: number;
  readonly txid: number;
}

interface Snapshot {
  /** Transactions from here on had not started. */
  readonly horizon: number;
  /** Transactions below the horizon still open. */
  readonly open: readonly number[];
}

class MemorySourceDb {
  readonly records: ChangeRecord[] = [];
  readonly committed = new Set<number>();
  #nextTxid = 1;
  #clock = 1_700_000_000_000_000;

  snapshot(): Checkpoint {
    const open = [...new Set(this.records.map((record) => record.txid))].filter((txid) => !this.committed.has(txid));
    return JSON.stringify({ horizon: this.#nextTxid, open } satisfies Snapshot);
  }

  begin(writes: readonly KitWrite[]): number {
    const txid = this.#nextTxid++;
    for (const write of writes) {
      const shape = write.table;
      const key = keyMaker(shape.key.map((column) => column.type))(write.op === 'insert'
        ? shape.key.map((column) => write.row[shape.columns.findIndex((c) => c.name === column.name)]!)
        : write.key);
      this.records.push({ table: tableId(shape.table), key, op: write.op, at: (this.#clock += 10), txid });
    }
    return txid;
  }
}

function visible(record: ChangeRecord, db: MemorySourceDb, snapshot: Snapshot): boolean {
  return record.txid < snapshot.horizon && !snapshot.open.includes(record.txid) && db.committed.has(record.txid);
}

class MemorySourceSession implements SourceSession {
  readonly #db: MemorySourceDb;
  readonly #flaws: ReadonlySet<SourceFlaw>;
  #captureInstalled = false;

  constructor(db: MemorySourceDb, flaws: ReadonlySet<SourceFlaw>) {
    this.#db = db;
    this.#flaws = flaws;
  }

  async describeTable(table: TableRef): Promise<TableShape | undefined> {
    return sourceKitTables.find((shape) => tableId(shape.table) === tableId(table));
  }

  async installCapture(): Promise<Checkpoint> {
    this.#captureInstalled = true;
    return this.#db.snapshot();
  }

  /** The kit tables; the flaw lists a change table of its capture too, once installed. */
  async listTables(kind: 'table' | 'sequence'): Promise<TableRef[]> {
    if (kind === 'sequence') return [];
    const own = sourceKitTables.map((shape) => shape.table);
    return this.#flaws.has('lists-capture-tables') && this.#captureInstalled ? [...own, { schema: 'bucardo', name: 'delta_kit_items' }] : own;
  }

  #interval(since: Checkpoint, until?: Checkpoint): ChangeRecord[] {
    const from = JSON.parse(since) as Snapshot;
    const to = JSON.parse(until ?? this.#db.snapshot()) as Snapshot;
    return this.#db.records.filter((record) => visible(record, this.#db, to) && (this.#flaws.has('rereads')
      || (this.#flaws.has('watermark') ? record.txid >= from.horizon : !visible(record, this.#db, from))));
  }

  async capture(args: CaptureArgs): Promise<SourceChanges> {
    const checkpoint = args.until ?? this.#db.snapshot();
    const records = this.#interval(args.since, checkpoint);
    const tables = new Map<string, TableChanges>();
    for (const shape of args.tables) {
      const id = tableId(shape.table);
      const ofTable = records.filter((record) => record.table === id);
      const changes = new Map<string, KeyChange>();
      for (const record of ofTable) {
        const partition = args.partition;
        if (partition && !this.#flaws.has('no-partition-filter') && keyPartition(record.key, shape.key.length, partition.count) !== partition.index) continue;
        const before = changes.get(record.key);
        changes.set(record.key, { firstOp: before && !this.#flaws.has('last-op-only') ? before.firstOp : record.op, lastOp: record.op, changedAt: record.at });
      }
      if (changes.size === 0) continue;
      const newest = Math.max(...ofTable.map((record) => record.at));
      tables.set(id, { table: shape.table, changes, ...(args.partition && !this.#flaws.has('no-newest-overall') ? { newestOverall: newest } : {}) });
    }
    return { db: 'memory', checkpoint, tables };
  }

  async hasChanges(args: CaptureArgs): Promise<boolean> {
    return !this.#flaws.has('probe-always-no') && this.#interval(args.since).length > 0;
  }

  async pending(args: { readonly tables: readonly TableShape[]; readonly since: Checkpoint }): Promise<Map<string, number>> {
    const records = this.#interval(args.since);
    return new Map(args.tables.map((shape) => [tableId(shape.table), records.filter((record) => record.table === tableId(shape.table)).length]));
  }

  async estimateRows(tables: readonly TableRef[]): Promise<Map<string, number>> {
    const kitTables = new Set(sourceKitTables.map((shape) => tableId(shape.table)));
    const known = this.#flaws.has('estimates-anything') ? tables : tables.filter((table) => kitTables.has(tableId(table)));
    return new Map(known.map((table) => [tableId(table), this.#liveKeys(tableId(table))]));
  }

  /** The kit tables have no foreign key; the flaw makes one up from each table asked about to the first kit table. */
  async foreignKeys(tables: readonly TableRef[]): Promise<ForeignKey[]> {
    if (!this.#flaws.has('foreign-keys-invented')) return [];
    return tables.map((table) => ({ name: `${table.name}_fkey`, table, references: sourceKitTables[0]!.table, onDelete: 'restrict' as const }));
  }

  /** Keys whose last committed record is not a delete. */
  #liveKeys(id: string): number {
    const last = new Map<string, ChangeOp>();
    for (const record of this.#db.records) if (record.table === id && this.#db.committed.has(record.txid)) last.set(record.key, record.op);
    return [...last.values()].filter((op) => op !== 'delete').length;
  }

  async fetch(): Promise<never> {
    throw new Error('the source kit does not fetch rows');
  }

  async close(): Promise<void> {}
}

/** A fresh in-memory source with `flaws`, as `makeSource` returns it. */
export function memorySource(flaws: readonly SourceFlaw[] = [], partitioned = true): SourceUnderTest {
  const db = new MemorySourceDb();
  const set = new Set(flaws);
  const driver: SourceDriver = {
    capabilities: { partitionedCapture: partitioned },
    open: async () => new MemorySourceSession(db, set),
  };
  return {
    driver,
    spec: { name: 'memory', type: 'memory', params: {} },
    write: async (writes) => { db.committed.add(db.begin(writes)); },
    writeOpen: async (writes) => {
      const txid = db.begin(writes);
      return { commit: async () => { db.committed.add(txid); } };
    },
  };
}
