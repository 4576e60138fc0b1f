/** The target kit's scenarios: what each does to a fresh target, and what it then expects to read back. */
import { expect } from 'vitest';
import { keyPartition } from '../keys.js';
import { formatTable } from '../table.js';
import type { TargetScenarioId } from './target-conformance.js';
import { awkwardRows, awkwardTable, conformanceTables, item, itemKeys, items, itemsTable, keyOf, pairKey, pairRows, pairsTable } from './target-fixtures.js';
import { change, remove, upsert } from './target-harness.js';
import { columnOrder, localChangeGuard, shapeChange, type Body } from './target-session-scenarios.js';

const capabilities: Body = async (h) => {
  const declared = h.target.writer.capabilities;
  expect(typeof declared, 'writer.capabilities is an object').toBe('object');
  for (const flag of ['transactions', 'truncate', 'localChangeGuard', 'schema'] as const) {
    expect(['boolean', 'undefined'], `capabilities.${flag} is a boolean or absent`).toContain(typeof declared[flag]);
  }
  const session = await h.open();
  for (const method of ['begin', 'apply', 'commit', 'rollback', 'close'] as const) {
    expect(typeof session[method], `session.${method}() is a function`).toBe('function');
  }
  // the core calls these whenever they exist, so a session that has them must say so
  if (typeof session.truncate === 'function') expect(h.capabilities.truncate, 'a session with truncate() declares capabilities.truncate').toBe(true);
  if (typeof session.describeTable === 'function') expect(h.capabilities.schema, 'a session with describeTable() declares capabilities.schema').toBe(true);
  if (h.capabilities.schema) {
    expect(typeof session.describeTable, 'capabilities.schema: session.describeTable() exists').toBe('function');
    for (const shape of conformanceTables) {
      const found = await session.describeTable!(shape.table);
      expect(found, `describeTable(${formatTable(shape.table)})`).toBeDefined();
      for (const column of shape.columns) {
        expect(found!.columns.find((c) => c.name === column.name), `column ${column.name} of ${formatTable(shape.table)}`).toEqual(column);
      }
      expect(found!.key.map((c) => c.name), `key of ${formatTable(shape.table)}`).toEqual(shape.key.map((c) => c.name));
    }
    expect(await session.describeTable!({ schema: 'public', name: 'kit_no_such_table' }), 'describeTable of a missing table').toBeUndefined();
    if (typeof session.describeTables === 'function') {
      // the core uses describeTables instead of describeTable when it exists: same answers, same order
      const tables = [conformanceTables[0]!.table, { schema: 'public', name: 'kit_no_such_table' }, ...conformanceTables.slice(1).map((shape) => shape.table)];
      const one: Array<Awaited<ReturnType<NonNullable<typeof session.describeTable>>>> = [];
      for (const table of tables) one.push(await session.describeTable!(table));
      expect(await session.describeTables(tables), 'describeTables answers as describeTable, in order').toEqual(one);
    }
  }
  if (typeof session.requiredColumns === 'function') {
    // per table, in order: names of its own columns only, and none for a missing table
    const tables = [...conformanceTables.map((shape) => shape.table), { schema: 'public', name: 'kit_no_such_table' }];
    const required = await session.requiredColumns(tables);
    expect(required, 'requiredColumns answers table by table').toHaveLength(tables.length);
    for (const [index, shape] of conformanceTables.entries()) {
      const names = shape.columns.map((column) => column.name);
      for (const name of required[index]!) expect(names, `requiredColumns of ${formatTable(shape.table)} names its columns`).toContain(name);
    }
    expect(required.at(-1), 'requiredColumns of a missing table').toEqual([]);
  }
  if (typeof session.missingPrivileges === 'function') {
    // the kit writes its tables: a privilege said missing would refuse a sync that works; none for a missing table
    const missingTable = { ...conformanceTables[0]!, table: { schema: 'public', name: 'kit_no_such_table' } };
    const answer = await session.missingPrivileges([...conformanceTables, missingTable]);
    expect(typeof answer.role, 'missingPrivileges names the role').toBe('string');
    expect(answer.missing, 'missingPrivileges: nothing lacking for the tables the kit writes, nor for a missing table').toEqual([...conformanceTables, missingTable].map(() => []));
  }
  await h.close(session);
};

