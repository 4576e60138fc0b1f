/**
 * `describeSourceConformance`: what every source driver must do, driven only through `SourceDriver` and
 * `SourceSession`, with the changes made by the `write` callbacks the driver's author supplies (the kit
 * does not know the source's language). The kit's tables are the target kit's `kit_items` (integer key)
 * and `kit_pairs` (text and bigint key, awkward text parts).
 */
import { expect } from 'vitest';
import { silentLogger } from '../logger.js';
import { keyMaker, keyPartition, type KeyText } from '../keys.js';
import type { TextValue } from '../copy-text.js';
import type { ChangeOp, Checkpoint, SourceChanges } from '../changes.js';
import { tableId, type TableShape } from '../table.js';
import type { DatabaseSpec, SourceDriver, SourceSession } from '../database.js';
import { registerScenarios, type RunnableScenario } from './register-scenarios.js';
import { itemsTable, pairsTable } from './target-fixtures.js';

/** The tables the source kit changes: create them (`postgresDdl(context.tables)`) before returning. */
export const sourceKitTables: readonly TableShape[] = Object.freeze([itemsTable, pairsTable]);

/** One change the kit asks for: rows as text values in the table's column order, keys in key order. */
export type KitWrite =
  | { readonly table: TableShape; readonly op: 'insert'; readonly row: readonly TextValue[] }
  | { readonly table: TableShape; readonly op: 'update'; readonly key: readonly string[]; readonly row: readonly TextValue[] }
  | { readonly table: TableShape; readonly op: 'delete'; readonly key: readonly string[] };

/**
 * The SQL of `writes` for a PostgreSQL-like source (values as quoted literals, which the columns' types
 * read; identifiers double-quoted), for `write` and `writeOpen` implementations: run it in a transaction.
 */
export function postgresWriteSql(writes: readonly KitWrite[]): string {
  const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
  const literal = (value: TextValue) => (value === null ? 'NULL' : `'${value.replaceAll("'", "''")}'`);
  return writes.map((write) => {
    const table = `${ident(write.table.table.schema)}.${ident(write.table.table.name)}`;
    const where = () => write.op === 'insert' ? '' : write.table.key.map((column, index) => `${ident(column.name)} = ${literal(write.key[index]!)}`).join(' AND ');
    if (write.op === 'insert') return `INSERT INTO ${table} VALUES (${write.row.map(literal).join(', ')});`;
    if (write.op === 'delete') return `DELETE FROM ${table} WHERE ${where()};`;
    return `UPDATE ${table} SET ${write.table.columns.map((column, index) => `${ident(column.name)} = ${literal(write.row[index]!)}`).join(', ')} WHERE ${where()};`;
  }).join('\n');
}

/** What `makeSource` returns for one scenario. */
export interface SourceUnderTest {
  /** The driver, as the plugin registers it (`driver.source`). */
  readonly driver: SourceDriver;
  /** The database to open, with its parameters already normalised. */
  readonly spec: DatabaseSpec;
  /** Makes these changes in one transaction, committed when the promise resolves (an update replaces the whole row). */
  write(writes: readonly KitWrite[]): Promise<void>;
  /** Makes these changes in a transaction left open until `commit()` (a transaction that commits late: trap 1). */
  writeOpen(writes: readonly KitWrite[]): Promise<{ commit(): Promise<void> }>;
  /** Frees what `makeSource` made. Optional. */
  dispose?(): Promise<void>;
}

/** Makes a fresh source with the kit's tables, empty, for one scenario (`id` is unique: a database name). */
export type MakeSource = (context: { readonly id: string; readonly tables: readonly TableShape[] }) => SourceUnderTest | Promise<SourceUnderTest>;

/** The scenarios of the source kit, by id (for `options.skip`). */
export const sourceScenarioIds = ['describe', 'changes', 'commit-order', 'partitions', 'pending-and-probe', 'row-estimates', 'foreign-keys', 'list-tables'] as const;
/** The id of a source kit scenario. */
export type SourceScenarioId = (typeof sourceScenarioIds)[number];

/** Options of `describeSourceConformance`. */
export interface SourceConformanceOptions {
  /** Scenarios to leave out, each with the reason, which the test report shows. */
  readonly skip?: Readonly<Partial<Record<SourceScenarioId, string>>>;
  /** Timeout of each scenario in milliseconds. */
  readonly timeout?: number;
}

interface Run {
  readonly source: SourceUnderTest;
  readonly session: SourceSession;
  readonly shapes: readonly TableShape[];
}

