/**
 * End to end against a real MongoDB: a sync from two PostgreSQL sources into MongoDB, with inserts,
 * updates, deletes and conflicts, every document compared with its row by key; plus the writer's
 * operations checked against the server itself (the same semantics the in-memory database of
 * writer.test.ts models).
 *
 * MongoDB comes from BUCARDO_TEST_MONGO_URL (any mongodb:// URL; the test makes and drops its own
 * database there), else from testcontainers' MongoDB module when a Docker engine answers (a single-node
 * replica set, so batches run in transactions), else the suite is reported as skipped with the reason.
 * No mongod binary can be installed on the project's machines (see DESIGN.md §7).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Binary, Decimal128, Double, Long, MongoClient, UUID, type Document } from 'mongodb';
import { Bucardo } from '@bucardo/core';
import { standardPlugins } from '@bucardo/cli';
import { createDatabase, dropDatabase, serverFromInfo, uniqueName, withClient } from '@bucardo/test';
import { dockerAvailable } from '@bucardo/test/fixtures/docker-probe.js';
import { definePlugin, RowBatch, silentLogger, type BucardoPlugin, type ColumnInfo, type RunReport, type TableShape } from '@bucardo/plugin-sdk';
import { describeConnection, normalizeParams } from '../src/connection-params.js';
import { idKey, MemoryMongo, type MemorySession } from './support/memory-mongo.js';
import { MongoTarget } from '../src/mongo-target.js';
import { resolveOptions } from '../src/mongodb-options.js';

// ---------------------------------------------------------------------------------------------------
// where MongoDB comes from

interface MongoServer {
  readonly url: string;
  readonly source: 'env' | 'docker';
  stop(): Promise<void>;
}

interface StartedMongoContainer { getConnectionString(): string; stop(): Promise<unknown> }
interface MongoContainerModule {
  MongoDBContainer: new (image: string) => { withStartupTimeout(ms: number): { start(): Promise<StartedMongoContainer> } };
}

const envUrl = process.env.BUCARDO_TEST_MONGO_URL;
const docker = envUrl === undefined && process.env.BUCARDO_TEST_NO_DOCKER !== '1' && await dockerAvailable(3000);
const available = envUrl !== undefined || docker;
const title = envUrl !== undefined
  ? 'MongoDB end to end (BUCARDO_TEST_MONGO_URL)'
  : docker
    ? 'MongoDB end to end (testcontainers)'
    : 'skipped: no MongoDB (set BUCARDO_TEST_MONGO_URL or run a Docker engine)';
if (!available) console.warn(`[mongo-e2e] ${title}`);

async function startMongo(): Promise<MongoServer> {
  if (envUrl !== undefined) return { url: envUrl, source: 'env', stop: async () => undefined };
  const MODULE = '@testcontainers/mongodb';
  const { MongoDBContainer } = (await import(/* @vite-ignore */ MODULE)) as MongoContainerModule;
  const container = await new MongoDBContainer(process.env.BUCARDO_TEST_MONGO_IMAGE ?? 'mongo:8').withStartupTimeout(120_000).start();
  // the replica set's member is known by its container host name: connect to it directly
  return { url: `${container.getConnectionString()}/?directConnection=true`, source: 'docker', stop: async () => void (await container.stop()) };
}

// ---------------------------------------------------------------------------------------------------

/** Where the documents go, and how the test reads them back. */
interface Backend {
  /** Plugins for the Bucardo instance (the standard set, or it with the `mongo` type replaced). */
  plugins(): BucardoPlugin[];
  /** `bucardo add db m …` parameters. */
  params(): Record<string, string>;
  /** A collection's documents as the driver returns them, in `_id` order. */
  documents(collection: string): Promise<Document[]>;
  /** One document with every BSON type kept (no promotion to JavaScript numbers). */
  raw(collection: string, id: unknown): Promise<Document | null>;
}