const inserts: Body = async (h) => {
  const session = await h.open();
  // rows of one table batch come grouped by the source they were read from
  const [itemsResult] = await h.run(session, [upsert(itemsTable, items(1, 3), items(4, 5)), upsert(pairsTable, pairRows.slice(0, 3))]);
  expect(itemsResult!.inserted).toBe(5);
  await h.check('after the first insert');
  await h.run(session, [upsert(itemsTable, items(6, 8))]);
  await h.check('after inserts in a second run');
  await h.close(session);
};

const updates: Body = async (h) => {
  const session = await h.open();
  await h.run(session, [upsert(itemsTable, items(1, 5))]);
  // an update is the key deleted and the new image written: the whole row is replaced, NULLs included
  await h.run(session, [upsert(itemsTable, [item(2, 'two, updated', null, '0.00'), item(3, null, 33, null)])]);
  await h.check('after updates');
  // a key change: the old key deleted, the new one written
  await h.run(session, [change(itemsTable, itemKeys(4), [item(40, 'was 4', 40, '4.50')])]);
  await h.check('after a key change');
  await h.close(session);
};

const deletes: Body = async (h) => {
  const session = await h.open();
  await h.run(session, [upsert(itemsTable, items(1, 5))]);
  // a key that is not there is no error
  await h.run(session, [remove(itemsTable, itemKeys(1, 3, 99))]);
  await h.check('after deleting keys 1, 3 and an absent 99');
  await h.run(session, [remove(itemsTable, itemKeys(2, 4, 5))]);
  await h.check('after deleting every row');
  await h.close(session);
};

const compositeKeys: Body = async (h) => {
  const session = await h.open();
  await h.run(session, [upsert(pairsTable, pairRows)]);
  await h.check('after inserting composite keys');
  // (north, 1) shares its region with (north, 2) and its seq with (south, 1): only it goes
  await h.run(session, [remove(pairsTable, [pairKey('north', '1')])]);
  await h.check('after deleting (north, 1)');
  await h.run(session, [upsert(pairsTable, [['tab\there', '9007199254740993', 'updated'], ["o'ne\\il", '1', null]])]);
  await h.run(session, [remove(pairsTable, [pairKey('', '-1'), pairKey('north', '3')])]);
  await h.check('after updating and deleting keys with awkward parts');
  await h.close(session);
};

const awkwardValues: Body = async (h) => {
  const session = await h.open();
  await h.run(session, [upsert(awkwardTable, awkwardRows)]);
  await h.check('after inserting awkward values');
  // every row takes the next row's values: awkward values replace awkward values
  const rotated = awkwardRows.map((row, index) => [row[0]!, ...awkwardRows[(index + 1) % awkwardRows.length]!.slice(1)]);
  await h.run(session, [upsert(awkwardTable, rotated)]);
  await h.check('after replacing every awkward row with another');
  await h.close(session);
};

const emptyBatches: Body = async (h) => {
  const session = await h.open();
  const results = await h.run(session, [{ shape: itemsTable, deletes: [], rows: [] }, { shape: pairsTable, deletes: [], rows: [[]] }], []);
  expect(results).toEqual([{ deleted: 0, inserted: 0, skipped: [] }, { deleted: 0, inserted: 0, skipped: [] }]);
  await h.check('after empty batches and an empty transaction');
  await h.run(session, [upsert(itemsTable, items(1, 2))]);
  await h.check('after a batch with rows');
  await h.close(session);
};

const largeBatch: Body = async (h) => {
  const session = await h.open();
  await h.run(session, [upsert(itemsTable, items(1, 1500), items(1501, 2500))]);
  await h.check('after 2,500 rows in one batch');
  const deleted = Array.from({ length: 1200 }, (_, i) => String(i * 2 + 1));
  await h.run(session, [change(itemsTable, deleted, items(1000, 1299, (id) => `updated ${id}`).filter((row) => Number(row[0]) % 2 === 0))]);
  await h.check('after deleting 1,200 keys and updating 150 rows in one batch');
  await h.close(session);
};

const replay: Body = async (h) => {
  const session = await h.open();
  await h.run(session, [upsert(itemsTable, items(1, 5)), upsert(pairsTable, pairRows.slice(0, 3))]);
  // the same changes, met again by the next run after a failure: key 2 and absent 7 deleted, 1 updated, 6 new
  const batch = [change(itemsTable, itemKeys(1, 2, 6, 7), [item(1, 'one again'), item(6)]), change(pairsTable, [pairKey('north', '2')], [['south', '1', 'again']])];
  await h.run(session, batch);
  const once = h.snapshot();
  await h.check('after the batch');
  await h.run(session, batch);
  await h.check('after the same batch again, in another run', once);
  await h.run(session, batch, batch);
  await h.check('after the same batch twice more, in two transactions of one run', once);
  await h.close(session);
};

