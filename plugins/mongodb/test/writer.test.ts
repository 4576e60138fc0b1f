/**
 * The writer's translation of row sets into MongoDB operations, run in every test run without a server:
 * the session (src/mongo-session.ts) writes through the same ports the real driver satisfies, here into
 * an in-memory database that has the semantics of those operations (test/support/memory-mongo.ts), and
 * the resulting documents are checked.
 */
import { Binary, Decimal128, Double, Int32, Long, UUID } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { encodeKey, keyMaker, RowBatch, silentLogger, type ApplyBatch, type ColumnInfo, type KeyText, type Logger, type TableShape, type TextValue } from '@bucardo/plugin-sdk';
import { MongoTargetSession, serverHasTransactions } from '../src/mongo-session.js';
import { MongoTarget } from '../src/mongo-target.js';
import { resolveOptions, settingsFor, type MongoTargetOptions } from '../src/mongodb-options.js';
import { DocumentMaker } from '../src/documents.js';
import { idKey, MemoryMongo, MemoryWriteError, type MemorySession } from './support/memory-mongo.js';

// ---------------------------------------------------------------------------------------------------
// helpers

function shape(table: string, columns: Array<[string, string]>, key: string[], schema = 'public'): TableShape {
  const cols: ColumnInfo[] = columns.map(([name, type]) => ({ name, type }));
  return { table: { schema, name: table }, columns: cols, key: key.map((name) => cols.find((c) => c.name === name)!), keySource: 'primary key' };
}

/** One table's share of a batch: these keys deleted, these rows written (from source `origin`). */
function batch(s: TableShape, deletes: KeyText[], rows: TextValue[][], origin = 'A'): ApplyBatch {
  return { shape: s, deletes, rows: rows.length ? [RowBatch.fromRows(origin, s, rows)] : [], signal: new AbortController().signal };
}

/** The batch the core makes for rows that changed: every row's key deleted, then the rows written. */
function upsert(s: TableShape, rows: TextValue[][], extraDeletes: KeyText[] = []): ApplyBatch {
  const rb = RowBatch.fromRows('A', s, rows);
  return { shape: s, deletes: [...[...rb.rows()].map((row) => rb.keyOf(row)), ...extraDeletes], rows: [rb], signal: new AbortController().signal };
}

function open(mongo: MemoryMongo, options: MongoTargetOptions = {}, params: Record<string, string> = {}, transactional = false): MongoTargetSession<MemorySession> {
  return new MongoTargetSession<MemorySession>({
    name: 'm1', db: mongo, client: mongo, settings: settingsFor(resolveOptions(options), params), log: silentLogger, transactional,
  });
}

/** begin → apply each → commit, as the core drives a target. */
async function applyAll(session: MongoTargetSession<MemorySession>, ...batches: ApplyBatch[]) {
  await session.begin();
  const results = [];
  for (const b of batches) results.push(await session.apply(b));
  await session.commit();
  return results;
}

const byId = (docs: Array<Record<string, unknown>>) => [...docs].sort((a, b) => String(a._id).localeCompare(String(b._id), 'en', { numeric: true }));

const items = shape('items', [['id', 'integer'], ['name', 'text'], ['price', 'numeric(10,2)'], ['tags', 'text[]']], ['id']);

// ---------------------------------------------------------------------------------------------------