/**
 * The sync scenario: two PostgreSQL sources and a MongoDB target; inserts, updates, deletes and conflicts
 * on both sources; after every run, each table on both sources equals, and each row matches its document.
 */
function syncScenario(backend: () => Backend, tag: string): void {
  const pg = serverFromInfo(inject('pg'));
  const control = uniqueName(`${tag}_ctl`);
  const sources = { a: uniqueName(`${tag}_a`), b: uniqueName(`${tag}_b`) };
  let bucardo: Bucardo;

  const sql = (db: 'a' | 'b', text: string, params: unknown[] = []) => withClient(pg.url(sources[db]), (c) => c.query(text, params));

  const schema = `
    CREATE SCHEMA shop;
    CREATE TABLE items (
      id integer PRIMARY KEY, name text, price numeric(10,2), tags text[], meta jsonb, updated timestamptz, photo bytea,
      big bigint, ratio double precision, active boolean, day date, uid uuid, grid integer[]
    );
    CREATE TABLE shop.lines (order_id bigint, line integer, qty integer, note text, PRIMARY KEY (order_id, line));`;

  beforeAll(async () => {
    for (const db of Object.values(sources)) {
      await createDatabase(pg, db);
      await withClient(pg.url(db), (c) => c.query(schema));
    }
    bucardo = await Bucardo.open({
      plugins: backend().plugins(),
      control: { dbname: control, host: pg.host, port: pg.port, user: pg.user, password: pg.password },
      logLevel: 'warn',
    });
    await bucardo.install();
    for (const [name, db] of Object.entries(sources)) {
      await bucardo.addDatabase(name, { dbname: db, host: pg.host, port: String(pg.port), user: pg.user, pass: pg.password });
    }
    // not forced: add db pings the server
    await bucardo.addDatabase('m', { type: 'mongo', ...backend().params() });
    await bucardo.addTables(['items', 'shop.lines'], { herd: 'h', db: 'a' });
    await bucardo.addDbGroup('g', ['a:source', 'b:source', 'm:target']);
    await bucardo.addSync('s', { herd: 'h', dbs: 'g', autokick: 'false' });
  });

  afterAll(async () => {
    await bucardo?.close();
    for (const db of [...Object.values(sources), control]) await dropDatabase(pg, db);
  });

  async function run(): Promise<RunReport> {
    const report = await bucardo.runSync('s');
    expect(report.outcome, JSON.stringify(report.error ?? null)).toMatch(/^(good|empty)$/);
    return report;
  }

  /**
   * Every row of the table on both sources equals (as text) and matches its document by key, and the
   * collection has no other document.
   */
  async function expectConverged(table: string, collection: string, keyColumns: string[]): Promise<number> {
    const columns = (await sql('a', `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, [table])).rows as ColumnInfo[];
    const select = `SET TimeZone = 'UTC'; SET extra_float_digits = 3; SET bytea_output = 'hex';
      SELECT ${columns.map((c) => (c.type.endsWith('[]') || c.type === 'jsonb' ? `to_jsonb(${c.name})::text` : `${c.name}::text`) + ` AS ${c.name}`).join(', ')}
      FROM ${table} ORDER BY ${keyColumns.join(', ')}`;
    const rowsOf = async (db: 'a' | 'b') => {
      const results = await sql(db, select) as unknown as Array<{ rows: Array<Record<string, string | null>> }>;
      return results.at(-1)!.rows;
    };
    const rows = await rowsOf('a');
    expect(await rowsOf('b'), `${table} on a and b`).toEqual(rows);
    const documents = await backend().documents(collection);
    expect(documents.length, `documents in ${collection}`).toBe(rows.length);
    const byId = new Map(documents.map((doc) => [JSON.stringify(idText(doc._id)), doc]));
    for (const row of rows) {
      const id = keyColumns.length === 1 ? row[keyColumns[0]!] : Object.fromEntries(keyColumns.map((k) => [k, row[k]]));
      const doc = byId.get(JSON.stringify(id));
      expect(doc, `document for ${JSON.stringify(id)} in ${collection}`).toBeDefined();
      expect(Object.keys(doc!).sort(), `fields of ${collection} ${JSON.stringify(id)}`).toEqual(['_id', ...columns.map((c) => c.name)].sort());
      for (const column of columns) {
        expect(valueText(doc![column.name], column.type), `${collection} ${JSON.stringify(id)} .${column.name}`).toEqual(pgText(row[column.name] ?? null, column.type));
      }
    }
    return rows.length;
  }

  it('the database is a target only', async () => {
    const listed = (await bucardo.listDatabases()).find((db) => db.name === 'm');
    expect(listed?.type).toBe('mongo');
    expect(listed?.connection).toMatch(/^mongo mongodb/);
    await expect(bucardo.addDbGroup('g2', ['m:source', 'a:target'])).rejects.toMatchObject({ code: 'DB_ROLE_UNSUPPORTED', db: 'm' });
  });

  it('inserts on both sources arrive as documents, every type mapped', async () => {
    await sql('a', `INSERT INTO items VALUES
      (1, 'one', 1.50, '{a,"b c",NULL}', '{"k": {"n": [1, 2]}, "s": "x"}', '2024-02-29 12:34:56.789+00', '\\x00ff', 9007199254740993, 0.1, true, '2024-02-29', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{{1,2},{3,NULL}}'),
      (2, E'tab\\there\\nnew line \\\\ "q" ☃', NULL, '{}', '[1, "two", null]', NULL, '\\x', -5, 'NaN', false, NULL, NULL, NULL),
      (3, '', 0, NULL, 'null', '1999-12-31 23:59:59+00', NULL, 42, '-Infinity', NULL, '0044-03-15 BC', NULL, '{}')`);
    await sql('b', `INSERT INTO items (id, name, price) VALUES (10, 'ten from b', 10.00), (11, 'eleven from b', 11.11)`);
    await sql('a', `INSERT INTO shop.lines VALUES (100, 1, 5, 'first'), (100, 2, 6, NULL)`);
    await sql('b', `INSERT INTO shop.lines VALUES (200, 1, 7, 'from b')`);
    await run();
    expect(await expectConverged('items', 'items', ['id'])).toBe(5);
    expect(await expectConverged('shop.lines', 'shop.lines', ['order_id', 'line'])).toBe(3);
    const one = await backend().raw('items', 1);
    expect(one?.price).toBeInstanceOf(Decimal128);
    expect((one?.price as Decimal128).toString()).toBe('1.50');
    expect(one?.big).toBeInstanceOf(Long);
    expect(one?.ratio).toBeInstanceOf(Double);
    expect(one?.photo).toBeInstanceOf(Binary);
    expect((one?.uid as Binary).sub_type).toBe(4);
    expect(one?.updated).toEqual(new Date('2024-02-29T12:34:56.789Z'));
    const two = (await backend().documents('items')).find((doc) => doc._id === 2);
    expect(two?.name).toBe('tab\there\nnew line \\ "q" ☃');
    const lines = await backend().documents('shop.lines');
    expect(lines.find((doc) => (doc._id as { line: number }).line === 2)).toEqual({ _id: { order_id: 100, line: 2 }, order_id: 100, line: 2, qty: 6, note: null });
  });

  it('updates, deletes and a key change on either source', async () => {
    await sql('a', `UPDATE items SET name = 'one, changed', price = 2.25, tags = '{z}' WHERE id = 1`);
    await sql('b', `UPDATE items SET name = 'ten, changed on b', uid = gen_random_uuid() WHERE id = 10`);
    await sql('a', `DELETE FROM items WHERE id = 3`);
    await sql('b', `DELETE FROM items WHERE id = 11`);
    await sql('b', `UPDATE shop.lines SET qty = qty + 100 WHERE order_id = 100 AND line = 1`);
    await sql('a', `DELETE FROM shop.lines WHERE order_id = 200`);
    await sql('a', `UPDATE items SET id = 4 WHERE id = 2`); // a key change: delete 2, insert 4
    await run();
    expect(await expectConverged('items', 'items', ['id'])).toBe(3);
    expect(await expectConverged('shop.lines', 'shop.lines', ['order_id', 'line'])).toBe(2);
    expect((await backend().documents('items')).map((doc) => doc._id)).toEqual([1, 4, 10]);
  });

  it('conflicts: the same keys changed on both sources; MongoDB gets the winner (latest)', async () => {
    await sql('a', `UPDATE items SET name = 'one on a' WHERE id = 1`);
    await sql('a', `INSERT INTO items (id, name) VALUES (50, 'fifty on a')`);
    await sql('b', `DELETE FROM items WHERE id = 4`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await sql('b', `UPDATE items SET name = 'one on b, later' WHERE id = 1`);
    await sql('b', `INSERT INTO items (id, name) VALUES (50, 'fifty on b, later')`);
    await sql('a', `UPDATE items SET name = 'four on a, after the delete on b' WHERE id = 4`);
    const report = await run();
    expect(report.outcome).toBe('good');
    expect(await expectConverged('items', 'items', ['id'])).toBe(4);
    const names = (await backend().documents('items')).map((doc) => [doc._id, doc.name]);
    expect(names).toEqual([[1, 'one on b, later'], [4, 'four on a, after the delete on b'], [10, 'ten, changed on b'], [50, 'fifty on b, later']]);
    expect((await bucardo.listConflicts({ sync: 's' })).length).toBeGreaterThanOrEqual(3);
  });

  it('a run without changes changes nothing', async () => {
    const before = await backend().documents('items');
    await run();
    expect(await backend().documents('items')).toEqual(before);
  });
}

// ---------------------------------------------------------------------------------------------------
// every run: the scenario through the core into the in-memory database, behind the same ports

describe('sync into MongoDB, every run: the in-memory stand-in behind the driver ports', () => {
  const memory = new MemoryMongo('shop', { replicaSet: 'rs0' });
  const memoryPlugin = definePlugin({
    name: 'target-mongodb',
    apply(host) {
      host.registerDatabase({
        type: 'mongo',
        aliases: ['mongodb'],
        normalizeParams,
        describe: describeConnection,
        async ping() {},
        // the real writer and its settings, connected to the in-memory database instead of a server
        target: new MongoTarget<MemorySession>(resolveOptions(), async () => ({ db: memory, client: memory, close: async () => undefined })),
      });
    },
  });
  const sortById = (docs: Document[]) => docs.sort((x, y) => idKey(x._id).localeCompare(idKey(y._id), 'en', { numeric: true }));
  syncScenario(() => ({
    plugins: () => [memoryPlugin, ...standardPlugins().filter((plugin) => plugin.name !== memoryPlugin.name)],
    params: () => ({ dbname: 'shop', host: 'nowhere.invalid' }),
    documents: async (collection) => sortById(memory.documents(collection)),
    raw: async (collection, id) => memory.rawDocuments(collection).find((doc) => idKey(doc._id) === idKey(id)) ?? null,
  }), 'mmem');
});

// ---------------------------------------------------------------------------------------------------
// a real server, when one is reachable

describe.skipIf(!available)(title, () => {
  const mongoDb = uniqueName('bucardo_e2e').slice(0, 50);
  let mongo: MongoServer;
  let client: MongoClient;

  beforeAll(async () => {
    mongo = await startMongo();
    client = new MongoClient(mongo.url, { serverSelectionTimeoutMS: 10_000 });
    await client.connect();
  });

  afterAll(async () => {
    await client?.db(mongoDb).dropDatabase().catch(() => undefined);
    await client?.db(`${mongoDb}_w`).dropDatabase().catch(() => undefined);
    await client?.close();
    await mongo?.stop();
  });

  describe('the sync', () => {
    syncScenario(() => ({
      plugins: () => standardPlugins(),
      params: () => ({ url: mongo.url, dbname: mongoDb }),
      documents: (collection) => client.db(mongoDb).collection(collection).find().sort({ _id: 1 }).toArray(),
      raw: (collection, id) => client.db(mongoDb).collection(collection).findOne({ _id: id } as Document, { promoteValues: false }),
    }), 'mreal');
  });

  describe('the writer against the server itself', () => {
    const writerDb = `${mongoDb}_w`;
    const shape: TableShape = {
      table: { schema: 'public', name: 'w' },
      columns: [{ name: 'k1', type: 'text' }, { name: 'k2', type: 'integer' }, { name: 'v', type: 'numeric' }],
      key: [{ name: 'k1', type: 'text' }, { name: 'k2', type: 'integer' }],
      keySource: 'primary key',
    };
    const spec = () => ({ name: 'mw', type: 'mongo', params: { url: mongo.url, dbname: writerDb, chunkSize: '2' } });
    const open = () => new MongoTarget(resolveOptions()).open(spec(), { log: silentLogger, label: 'mongo-e2e' });
    const rows = (list: Array<[string, string, string]>) => RowBatch.fromRows('A', shape, list);
    const keys = (list: Array<[string, string]>) => list.map(([a, b]) => `${a}\u0000${b}`);

    it('replays a batch idempotently, deletes by composite _id, and truncates', async () => {
      const session = await open();
      try {
        const batch = { shape, deletes: keys([['a', '1'], ['a', '2'], ['b', '1'], ['gone', '9']]), rows: [rows([['a', '1', '1.50'], ['a', '2', '2'], ['b', '1', '3']])], signal: new AbortController().signal };
        for (let i = 0; i < 2; i++) {
          await session.begin(new AbortController().signal);
          const result = await session.apply(batch);
          await session.commit();
          expect(result).toEqual({ deleted: i === 0 ? 0 : 3, inserted: 3, skipped: [] });
        }
        const docs = await client.db(writerDb).collection('w').find().sort({ '_id.k1': 1, '_id.k2': 1 }).toArray();
        expect(docs.map((d) => d._id)).toEqual([{ k1: 'a', k2: 1 }, { k1: 'a', k2: 2 }, { k1: 'b', k2: 1 }]);
        expect((docs[0]!.v as Decimal128).toString()).toBe('1.50');
        await session.begin(new AbortController().signal);
        await session.apply({ ...batch, deletes: keys([['a', '2']]), rows: [] });
        await session.commit();
        expect(await client.db(writerDb).collection('w').countDocuments()).toBe(2);
        expect(await session.truncate(shape)).toBe(2);
        expect(await client.db(writerDb).collection('w').countDocuments()).toBe(0);
      } finally {
        await session.close();
      }
    });

    it('with a replica set, rollback undoes the batch', async (ctx) => {
      const session = await open();
      try {
        if (!session.transactional) ctx.skip();
        await session.begin(new AbortController().signal);
        await session.apply({ shape, deletes: keys([['x', '1']]), rows: [rows([['x', '1', '1']])], signal: new AbortController().signal });
        await session.rollback();
        expect(await client.db(writerDb).collection('w').countDocuments({ _id: { k1: 'x', k2: 1 } } as Document)).toBe(0);
      } finally {
        await session.close();
      }
    });

    it('the server has the semantics the in-memory database models', async () => {
      const c = client.db(writerDb).collection('semantics');
      await c.deleteMany({});
      // numbers are one _id by value whatever their BSON type; documents compare field by field in order
      await c.bulkWrite([{ replaceOne: { filter: { _id: Long.fromNumber(7) }, replacement: { v: 'long' }, upsert: true } }] as never, { ordered: true });
      expect(await c.bulkWrite([{ replaceOne: { filter: { _id: 7 }, replacement: { v: 'int' }, upsert: true } }] as never, { ordered: true })).toMatchObject({ matchedCount: 1, upsertedCount: 0 });
      expect(await c.bulkWrite([{ replaceOne: { filter: { _id: Decimal128.fromString('7.00') }, replacement: { v: 'dec' }, upsert: true } }] as never, { ordered: true })).toMatchObject({ matchedCount: 1 });
      await c.bulkWrite([{ replaceOne: { filter: { _id: { a: 1, b: 2 } }, replacement: { v: 'ab' }, upsert: true } }] as never, { ordered: true });
      expect(await c.bulkWrite([{ replaceOne: { filter: { _id: { b: 2, a: 1 } }, replacement: { v: 'ba' }, upsert: true } }] as never, { ordered: true })).toMatchObject({ upsertedCount: 1 });
      expect(await c.countDocuments()).toBe(3);
      // ordered bulk writes stop at the first error; _id is unique
      await expect(c.bulkWrite([{ insertOne: { document: { _id: 8 } } }, { insertOne: { document: { _id: 7 } } }, { insertOne: { document: { _id: 9 } } }] as never, { ordered: true }))
        .rejects.toMatchObject({ code: 11000 });
      expect(await c.countDocuments({ _id: { $in: [8, 9] } } as Document)).toBe(1);
      // deleteMany by $in
      expect(await c.bulkWrite([{ deleteMany: { filter: { _id: { $in: [7, 8, 42] } } } }] as never, { ordered: true })).toMatchObject({ deletedCount: 2 });
      // a UUID _id
      const uuid = new UUID();
      await c.bulkWrite([{ replaceOne: { filter: { _id: uuid }, replacement: { v: 'u' }, upsert: true } }] as never, { ordered: true });
      expect(await c.countDocuments({ _id: uuid } as Document)).toBe(1);
    });
  });
});

// ---------------------------------------------------------------------------------------------------
// comparing a document's values with the row's text, independently of the writer's own mapping

function idText(id: unknown): unknown {
  if (id !== null && typeof id === 'object' && !(id instanceof Date) && !isBsonValue(id)) {
    return Object.fromEntries(Object.entries(id as Record<string, unknown>).map(([k, v]) => [k, plainText(v)]));
  }
  return plainText(id);
}

function isBsonValue(value: object): boolean {
  return '_bsontype' in value;
}

function plainText(value: unknown): string {
  if (value instanceof Long || value instanceof Decimal128) return value.toString();
  return String(value);
}

/** A document value in a comparable form. */
function valueText(value: unknown, type: string): unknown {
  if (value === null || value === undefined) return null;
  if (type.endsWith('[]') || type === 'jsonb') return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (v instanceof Date ? v.toISOString() : v)));
  if (type === 'boolean') return value ? 'true' : 'false'; // boolean::text, unlike boolout, spells the words
  if (type === 'bytea') return `\\x${Buffer.from((value as Binary).buffer).toString('hex')}`;
  if (type === 'uuid') return Buffer.from((value as Binary).buffer).toString('hex');
  if (type === 'double precision') return String(value);
  if (value instanceof Date) return value.getTime();
  if (value instanceof Long || value instanceof Decimal128) return value.toString();
  return String(value);
}

/** A PostgreSQL text value in the same comparable form. */
function pgText(text: string | null, type: string): unknown {
  if (text === null) return null;
  if (type.endsWith('[]') || type === 'jsonb') return JSON.parse(text);
  if (type === 'uuid') return text.replaceAll('-', '');
  if (type === 'double precision') return text === 'NaN' ? 'NaN' : String(Number(text));
  if (type === 'timestamp with time zone') return new Date(`${text.replace(' ', 'T')}:00`).getTime();
  if (type === 'date') {
    const bc = text.endsWith(' BC');
    const [y, m, d] = text.replace(' BC', '').split('-').map(Number);
    const date = new Date(0);
    date.setUTCFullYear(bc ? 1 - y! : y!, m! - 1, d!);
    return date.getTime();
  }
  return text;
}
