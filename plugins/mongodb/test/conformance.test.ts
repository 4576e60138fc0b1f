/**
 * The SDK's target conformance kit against the MongoDB target: on the in-memory database of
 * test/support (as a standalone server, and as a replica set member, whose batches run in transactions),
 * and on a real MongoDB when BUCARDO_TEST_MONGO_URL is set. Documents are read back as the driver returns
 * them; the value the kit expects for each column is the target's own type mapping of the text
 * (type-mapping.test.ts checks the mapping itself), through BSON as the driver stores it.
 */
import { BSON, MongoClient } from 'mongodb';
import { describe } from 'vitest';
import { silentLogger, type ColumnInfo, type TextValue } from '@bucardo/plugin-sdk';
import { describeTargetConformance } from '@bucardo/plugin-sdk/testing';
import { convertValue } from '../src/type-mapping.js';
import { defaultCollection, resolveOptions } from '../src/mongodb-options.js';
import { normalizeParams } from '../src/connection-params.js';
import { MongoTarget } from '../src/mongo-target.js';
import { MemoryMongo, type MemorySession } from './support/memory-mongo.js';

/** The value the driver gives back for a column's text: the target's conversion, stored as BSON and read. */
const expectedValue = (text: TextValue, column: ColumnInfo): unknown =>
  (BSON.deserialize(BSON.serialize({ v: convertValue(column.type, text) })) as { v: unknown }).v;

function memoryTarget(replicaSet?: string) {
  return () => {
    const mongo = new MemoryMongo('kit', replicaSet ? { replicaSet } : {});
    const writer = new MongoTarget<MemorySession>(resolveOptions(), async () => ({ db: mongo, client: mongo, close: async () => undefined }));
    return {
      writer,
      spec: { name: 'm1', type: 'mongo', params: normalizeParams({ dbname: 'kit' }) },
      readBack: async (table: { schema: string; name: string }) => mongo.documents(defaultCollection(table)),
      // documents have no table shape: a column added is a field the rows written next have
      reshape: async () => undefined,
    };
  };
}

describeTargetConformance('mongodb (in memory, standalone: no transactions)', memoryTarget(), { expectedValue, log: silentLogger });
describeTargetConformance('mongodb (in memory, replica set: a transaction per batch)', memoryTarget('rs0'), { expectedValue, transactions: true });

const url = process.env.BUCARDO_TEST_MONGO_URL;
describe.skipIf(url === undefined)(`mongodb on a real server (${url === undefined ? 'skipped: BUCARDO_TEST_MONGO_URL is not set' : 'BUCARDO_TEST_MONGO_URL'})`, () => {
  describeTargetConformance('mongodb (real server)', async ({ id }) => {
    const client = new MongoClient(url!, { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    const db = client.db(id);
    return {
      writer: new MongoTarget(resolveOptions()),
      spec: { name: 'm1', type: 'mongo', params: normalizeParams({ url: url!, dbname: id }) },
      readBack: async (table) => db.collection(defaultCollection(table)).find({}).toArray(),
      reshape: async () => undefined,
      async dispose() {
        await db.dropDatabase().catch(() => undefined);
        await client.close();
      },
    };
  }, { expectedValue });
});