describe('inserts, updates and deletes', () => {
  it('inserts: one document per row, _id the key, every column converted', async () => {
    const mongo = new MemoryMongo();
    const session = open(mongo);
    const [result] = await applyAll(session, upsert(items, [['1', 'one', '1.50', '{a,b}'], ['2', 'two', null, '{}']]));
    expect(result).toEqual({ deleted: 0, inserted: 2, skipped: [] });
    expect(mongo.collectionNames()).toEqual(['items']);
    expect(byId(mongo.documents('items'))).toEqual([
      { _id: 1, id: 1, name: 'one', price: Decimal128.fromString('1.50'), tags: ['a', 'b'] },
      { _id: 2, id: 2, name: 'two', price: null, tags: [] },
    ]);
  });

  it('an update is a delete and an insert: the document is replaced whole', async () => {
    const mongo = new MemoryMongo();
    const session = open(mongo);
    await applyAll(session, upsert(items, [['1', 'one', '1.50', '{a}']]));
    const [result] = await applyAll(session, upsert(items, [['1', 'uno', null, null]]));
    expect(result).toEqual({ deleted: 1, inserted: 1, skipped: [] });
    expect(mongo.documents('items')).toEqual([{ _id: 1, id: 1, name: 'uno', price: null, tags: null }]);
  });

  it('deletes: a key without a row removes its document; a key that is not there is no error', async () => {
    const mongo = new MemoryMongo();
    const session = open(mongo);
    await applyAll(session, upsert(items, [['1', 'one', '1', '{}'], ['2', 'two', '2', '{}'], ['3', 'three', '3', '{}']]));
    const [result] = await applyAll(session, batch(items, ['2', '3', '99'], []));
    expect(result).toEqual({ deleted: 2, inserted: 0, skipped: [] });
    expect(mongo.documents('items').map((d) => d._id)).toEqual([1]);
  });

  it('a batch mixing inserts, updates and deletes, rows from two sources', async () => {
    const mongo = new MemoryMongo();
    const session = open(mongo);
    await applyAll(session, upsert(items, [['1', 'one', '1', '{}'], ['2', 'two', '2', '{}'], ['3', 'three', '3', '{}']]));
    const fromA = RowBatch.fromRows('A', items, [['2', 'two from A', '20', '{x}'], ['4', 'four', '4', '{}']]);
    const fromB = RowBatch.fromRows('B', items, [['5', 'five from B', '5', '{y}']]);
    const [result] = await applyAll(session, { shape: items, deletes: ['2', '3', '4', '5'], rows: [fromA, fromB], signal: new AbortController().signal });
    expect(result).toEqual({ deleted: 2, inserted: 3, skipped: [] });
    expect(byId(mongo.documents('items')).map((d) => [d._id, d.name])).toEqual([[1, 'one'], [2, 'two from A'], [4, 'four'], [5, 'five from B']]);
  });

  it('omitNulls leaves NULL columns out, and an update drops a field that became NULL', async () => {
    const mongo = new MemoryMongo();
    const session = open(mongo, { omitNulls: true });
    await applyAll(session, upsert(items, [['1', 'one', '1.50', '{a}']]));
    await applyAll(session, upsert(items, [['1', 'one', null, null]]));
    expect(mongo.documents('items')).toEqual([{ _id: 1, id: 1, name: 'one' }]);
    // the per-database parameter wins over the plugin option
    const other = new MemoryMongo();
    await applyAll(open(other, { omitNulls: true }, { omitNulls: 'false' }), upsert(items, [['1', 'one', null, null]]));
    expect(other.documents('items')).toEqual([{ _id: 1, id: 1, name: 'one', price: null, tags: null }]);
  });
});