const signal = () => new AbortController().signal;
const keyOf = (shape: TableShape, parts: readonly string[]): KeyText => keyMaker(shape.key.map((column) => column.type))(parts);
const pairRow = (region: string, seq: string): TextValue[] => [region, seq, `${region}/${seq}`];
const itemRow = (id: number): TextValue[] => [String(id), `item ${id}`, String(id * 10), `${id}.50`];

/** Per table (by `tableId`): key → [firstOp, lastOp]. */
function opsOf(changes: SourceChanges): Record<string, Record<string, [ChangeOp, ChangeOp]>> {
  const result: Record<string, Record<string, [ChangeOp, ChangeOp]>> = {};
  for (const [id, table] of changes.tables) {
    const keys: Record<string, [ChangeOp, ChangeOp]> = {};
    for (const [key, change] of table.changes) keys[key] = [change.firstOp, change.lastOp];
    result[id] = keys;
  }
  return result;
}

async function capture(run: Run, since: Checkpoint, extra: { until?: Checkpoint; partition?: { index: number; count: number } } = {}): Promise<SourceChanges> {
  return run.session.capture({ tables: run.shapes, since, signal: signal(), ...extra });
}

const items = tableId(itemsTable.table);
const pairs = tableId(pairsTable.table);

const bodies: Record<SourceScenarioId, { title: string; body: (run: Run) => Promise<string | void> }> = {
  describe: {
    title: 'describes the kit tables (columns, key), a missing table as undefined, and describeTables alike',
    async body({ session }) {
      for (const shape of sourceKitTables) {
        const found = await session.describeTable(shape.table);
        expect(found?.columns, `columns of ${shape.table.name}`).toEqual(shape.columns);
        expect(found?.key.map(({ name, type }) => ({ name, type })), `key of ${shape.table.name}`).toEqual(shape.key.map(({ name, type }) => ({ name, type })));
      }
      const missing = { schema: 'public', name: 'kit_no_such_table' };
      expect(await session.describeTable(missing)).toBeUndefined();
      if (session.describeTables) {
        const tables = [itemsTable.table, missing, pairsTable.table];
        const one = [];
        for (const table of tables) one.push(await session.describeTable(table));
        expect(await session.describeTables(tables), 'describeTables answers as describeTable, in order').toEqual(one);
      }
    },
  },
  changes: {
    title: 'captures each changed key once with its first and last operation, and nothing twice',
    async body(run) {
      const start = await run.session.installCapture(run.shapes);
      await run.source.write([
        { table: itemsTable, op: 'insert', row: itemRow(1) },
        { table: itemsTable, op: 'insert', row: itemRow(2) },
        { table: itemsTable, op: 'insert', row: itemRow(3) },
        { table: pairsTable, op: 'insert', row: pairRow("o'ne\\il", '1') },
        { table: pairsTable, op: 'insert', row: pairRow('tab\there', '9007199254740993') },
      ]);
      const first = await capture(run, start);
      expect(opsOf(first)).toEqual({
        [items]: { [keyOf(itemsTable, ['1'])]: ['insert', 'insert'], [keyOf(itemsTable, ['2'])]: ['insert', 'insert'], [keyOf(itemsTable, ['3'])]: ['insert', 'insert'] },
        [pairs]: { [keyOf(pairsTable, ["o'ne\\il", '1'])]: ['insert', 'insert'], [keyOf(pairsTable, ['tab\there', '9007199254740993'])]: ['insert', 'insert'] },
      });
      await run.source.write([{ table: itemsTable, op: 'update', key: ['1'], row: [...itemRow(1).slice(0, 1), 'renamed', '11', '1.75'] }]);
      await run.source.write([{ table: itemsTable, op: 'delete', key: ['2'] }, { table: itemsTable, op: 'insert', row: itemRow(4) }]);
      await run.source.write([{ table: itemsTable, op: 'update', key: ['4'], row: [...itemRow(4).slice(0, 1), 'four', '40', '4.00'] }, { table: itemsTable, op: 'delete', key: ['3'] }]);
      const second = await capture(run, first.checkpoint);
      expect(opsOf(second)).toEqual({
        [items]: {
          [keyOf(itemsTable, ['1'])]: ['update', 'update'], [keyOf(itemsTable, ['2'])]: ['delete', 'delete'],
          [keyOf(itemsTable, ['3'])]: ['delete', 'delete'], [keyOf(itemsTable, ['4'])]: ['insert', 'update'],
        },
      });
      const times = [...second.tables.get(items)!.changes.values()].map((change) => change.changedAt);
      for (const time of times) expect(Number.isSafeInteger(time) && time > 1.5e15, `changedAt ${time} is µs since the epoch`).toBe(true);
      expect((await capture(run, second.checkpoint)).tables.size, 'a capture from the last checkpoint').toBe(0);
    },
  },
  'commit-order': {
    title: 'a transaction that commits after a later one is read by the first capture that can see it (trap 1)',
    async body(run) {
      const start = await run.session.installCapture(run.shapes);
      const late = await run.source.writeOpen([{ table: itemsTable, op: 'insert', row: itemRow(10) }]);
      let committed = false;
      try {
        await run.source.write([{ table: itemsTable, op: 'insert', row: itemRow(11) }]);
        const first = await capture(run, start);
        expect(Object.keys(opsOf(first)[items] ?? {}), 'before the early transaction commits').toEqual([keyOf(itemsTable, ['11'])]);
        await late.commit();
        committed = true;
        const second = await capture(run, first.checkpoint);
        expect(Object.keys(opsOf(second)[items] ?? {}), 'after it commits').toEqual([keyOf(itemsTable, ['10'])]);
      } finally {
        if (!committed) await late.commit().catch(() => undefined);
      }
    },
  },
  partitions: {
    title: 'captures in key partitions exactly the keys keyPartition puts there, each table with its newest change overall',
    async body(run) {
      const capabilities = run.source.driver.capabilities ?? {};
      if (!capabilities.partitionedCapture) return 'the source does not declare capabilities.partitionedCapture';
      const start = await run.session.installCapture(run.shapes);
      const regions = ['north', 'south', 'é', '日本', '', "o'ne\\il", '12', '-7'];
      await run.source.write([
        ...Array.from({ length: 40 }, (_, i) => ({ table: itemsTable, op: 'insert' as const, row: itemRow(i * 37 - 300) })),
        ...regions.flatMap((region) => ['1', '-1', '9007199254740993'].map((seq) => ({ table: pairsTable, op: 'insert' as const, row: pairRow(region, seq) }))),
      ]);
      const whole = await capture(run, start);
      const count = 3;
      const seen = new Map<string, Set<KeyText>>();
      for (let index = 0; index < count; index++) {
        const part = await capture(run, start, { until: whole.checkpoint, partition: { index, count } });
        for (const [id, table] of part.tables) {
          const shape = run.shapes.find((candidate) => tableId(candidate.table) === id)!;
          const keys = seen.get(id) ?? new Set<KeyText>();
          for (const key of table.changes.keys()) {
            expect(keyPartition(key, shape.key.length, count), `partition of ${id} key ${JSON.stringify(key)}`).toBe(index);
            expect(keys.has(key), `${id} key ${JSON.stringify(key)} in two partitions`).toBe(false);
            keys.add(key);
          }
          seen.set(id, keys);
          const newest = Math.max(...[...whole.tables.get(id)!.changes.values()].map((change) => change.changedAt));
          if (table.changes.size > 0) expect(table.newestOverall, `newestOverall of ${id} in partition ${index}`).toBe(newest);
        }
      }
      for (const [id, table] of whole.tables) expect([...(seen.get(id) ?? [])].sort(), `the partitions of ${id} together`).toEqual([...table.changes.keys()].sort());
    },
  },
  'pending-and-probe': {
    title: 'counts pending change records and their keys, and probes for changes (when it has pending, pendingKeys and hasChanges)',
    async body(run) {
      const { session } = run;
      if (!session.pending && !session.hasChanges) return 'the session has neither pending nor hasChanges';
      const start = await session.installCapture(run.shapes);
      if (session.hasChanges) expect(await session.hasChanges({ tables: run.shapes, since: start, signal: signal() }), 'probe before any change').toBe(false);
      await run.source.write([
        { table: itemsTable, op: 'insert', row: itemRow(1) },
        { table: itemsTable, op: 'update', key: ['1'], row: [...itemRow(1).slice(0, 1), 'x', '1', '1.00'] },
        { table: pairsTable, op: 'insert', row: pairRow('north', '1') },
      ]);
      if (session.hasChanges) expect(await session.hasChanges({ tables: run.shapes, since: start, signal: signal() }), 'probe after changes').toBe(true);
      if (session.pending) {
        const counts = await session.pending({ tables: run.shapes, since: start });
        // at least one record per changed key; a source may keep one per operation
        expect(counts.get(items), 'pending records of kit_items').toBeGreaterThanOrEqual(1);
        expect(counts.get(pairs), 'pending records of kit_pairs').toBeGreaterThanOrEqual(1);
      }
      // kit_items' key 1 was inserted and updated: however many records, one key
      if (session.pendingKeys) expect(await session.pendingKeys({ tables: run.shapes, since: start }), 'pending keys').toEqual(new Map([[items, 1], [pairs, 1]]));
      const consumed = (await capture(run, start)).checkpoint;
      if (session.hasChanges) expect(await session.hasChanges({ tables: run.shapes, since: consumed, signal: signal() }), 'probe after the capture').toBe(false);
      if (session.pending) expect([...(await session.pending({ tables: run.shapes, since: consumed })).values()], 'pending after the capture').toEqual([0, 0]);
      if (session.pendingKeys) expect([...(await session.pendingKeys({ tables: run.shapes, since: consumed })).values()], 'pending keys after the capture').toEqual([0, 0]);
    },
  },
  'row-estimates': {
    title: 'estimates rows as whole numbers, and only of tables it has (when it has estimateRows)',
    async body(run) {
      const { session } = run;
      if (!session.estimateRows) return 'the session has no estimateRows';
      await run.source.write([1, 2, 3].map((id) => ({ table: itemsTable, op: 'insert', row: itemRow(id) })));
      const missing = { schema: itemsTable.table.schema, name: 'kit_missing' };
      const estimates = await session.estimateRows([itemsTable.table, pairsTable.table, missing]);
      // a figure is optional (statistics may not exist yet); a figure for a table that does not exist is wrong
      expect([...estimates.keys()].filter((id) => id !== items && id !== pairs), 'estimates of tables not asked for, or that do not exist').toEqual([]);
      for (const [id, rows] of estimates) expect(Number.isSafeInteger(rows) && rows >= 0, `the estimate of ${id} (${rows}) is a whole number of rows`).toBe(true);
    },
  },
  'foreign-keys': {
    title: 'lists no foreign key of the kit tables, which have none, nor of a table that does not exist (when it has foreignKeys)',
    async body({ session }) {
      if (!session.foreignKeys) return 'the session has no foreignKeys';
      // a key listed where there is none would have bucardo inspect, validate and add sync warn about a table for nothing
      const missing = { schema: itemsTable.table.schema, name: 'kit_missing' };
      expect(await session.foreignKeys([itemsTable.table, pairsTable.table, missing]), 'foreign keys of tables that have none').toEqual([]);
      expect(await session.foreignKeys([]), 'foreign keys of no table').toEqual([]);
    },
  },
  'list-tables': {
    title: 'lists the kit tables among its tables, once each, not as sequences, and nothing that installing capture made (when it has listTables)',
    async body({ session, shapes }) {
      if (!session.listTables) return 'the session has no listTables';
      const before = (await session.listTables('table')).map(tableId);
      for (const shape of sourceKitTables) expect(before, `${shape.table.name} among the tables`).toContain(tableId(shape.table));
      expect(new Set(before).size, 'each table listed once').toBe(before.length);
      // whatever capture makes (change tables, logs) must not be listed: add all tables would capture it
      await session.installCapture(shapes);
      expect((await session.listTables('table')).map(tableId), 'the tables listed after capture was installed').toEqual(before);
      const sequences = (await session.listTables('sequence')).map(tableId);
      for (const shape of sourceKitTables) expect(sequences, `${shape.table.name} not among the sequences`).not.toContain(tableId(shape.table));
    },
  },
};

