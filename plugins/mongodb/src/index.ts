import { definePlugin, type BucardoPlugin, type DatabaseDriver, type DatabaseSpec, type OpenContext } from '@bucardo/plugin-sdk';
import { describeConnection, normalizeParams } from './connection-params.js';
import { connect, MongoTarget } from './mongo-target.js';
import { resolveOptions, type MongoTargetOptions } from './mongodb-options.js';

export type { MongoTargetOptions, WriterSettings } from './mongodb-options.js';
export { defaultCollection, resolveOptions, settingsFor } from './mongodb-options.js';
export { normalizeParams, describeConnection, connectionUrl, databaseName } from './connection-params.js';
export { MongoTarget, driverConnector, type MongoConnection, type MongoConnector } from './mongo-target.js';
export { MongoTargetSession, serverHasTransactions, type MongoSessionParts } from './mongo-session.js';
export { DocumentMaker } from './documents.js';
export { planWrites, chunks, type WritePlan } from './write-plan.js';
export { convertValue, converterFor, baseType, mappedKind, parseTimestamp, parseDate, parseBytea, type MappedKind } from './type-mapping.js';
export { parsePgArray, PgArrayParseError, type PgArrayItem } from './pg-array.js';
export type {
  MongoBulkResult, MongoClientPort, MongoCollectionPort, MongoDatabasePort, MongoDocument, MongoSessionPort,
  MongoWriteModel, MongoWriteOptions,
} from './ports.js';

/**
 * The MongoDB database type (`type=mongo`, alias `mongodb`): a target only. Each table goes to a
 * collection, each row to a document whose `_id` is the row's key.
 */
export function mongodb(options: MongoTargetOptions = {}): BucardoPlugin {
  const resolved = resolveOptions(options);
  const driver: DatabaseDriver = {
    type: 'mongo',
    aliases: ['mongodb'],
    normalizeParams,
    describe: (spec) => describeConnection(spec),
    async ping(spec: DatabaseSpec, context: OpenContext) {
      const { client } = await connect(spec, context, resolved);
      await client.close();
    },
    target: new MongoTarget(resolved),
  };
  return definePlugin({
    name: 'target-mongodb',
    apply(host) {
      host.registerDatabase(driver);
    },
  });
}

export default mongodb;