describe('keys', () => {
  it('a composite key is an object of the key columns in key order (not column order)', async () => {
    const lines = shape('lines', [['order_id', 'bigint'], ['line', 'smallint'], ['region', 'text'], ['qty', 'integer']], ['region', 'order_id', 'line']);
    const mongo = new MemoryMongo();
    const session = open(mongo);
    await applyAll(session, upsert(lines, [['10', '1', 'eu', '5'], ['10', '2', 'eu', '6'], ['10', '1', 'us', '7']]));
    const docs = mongo.documents('lines');
    expect(docs).toHaveLength(3);
    for (const doc of docs) expect(Object.keys(doc._id as object)).toEqual(['region', 'order_id', 'line']);
    expect(mongo.findById('lines', { region: 'eu', order_id: 10, line: 2 })).toEqual({ _id: { region: 'eu', order_id: 10, line: 2 }, order_id: 10, line: 2, region: 'eu', qty: 6 });
    // delete one by its composite key (KeyText: parts in key order joined with NUL)
    const [result] = await applyAll(session, batch(lines, [encodeKey(['eu', '10', '1'])], []));
    expect(result!.deleted).toBe(1);
    expect(mongo.documents('lines').map((d) => d._id)).toEqual([{ region: 'eu', order_id: 10, line: 2 }, { region: 'us', order_id: 10, line: 1 }]);
  });

  it('key values of every kind: uuid, text with awkward characters, bigint past 2^53, timestamptz, bytea, numeric', async () => {
    const cases: Array<[string, string, unknown]> = [
      ['uuid', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', new UUID('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')],
      ['text', 'tab\tnew\nline "quoted" \\ back ☃', 'tab\tnew\nline "quoted" \\ back ☃'],
      ['bigint', '9007199254740993', Long.fromString('9007199254740993')],
      ['timestamp with time zone', '2024-01-02 03:04:05.678+00', new Date('2024-01-02T03:04:05.678Z')],
      ['bytea', '\\x00ff', new Binary(Buffer.from([0, 255]))],
      ['numeric', '12.5', Decimal128.fromString('12.5')],
    ];
    for (const [type, text, id] of cases) {
      const s = shape('k', [['k', type], ['v', 'text']], ['k']);
      const mongo = new MemoryMongo();
      const session = open(mongo);
      await applyAll(session, upsert(s, [[text, 'first']]));
      await applyAll(session, upsert(s, [[text, 'second']]));
      const docs = mongo.rawDocuments('k');
      expect(docs, type).toHaveLength(1);
      expect(idKey(docs[0]!._id), type).toBe(idKey(id));
      expect(docs[0]!.v, type).toBe('second');
      await applyAll(session, batch(s, [keyMaker([type])([text])], []));
      expect(mongo.documents('k'), type).toEqual([]);
    }
  });

  it('numeric keys use the canonical key (1.50 and 1.5 are one key), while the column keeps its scale', async () => {
    const s = shape('n', [['k', 'numeric(10,2)'], ['v', 'text']], ['k']);
    const mongo = new MemoryMongo();
    const session = open(mongo);
    await applyAll(session, upsert(s, [['1.50', 'x']]));
    const [doc] = mongo.rawDocuments('n');
    expect((doc!._id as Decimal128).toString()).toBe('1.5');
    expect((doc!.k as Decimal128).toString()).toBe('1.50');
    // the core names this key '1.5' in deletes: the same _id
    const [result] = await applyAll(session, batch(s, ['1.5'], []));
    expect(result!.deleted).toBe(1);
  });

  it('an array-typed key keeps its text in _id (MongoDB refuses arrays there); a column named _id must be the key', async () => {
    const s = shape('arr', [['k', 'integer[]'], ['v', 'text']], ['k']);
    const mongo = new MemoryMongo();
    await applyAll(open(mongo), upsert(s, [['{1,2}', 'x']]));
    expect(mongo.documents('arr')).toEqual([{ _id: '{1,2}', k: [1, 2], v: 'x' }]);

    const own = shape('own', [['_id', 'text'], ['v', 'text']], ['_id']);
    const m2 = new MemoryMongo();
    await applyAll(open(m2), upsert(own, [['abc', 'x']]));
    expect(m2.documents('own')).toEqual([{ _id: 'abc', v: 'x' }]);

    const clash = shape('clash', [['id', 'integer'], ['_id', 'text']], ['id']);
    await expect(applyAll(open(new MemoryMongo()), upsert(clash, [['1', 'x']]))).rejects.toMatchObject({ code: 'APPLY_FAILED', column: '_id' });
  });
});

describe('awkward values', () => {
  const odd = shape('odd', [
    ['id', 'integer'], ['t', 'text'], ['empty', 'text'], ['nul', 'text'], ['b', 'bytea'], ['j', 'jsonb'], ['f', 'double precision'],
    ['big', 'bigint'], ['ts', 'timestamp without time zone'], ['d', 'date'], ['flag', 'boolean'], ['grid', 'integer[]'], ['u', 'uuid'], ['iv', 'interval'],
  ], ['id']);
  const row: TextValue[] = [
    '1', 'tab\there\nnewline\r\\backslash "dq" \'sq\' ☃ 🦆', '', null, '\\x5c0a09', '{"nested": {"list": [1, "two", null]}, "tab": "\\t"}', 'NaN',
    '-9223372036854775808', '2024-02-29 12:00:00.5', '1999-12-31', 'f', '{{1,NULL},{3,4}}', '00000000-0000-0000-0000-000000000000', '1 day 02:00:00',
  ];

  it('survive COPY text decoding and BSON encoding exactly', async () => {
    const mongo = new MemoryMongo();
    await applyAll(open(mongo), upsert(odd, [row]));
    const [doc] = mongo.rawDocuments('odd');
    expect(doc!.t).toBe('tab\there\nnewline\r\\backslash "dq" \'sq\' ☃ 🦆');
    expect(doc!.empty).toBe('');
    expect(doc!.nul).toBeNull();
    expect([...(doc!.b as Binary).buffer]).toEqual([0x5c, 0x0a, 0x09]);
    expect(mongo.documents('odd')[0]!.j).toEqual({ nested: { list: [1, 'two', null] }, tab: '\t' });
    expect((doc!.f as Double).value).toBeNaN();
    expect(doc!.big).toEqual(Long.MIN_VALUE);
    expect(doc!.ts).toEqual(new Date('2024-02-29T12:00:00.500Z'));
    expect(doc!.d).toEqual(new Date('1999-12-31T00:00:00Z'));
    expect(doc!.flag).toBe(false);
    expect(doc!.grid).toEqual([[new Int32(1), null], [new Int32(3), new Int32(4)]]);
    expect((doc!.u as Binary).sub_type).toBe(4);
    expect(doc!.iv).toBe('1 day 02:00:00');
  });

  it('a value that cannot be converted fails the batch with APPLY_FAILED naming table, column and key', async () => {
    const s = shape('bad', [['id', 'integer'], ['j', 'json']], ['id']);
    await expect(applyAll(open(new MemoryMongo()), upsert(s, [['7', '{not json']]))).rejects.toMatchObject({ code: 'APPLY_FAILED', table: 'public.bad', column: 'j', key: '7' });
  });
});

describe('idempotence', () => {
  it('applying the same batch again gives the same documents', async () => {
    const mongo = new MemoryMongo();
    const session = open(mongo);
    const b = upsert(items, [['1', 'one', '1', '{a}'], ['2', 'two', '2', '{b}']], ['3']);
    await applyAll(session, upsert(items, [['3', 'three', '3', '{}']]));
    await applyAll(session, b);
    const once = mongo.rawDocuments('items');
    const [again] = await applyAll(session, b);
    expect(mongo.rawDocuments('items')).toEqual(once);
    expect(again).toEqual({ deleted: 2, inserted: 2, skipped: [] });
    expect(once.map((d) => d._id)).toEqual([new Int32(1), new Int32(2)]);
  });

  it('after a failure half-way through (no transactions), the replay of the batch repairs everything', async () => {
    const mongo = new MemoryMongo();
    const session = open(mongo, { chunkSize: 2 });
    await applyAll(session, upsert(items, [['1', 'old', '1', '{}'], ['2', 'old', '2', '{}'], ['9', 'doomed', '9', '{}']]));
    const b = upsert(items, [['1', 'new', '1', '{}'], ['2', 'new', '2', '{}'], ['3', 'new', '3', '{}'], ['4', 'new', '4', '{}']], ['9']);
    // deletes: 5 keys in chunks of 2 = 3 deleteMany models; then 4 replaceOne: fail on the 2nd replaceOne
    mongo.failAtModel(4);
    await session.begin();
    await expect(session.apply(b)).rejects.toBeInstanceOf(MemoryWriteError);
    await session.rollback();
    // not transactional: what was written stays written (documents 2, 3, 4 and 9 deleted, 1 rewritten)
    expect(mongo.documents('items').map((d) => [d._id, d.name])).toEqual([[1, 'new']]);
    await applyAll(session, b);
    expect(byId(mongo.documents('items')).map((d) => [d._id, d.name])).toEqual([[1, 'new'], [2, 'new'], [3, 'new'], [4, 'new']]);
  });
});

describe('chunking', () => {
  it('deletes go in deleteMany of at most chunkSize keys, then the rows; bulkWrite calls of at most chunkSize models, all ordered', async () => {
    const mongo = new MemoryMongo();
    const session = open(mongo, { chunkSize: 3 });
    const rows = Array.from({ length: 8 }, (_, i) => [String(i + 1), `r${i + 1}`, '1', '{}']);
    const b = upsert(items, rows, ['100', '101']); // 10 keys: 8 rows + 2 deletions
    const [result] = await applyAll(session, b);
    expect(result).toEqual({ deleted: 0, inserted: 8, skipped: [] });
    const calls = mongo.calls.filter((c) => c.method === 'bulkWrite');
    expect(calls.every((c) => c.ordered === true && c.collection === 'items')).toBe(true);
    const models = calls.flatMap((c) => c.models!);
    expect(calls.map((c) => c.models!.length)).toEqual([3, 3, 3, 3]); // 4 deleteMany + 8 replaceOne = 12 models
    const kinds = models.map((m) => Object.keys(m)[0]);
    expect(kinds).toEqual([...Array(4).fill('deleteMany'), ...Array(8).fill('replaceOne')]);
    const inLists = models.slice(0, 4).map((m) => ((m as { deleteMany: { filter: { _id: { $in: unknown[] } } } }).deleteMany.filter._id.$in));
    expect(inLists).toEqual([[1, 2, 3], [4, 5, 6], [7, 8, 100], [101]]);
    const replace = models[4] as { replaceOne: { filter: unknown; replacement: Record<string, unknown>; upsert: boolean } };
    expect(replace.replaceOne.filter).toEqual({ _id: 1 });
    expect(replace.replaceOne.upsert).toBe(true);
    expect(replace.replaceOne.replacement._id).toBe(1);
  });

  it('the default chunk is 1000, and a per-database chunkSize wins', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => [String(i), 'x', '1', '{}']);
    const mongo = new MemoryMongo();
    await applyAll(open(mongo), upsert(items, rows));
    // 3 deleteMany (1000, 1000, 500 keys) + 2500 replaceOne = 2503 models → 1000, 1000, 503
    expect(mongo.calls.map((c) => c.models!.length)).toEqual([1000, 1000, 503]);
    expect(mongo.documents('items')).toHaveLength(2500);
    const other = new MemoryMongo();
    await applyAll(open(other, { chunkSize: 1000 }, { chunkSize: '2000' }), upsert(items, rows));
    expect(other.calls.map((c) => c.models!.length)).toEqual([2000, 502]);
  });

  it('an empty batch writes nothing', async () => {
    const mongo = new MemoryMongo();
    const [result] = await applyAll(open(mongo), batch(items, [], []));
    expect(result).toEqual({ deleted: 0, inserted: 0, skipped: [] });
    expect(mongo.calls).toEqual([]);
  });

  it('stops between chunks when the run is aborted', async () => {
    const mongo = new MemoryMongo();
    const session = open(mongo, { chunkSize: 2 });
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const b = { ...upsert(items, [['1', 'x', '1', '{}']]), signal: controller.signal };
    await expect(session.apply(b)).rejects.toMatchObject({ code: 'RUN_ABORTED', db: 'm1' });
    expect(mongo.calls).toEqual([]);
  });
});