let counter = 0;

/** The kit's scenarios as plain runnable objects (resolves with a reason when a scenario does not apply). */
export function sourceScenarios(makeSource: MakeSource): Array<RunnableScenario<SourceScenarioId>> {
  return sourceScenarioIds.map((id) => ({
    id,
    title: bodies[id].title,
    async run() {
      counter += 1;
      const source = await makeSource({ id: `kit_src_${id.replace(/-/g, '_')}_${counter}_${Math.random().toString(36).slice(2, 8)}`, tables: sourceKitTables });
      let session: SourceSession | undefined;
      try {
        session = await source.driver.open(source.spec, { log: silentLogger, label: `bucardo source kit ${id}` });
        const shapes = [];
        for (const shape of sourceKitTables) shapes.push((await session.describeTable(shape.table)) ?? shape);
        const skipped = await bodies[id].body({ source, session, shapes });
        return typeof skipped === 'string' ? { skipped } : undefined;
      } finally {
        await session?.close().catch(() => undefined);
        await source.dispose?.();
      }
    },
  }));
}

/**
 * Registers the source kit with vitest: one test per scenario. `makeSource` returns a fresh source whose
 * kit tables exist and are empty, and the `write` callbacks that change them.
 */
export function describeSourceConformance(name: string, makeSource: MakeSource, options: SourceConformanceOptions = {}): void {
  registerScenarios(`${name}: source conformance`, sourceScenarios(makeSource), options);
}