const rollback: Body = async (h) => {
  if (!h.capabilities.transactions) return 'capabilities.transactions is false: a failed batch is replayed instead (see "failed-batch")';
  const session = await h.open();
  await h.run(session, [upsert(itemsTable, items(1, 5)), upsert(pairsTable, pairRows)]);
  const before = h.snapshot();
  await h.failedRun(session, [
    change(itemsTable, itemKeys(1, 2, 3), [item(1, 'changed'), item(6)]), remove(pairsTable, [pairKey('north', '1'), pairKey('south', '1')]),
  ], upsert(itemsTable, [item(7)]));
  await h.check('after a rolled-back transaction: nothing of it is visible', before);
  // the session is usable after a rollback, in the same run as a retried transaction would be
  const retry = await h.beginRun(session);
  await h.rolledBack(session, [upsert(itemsTable, [item(8)])]);
  await h.transaction(session, [upsert(itemsTable, [item(9)])]);
  await h.endRun(session, retry, 'good');
  await h.check('after a rollback and a committed transaction in one run');
  await h.close(session);
};

const failedBatch: Body = async (h) => {
  const session = await h.open();
  await h.run(session, [upsert(itemsTable, items(1, 5)), upsert(pairsTable, pairRows)]);
  const writes = [change(itemsTable, itemKeys(1, 2, 3), [item(1, 'changed'), item(6)]), remove(pairsTable, [pairKey('north', '1')]), upsert(itemsTable, [item(7)])];
  await h.failedRun(session, writes.slice(0, 2), writes[2]!);
  // the next run applies the same changes again: whatever the failed one left, the result is exact
  await h.run(session, writes);
  await h.check('after the failed batch was applied again by the next run');
  // a transaction retried within a run (as after a serialization failure) is applied once
  const again = [upsert(itemsTable, [item(2, 'back'), item(3, 'back')]), remove(itemsTable, itemKeys(6))];
  const retry = await h.beginRun(session);
  await h.rolledBack(session, again);
  await h.transaction(session, again);
  await h.endRun(session, retry, 'good');
  await h.check('after a transaction rolled back and retried in one run');
  await h.close(session);
};

const runLifecycle: Body = async (h) => {
  const first = await h.open();
  // a run without changes: beginRun and endRun `empty`, nothing else
  await h.run(first);
  await h.check('after an empty run');
  await h.run(first, [upsert(itemsTable, items(1, 3))]);
  // a bad run whose first transaction committed: the target keeps it, whatever its unit (a file per run
  // too), since the next run resumes after the committed transactions and does not send them again;
  // nothing of the rolled-back second transaction may be visible
  const t1 = [upsert(itemsTable, [item(4)])];
  const t2 = [remove(itemsTable, itemKeys(1)), upsert(pairsTable, pairRows.slice(0, 2))];
  const bad = await h.beginRun(first);
  await h.transaction(first, t1);
  const withT1 = h.snapshot();
  await h.rolledBack(first, t2);
  await h.endRun(first, bad, 'bad');
  if (h.capabilities.transactions) await h.check('after a bad run: its committed transaction kept (the next run resumes after it), its rolled-back one dropped', withT1);
  // without transactions the second may stay too, but the first must: the core does not send it again
  else await h.checkHolds('after a bad run: its committed transaction kept (the next run resumes after it)', t1[0]!);
  // the next run carries both again (a run that resumed would carry only the second: both must hold)
  await h.run(first, t1, t2);
  await h.check('after the next run carried the bad run\'s changes');
  await h.close(first);
  // a session per run, as `bucardo kick` without a daemon does
  for (const id of [10, 11]) {
    const session = await h.open();
    await h.run(session, [upsert(itemsTable, [item(id)])]);
    await h.close(session);
  }
  await h.check('after a session per run');
  // a session closed in the middle of a run (a process stopped): nothing of its open transaction is kept
  const stopped = await h.open();
  await h.beginRun(stopped);
  await stopped.begin(new AbortController().signal);
  await h.apply(stopped, remove(itemsTable, itemKeys(2, 3, 10, 11)));
  await h.close(stopped);
  if (h.capabilities.transactions) await h.check('after a session was closed in the middle of a transaction');
  const last = await h.open();
  await h.run(last, [remove(itemsTable, itemKeys(2, 3, 10, 11))]);
  await h.check('after the next run');
  await h.close(last);
};