describe('collections', () => {
  it('default: the table name in public, schema.table elsewhere', async () => {
    const mongo = new MemoryMongo();
    const session = open(mongo);
    const sales = shape('orders', [['id', 'integer']], ['id'], 'sales');
    await applyAll(session, upsert(items, [['1', 'x', '1', '{}']]), upsert(sales, [['1']]));
    expect(mongo.collectionNames()).toEqual(['items', 'sales.orders']);
  });

  it('the plugin option maps tables, and the database parameter collections= wins', async () => {
    const sales = shape('orders', [['id', 'integer']], ['id'], 'sales');
    const mongo = new MemoryMongo();
    const session = open(mongo, { collections: { items: 'stock', 'sales.orders': 'o' } }, { collections: 'sales.orders:orders_2024' });
    await applyAll(session, upsert(items, [['1', 'x', '1', '{}']]), upsert(sales, [['1']]));
    expect(mongo.collectionNames()).toEqual(['orders_2024', 'stock']);
  });
});

describe('transactions', () => {
  it('hello: a replica set member or a mongos has transactions, a standalone server has not', async () => {
    expect(await serverHasTransactions(new MemoryMongo())).toBe(false);
    expect(await serverHasTransactions(new MemoryMongo('shop', { replicaSet: 'rs0' }))).toBe(true);
    expect(await serverHasTransactions({ command: async () => ({ msg: 'isdbgrid', ok: 1 }) })).toBe(true);
  });

  it('with transactions, every write of a batch carries the session, and rollback undoes the batch', async () => {
    const mongo = new MemoryMongo('shop', { replicaSet: 'rs0' });
    const session = open(mongo, { chunkSize: 2 }, {}, true);
    await applyAll(session, upsert(items, [['1', 'kept', '1', '{}']]));
    const committed = mongo.rawDocuments('items');

    await session.begin();
    await session.apply(upsert(items, [['1', 'changed', '1', '{}'], ['2', 'new', '2', '{}']]));
    await session.truncate({ table: { schema: 'public', name: 'items' } });
    expect(mongo.documents('items')).toEqual([]);
    await session.rollback();
    expect(mongo.rawDocuments('items')).toEqual(committed);

    const writes = mongo.calls;
    expect(writes.length).toBeGreaterThan(2);
    expect(writes.every((call) => call.session !== undefined)).toBe(true);
    const sessions = new Set(writes.map((call) => call.session));
    expect(sessions.size).toBe(2);
    for (const s of sessions) expect(s!.ended).toBe(true);
    expect([...sessions].map((s) => s!.outcomes)).toEqual([['commit'], ['abort']]);
  });

  it('with transactions, a failure half-way through leaves nothing once rolled back', async () => {
    const mongo = new MemoryMongo('shop', { replicaSet: 'rs0' });
    const session = open(mongo, { chunkSize: 1 }, {}, true);
    mongo.failAtModel(3);
    await session.begin();
    await expect(session.apply(upsert(items, [['1', 'a', '1', '{}'], ['2', 'b', '2', '{}']]))).rejects.toBeInstanceOf(MemoryWriteError);
    await session.rollback();
    expect(mongo.documents('items')).toEqual([]);
  });

  it('without transactions, writes carry no session and take effect at once', async () => {
    const mongo = new MemoryMongo();
    const session = open(mongo);
    await session.begin();
    await session.apply(upsert(items, [['1', 'a', '1', '{}']]));
    expect(mongo.documents('items')).toHaveLength(1);
    await session.rollback();
    expect(mongo.documents('items')).toHaveLength(1); // nothing to undo: replay is what repairs
    expect(mongo.calls.every((call) => call.session === undefined)).toBe(true);
  });

  it('close() aborts an open transaction', async () => {
    const mongo = new MemoryMongo('shop', { replicaSet: 'rs0' });
    const session = open(mongo, {}, {}, true);
    await session.begin();
    await session.apply(upsert(items, [['1', 'a', '1', '{}']]));
    await session.close();
    expect(mongo.documents('items')).toEqual([]);
  });
});

