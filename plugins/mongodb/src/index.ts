import { mongodb } from './plugin.js';

export { mongodb } from './plugin.js';
export { MONGO_CAPABILITIES } from './capabilities.js';

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

export default mongodb;