const truncate: Body = async (h) => {
  if (!h.capabilities.truncate) return 'capabilities.truncate is false: a TRUNCATE on a source will stop the runs of each sync this target receives from until its plugin has truncate() or the database leaves the sync (bucardo add sync and validate warn of it)';
  const session = await h.open();
  if (typeof session.truncate !== 'function') throw new Error('capabilities.truncate is true but the session has no truncate()');
  await h.run(session, [upsert(itemsTable, items(1, 5)), upsert(pairsTable, pairRows)]);
  const run = await h.beginRun(session);
  const signal = new AbortController().signal;
  await session.begin(signal);
  const removed = await session.truncate(itemsTable, signal);
  expect(removed === undefined || removed === 5, `truncate() returns the rows removed (5) or undefined, not ${String(removed)}`).toBe(true);
  const refill = upsert(itemsTable, [item(100)]);
  await h.apply(session, refill, signal);
  await session.prepareCommit?.(signal);
  await session.commit();
  await h.endRun(session, run, 'good');
  h.truncateModel(itemsTable.table);
  h.applyToModel(refill);
  await h.check('after truncating kit_items and writing one row in the same transaction');
  if (h.capabilities.transactions) {
    const before = h.snapshot();
    const undone = await h.beginRun(session);
    await session.begin(signal);
    await session.truncate(pairsTable, signal);
    await session.rollback();
    await h.endRun(session, undone, 'bad');
    await h.check('after a truncate that was rolled back', before);
  }
  await h.close(session);
};

const rowDigests: Body = async (h) => {
  const session = await h.open();
  const { summarizeRows, rowDigests: digestsOf } = session;
  if (typeof summarizeRows !== 'function' || typeof digestsOf !== 'function') {
    await h.close(session);
    return 'the session has no summarizeRows() and rowDigests() (bucardo compare leaves it out)';
  }
  const signal = new AbortController().signal;
  const partitions = 8;
  const all = Array.from({ length: partitions }, (_, index) => index);
  const summary = (shape: typeof itemsTable) => summarizeRows.call(session, { shape, partitions, signal });
  /** Every row read, by key; checks that partitions come once each, ascending, only those asked for, each key in its own. */
  const digests = async (shape: typeof itemsTable, only: readonly number[]) => {
    const byKey = new Map<string, string>();
    const columnsOf = new Map<string, readonly string[]>();
    let last = -1;
    for await (const part of digestsOf.call(session, { shape, partitions, only, signal })) {
      expect(part.partition, 'rowDigests() gives partitions in ascending order, each once').toBeGreaterThan(last);
      expect(only, 'rowDigests() gives only the partitions asked for').toContain(part.partition);
      expect(part.digests, 'rowDigests(): a digest per key').toHaveLength(part.keys.length);
      last = part.partition;
      if (part.columns) expect(part.columns, 'rowDigests(): column fingerprints, where given, for every row').toHaveLength(part.keys.length);
      part.keys.forEach((key, index) => {
        expect(keyPartition(key, shape.key.length, partitions), `key ${key} is in the partition it was read from`).toBe(part.partition);
        byKey.set(key, part.digests[index]!);
        const columns = part.columns?.[index];
        if (columns) {
          expect(columns, `rowDigests(): a fingerprint per column of key ${key}`).toHaveLength(shape.columns.length);
          columnsOf.set(key, columns);
        }
      });
    }
    return Object.assign(byKey, { columnsOf });
  };
  await h.run(session, [upsert(itemsTable, items(1, 50)), upsert(pairsTable, pairRows)]);
  const before = await summary(itemsTable);
  expect(typeof before.format, 'summarizeRows() names its digest format').toBe('string');
  expect([...before.partitions.values()].reduce((sum, p) => sum + p.rows, 0), 'summarizeRows() counts every row of kit_items').toBe(50);
  for (const [partition, { rows }] of before.partitions) {
    expect((await digests(itemsTable, [partition])).size, `rowDigests() of partition ${partition}: as many keys as summarizeRows() counted there`).toBe(rows);
  }
  // composite keys come back as the SDK's key text, the same the core sends, each in its keyPartition
  const pairKeys = [...(await digests(pairsTable, all)).keys()].sort();
  expect(pairKeys, 'rowDigests() of kit_pairs: the SDK key text of every row').toEqual(pairRows.map((row) => keyOf(pairsTable, row)).sort());
  // one row changed: its partition's summary changes, and its digest; nothing else does
  const wasDigests = await digests(itemsTable, all);
  await h.run(session, [upsert(itemsTable, [item(7, 'seven, changed')])]);
  const after = await summary(itemsTable);
  const seventh = keyPartition('7', 1, partitions);
  for (const partition of all) {
    const changed = before.partitions.get(partition)?.digest !== after.partitions.get(partition)?.digest;
    expect(changed, `partition ${partition}'s digest ${partition === seventh ? 'changes' : 'stays'} when key 7 changes`).toBe(partition === seventh);
  }
  const nowDigests = await digests(itemsTable, all);
  for (const [key, digest] of wasDigests) expect(nowDigests.get(key) === digest, `the digest of key ${key} ${key === '7' ? 'changes' : 'stays'}`).toBe(key !== '7');
  // where column fingerprints are given: only the changed column's changes
  const was7 = wasDigests.columnsOf.get('7');
  const now7 = nowDigests.columnsOf.get('7');
  if (was7 && now7) {
    itemsTable.columns.forEach((column, index) => {
      expect(was7[index] !== now7[index], `the fingerprint of column ${column.name} of key 7 ${column.name === 'name' ? 'changes' : 'stays'}`).toBe(column.name === 'name');
    });
  }
  // a reader that stops early ends the read: the session is usable at once
  for await (const part of digestsOf.call(session, { shape: itemsTable, partitions, only: all, signal })) {
    expect(part.keys.length).toBeGreaterThan(0);
    break;
  }
  expect((await summary(itemsTable)).partitions.size, 'summarizeRows() after a read broken off').toBe(after.partitions.size);
  await h.close(session);
};