describe('opening a session (MongoTarget with a connector)', () => {
  function recordingLog() {
    const lines: Array<[string, string]> = [];
    const log: Logger = { log: (level, message) => void lines.push([level, message]), child: () => log };
    return { log, lines };
  }
  const spec = (name: string, params: Record<string, string> = {}) => ({ name, type: 'mongo', params: { dbname: 'shop', ...params } });

  it('a standalone server: says once, at level normal, that writes are not transactional', async () => {
    const mongo = new MemoryMongo();
    let closed = 0;
    const target = new MongoTarget<MemorySession>(resolveOptions(), async () => ({ db: mongo, client: mongo, close: async () => void closed++ }));
    const { log, lines } = recordingLog();
    const first = await target.open(spec('m1'), { log, label: 't' });
    const second = await target.open(spec('m1'), { log, label: 't' });
    expect(first.transactional).toBe(false);
    expect(lines).toEqual([['normal', expect.stringMatching(/"m1" is a standalone server.*not transactional.*idempotent/)]]);
    await first.close();
    await first.close();
    await second.close();
    expect(closed).toBe(2);
  });

  it('a replica set: a transaction per batch; the option transactions: false turns them off', async () => {
    const mongo = new MemoryMongo('shop', { replicaSet: 'rs0' });
    const connector = async () => ({ db: mongo, client: mongo, close: async () => undefined });
    const { log, lines } = recordingLog();
    expect((await new MongoTarget<MemorySession>(resolveOptions(), connector).open(spec('m1'), { log, label: 't' })).transactional).toBe(true);
    expect(lines).toEqual([['verbose', expect.stringContaining('one transaction per batch')]]);
    const off = await new MongoTarget<MemorySession>(resolveOptions({ transactions: false }), connector).open(spec('m2'), { log, label: 't' });
    expect(off.transactional).toBe(false);
    expect(lines[1]).toEqual(['normal', expect.stringContaining('transactions are turned off')]);
  });

  it('the per-database parameters reach the session', async () => {
    const mongo = new MemoryMongo();
    const target = new MongoTarget<MemorySession>(resolveOptions(), async () => ({ db: mongo, client: mongo, close: async () => undefined }));
    const session = await target.open(spec('m1', { collections: 'items:stock', chunkSize: '1', omitNulls: 'true' }), { log: silentLogger, label: 't' });
    await applyAll(session, upsert(items, [['1', 'x', null, null], ['2', 'y', null, null]]));
    expect(mongo.documents('stock')).toEqual([{ _id: 1, id: 1, name: 'x' }, { _id: 2, id: 2, name: 'y' }]);
    expect(mongo.calls.every((call) => call.models!.length === 1)).toBe(true);
  });

  it('a failure after connecting (hello) closes the connection and is CONNECTION_FAILED naming the database', async () => {
    let closed = false;
    const broken = { databaseName: 'shop', collection: () => { throw new Error('unused'); }, command: async () => { throw new Error('not authorized'); } };
    const target = new MongoTarget(resolveOptions(), async () => ({ db: broken, client: { startSession: () => { throw new Error('unused'); } }, close: async () => void (closed = true) }));
    await expect(target.open(spec('m3'), { log: silentLogger, label: 't' })).rejects.toMatchObject({ code: 'CONNECTION_FAILED', db: 'm3' });
    expect(closed).toBe(true);
  });
});

describe('truncate', () => {
  it('empties the collection (deleteMany {}) and reports the count; other collections are untouched', async () => {
    const mongo = new MemoryMongo();
    const session = open(mongo);
    const other = shape('other', [['id', 'integer']], ['id']);
    await applyAll(session, upsert(items, [['1', 'a', '1', '{}'], ['2', 'b', '2', '{}']]), upsert(other, [['1']]));
    expect(await session.truncate({ table: { schema: 'public', name: 'items' } })).toBe(2);
    expect(mongo.calls.at(-1)).toMatchObject({ method: 'deleteMany', filter: {}, collection: 'items' });
    expect(mongo.documents('items')).toEqual([]);
    expect(mongo.documents('other')).toHaveLength(1);
    // a full copy: truncate, then every row
    await session.begin();
    await session.truncate({ table: { schema: 'public', name: 'items' } });
    await session.apply(upsert(items, [['5', 'e', '5', '{}']]));
    await session.commit();
    expect(mongo.documents('items').map((d) => d._id)).toEqual([5]);
  });
});

describe('the in-memory database has the semantics the writer relies on', () => {
  it('_id is unique: insertOne of an existing _id fails with E11000 and an ordered bulk stops there', async () => {
    const mongo = new MemoryMongo();
    const c = mongo.collection('c');
    await c.bulkWrite([{ replaceOne: { filter: { _id: 1 }, replacement: { v: 'a' }, upsert: true } }], { ordered: true });
    const models = [
      { insertOne: { document: { _id: 2, v: 'b' } } },
      { insertOne: { document: { _id: new Double(1), v: 'dup' } } }, // 1.0 and 1 are one _id
      { insertOne: { document: { _id: 3, v: 'never' } } },
    ] as never;
    await expect(c.bulkWrite(models, { ordered: true })).rejects.toMatchObject({ code: 11000, applied: 1 });
    expect(mongo.documents('c').map((d) => d._id)).toEqual([1, 2]);
  });

  it('upsert by _id replaces, and equal _ids compare as MongoDB does (numbers by value, documents in field order)', async () => {
    const mongo = new MemoryMongo();
    const c = mongo.collection('c');
    const put = (id: unknown, v: string) => c.bulkWrite([{ replaceOne: { filter: { _id: id }, replacement: { v }, upsert: true } }], { ordered: true });
    expect(await put(Long.fromNumber(7), 'long')).toMatchObject({ upsertedCount: 1 });
    expect(await put(7, 'int')).toMatchObject({ matchedCount: 1, modifiedCount: 1, upsertedCount: 0 });
    expect(await put(Decimal128.fromString('7.00'), 'decimal')).toMatchObject({ matchedCount: 1 });
    expect(await put({ a: 1, b: 2 }, 'ab')).toMatchObject({ upsertedCount: 1 });
    expect(await put({ b: 2, a: 1 }, 'ba')).toMatchObject({ upsertedCount: 1 });
    expect(await put({ a: 1, b: 2 }, 'ab')).toMatchObject({ matchedCount: 1, modifiedCount: 0 });
    expect(mongo.documents('c')).toEqual([{ _id: 7, v: 'decimal' }, { _id: { a: 1, b: 2 }, v: 'ab' }, { _id: { b: 2, a: 1 }, v: 'ba' }]);
    await expect(c.bulkWrite([{ replaceOne: { filter: { _id: 7 }, replacement: { _id: 8, v: 'x' }, upsert: true } }], { ordered: true })).rejects.toMatchObject({ code: 66 });
    await expect(put([1, 2], 'array')).rejects.toMatchObject({ code: 53 });
    expect(await c.bulkWrite([{ replaceOne: { filter: { _id: 99 }, replacement: { v: 'x' }, upsert: false } }], { ordered: true })).toMatchObject({ matchedCount: 0, upsertedCount: 0 });
  });

  it('deleteMany by $in and {}; other filters are refused', async () => {
    const mongo = new MemoryMongo();
    const c = mongo.collection('c');
    for (const id of [1, 2, 3]) await c.bulkWrite([{ replaceOne: { filter: { _id: id }, replacement: {}, upsert: true } }], { ordered: true });
    expect(await c.bulkWrite([{ deleteMany: { filter: { _id: { $in: [1, 2, 42] } } } }], { ordered: true })).toMatchObject({ deletedCount: 2 });
    expect(await c.deleteMany({})).toEqual({ deletedCount: 1 });
    await expect(c.deleteMany({ v: 1 })).rejects.toThrow('modelled');
    await expect(c.bulkWrite([{ deleteMany: { filter: { _id: { $nin: [1] } } } }], { ordered: true })).rejects.toThrow('modelled');
  });

  it('a DocumentMaker _id equals, as MongoDB compares, the _id of the same key written another way', () => {
    const maker = new DocumentMaker(shape('t', [['k', 'bigint'], ['v', 'text']], ['k']), { omitNulls: false });
    expect(idKey(maker.idOf('42'))).toBe(idKey(new Int32(42)));
    expect(idKey(maker.idOf('9007199254740993'))).toBe(idKey(Long.fromString('9007199254740993')));
  });
});