/** Every scenario, in order. */
export const targetScenarioBodies: ReadonlyArray<{ readonly id: TargetScenarioId; readonly title: string; readonly body: Body }> = [
  { id: 'capabilities', title: 'declares its capabilities, and has the methods they promise', body: capabilities },
  { id: 'inserts', title: 'inserts rows, from several sources in one batch and over several runs', body: inserts },
  { id: 'updates', title: 'applies updates as delete + insert (the whole row replaced, key changes too)', body: updates },
  { id: 'deletes', title: 'deletes keys, and deleting an absent key is no error', body: deletes },
  { id: 'composite-keys', title: 'handles composite keys (shared parts, quotes, tabs, backslashes, empty parts, bigint beyond 2^53)', body: compositeKeys },
  { id: 'awkward-values', title: 'keeps awkward values exactly (quotes, backslashes, \\N, newlines, tabs, NULL, non-ASCII, bytea, numeric, timestamptz, jsonb, arrays)', body: awkwardValues },
  { id: 'empty-batches', title: 'accepts empty batches and empty transactions', body: emptyBatches },
  { id: 'large-batch', title: 'applies a batch of 2,500 rows and then 1,200 deletes with 150 updates', body: largeBatch },
  { id: 'replay', title: 'replaying the same batch is idempotent', body: replay },
  { id: 'rollback', title: 'a failed batch leaves nothing half-applied (rollback, where capabilities.transactions)', body: rollback },
  { id: 'failed-batch', title: 'a failed batch, applied again by the next run or a retry, gives the exact result', body: failedBatch },
  { id: 'run-lifecycle', title: 'follows the run lifecycle (beginRun/endRun where implemented, bad runs, a session per run, a session closed mid-run)', body: runLifecycle },
  { id: 'column-order', title: 'writes each value under its column when a later run on the session lists the columns in another order', body: columnOrder },
  { id: 'shape-change', title: 'follows a table\'s shape changed between two runs on a kept session (a column added; describeTable sees it, where schema)', body: shapeChange },
  { id: 'truncate', title: 'truncates a table in a transaction (where capabilities.truncate)', body: truncate },
  { id: 'row-digests', title: 'summarizes and digests rows for bucardo compare (where summarizeRows and rowDigests exist)', body: rowDigests },
  { id: 'local-change-guard', title: 'applies under a guard as a receiving source, leaving keys changed here after it alone (where makeTarget gives guard())', body: localChangeGuard },
];