describe('two tables that would share a collection', () => {
  const run = (tables: Array<{ schema: string; name: string }>) => ({ sync: 's1', runId: '7', startedAt: new Date(), tables });

  it('refuses the run before anything is written, naming both tables, the collection and the database', async () => {
    const mongo = new MemoryMongo();
    // a public table named "a.b" and table b of schema a both default to collection "a.b"
    const dotted = open(mongo);
    const error = await dotted.beginRun(run([{ schema: 'public', name: 'items' }, { schema: 'public', name: 'a.b' }, { schema: 'a', name: 'b' }])).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'SYNC_INVALID', db: 'm1', sync: 's1', table: 'a.b', item: 'a.b' });
    expect((error as Error).message).toBe('Tables public."a.b" and a.b of sync "s1" would both go to collection "a.b" of MongoDB database "m1", where their documents (keyed by the row\'s key alone) would overwrite each other: give one another collection (collections=…)');
    // two tables sent to one collection, by the plugin's option or by the database's parameter
    await expect(open(mongo, { collections: { items: 'stock', 'sales.orders': 'stock' } }).beginRun(run([{ schema: 'public', name: 'items' }, { schema: 'sales', name: 'orders' }])))
      .rejects.toMatchObject({ code: 'SYNC_INVALID', item: 'stock' });
    await expect(open(mongo, {}, { collections: 'orders:items' }).beginRun(run([{ schema: 'public', name: 'items' }, { schema: 'public', name: 'orders' }])))
      .rejects.toMatchObject({ code: 'SYNC_INVALID', table: 'public.orders', item: 'items' });
    expect(mongo.collectionNames()).toEqual([]);
  });

  it('lets a run whose tables go to collections of their own begin (and one without tables, from an older core)', async () => {
    const mongo = new MemoryMongo();
    const session = open(mongo, { collections: { 'a.b': 'a_b' } });
    await expect(session.beginRun(run([{ schema: 'public', name: 'a.b' }, { schema: 'a', name: 'b' }, { schema: 'public', name: 'A' }, { schema: 'public', name: 'a' }]))).resolves.toBeUndefined();
    await expect(session.beginRun({ sync: 's1', runId: '8', startedAt: new Date() })).resolves.toBeUndefined();
  });
});
