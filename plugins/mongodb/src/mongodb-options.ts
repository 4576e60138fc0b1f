import { BucardoError, parseTableName, tableId, type TableRef } from '@bucardo/plugin-sdk';

/** Options of the MongoDB target plugin (`mongodb({ … })` in bucardo.config.ts). */
export interface MongoTargetOptions {
  /**
   * Collection names by table, for every MongoDB database: `{ 'sales.orders': 'orders', items: 'stock' }`
   * (a table without a schema is in `public`). A database's own `collections=` parameter wins.
   * Default: the table name, `schema.table` when the schema is not `public`.
   */
  readonly collections?: Readonly<Record<string, string>>;
  /** Leave NULL columns out of the documents instead of storing `null`. Default false. */
  readonly omitNulls?: boolean;
  /** Keys per `deleteMany`, and write models per `bulkWrite` call. Default 1000. */
  readonly chunkSize?: number;
  /** Milliseconds to find a reachable server before failing with CONNECTION_FAILED. Default 5000. */
  readonly serverSelectionTimeoutMS?: number;
  /** Use a transaction per batch when the server supports them (replica set or mongos). Default true. */
  readonly transactions?: boolean;
}

/** What a session writes with: the plugin's options overridden by the database's parameters. */
export interface WriterSettings {
  readonly omitNulls: boolean;
  readonly chunkSize: number;
  readonly transactions: boolean;
  /** The collection a table's rows go to. */
  collectionFor(table: TableRef): string;
}

export interface ResolvedMongoOptions {
  readonly omitNulls: boolean;
  readonly chunkSize: number;
  readonly serverSelectionTimeoutMS: number;
  readonly transactions: boolean;
  /** tableId → collection name. */
  readonly collections: ReadonlyMap<string, string>;
}

export const DEFAULT_CHUNK_SIZE = 1000;
export const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 5000;

export function resolveOptions(options: MongoTargetOptions = {}): ResolvedMongoOptions {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new BucardoError('CONFIG_INVALID', `mongodb: chunkSize must be a positive integer, not ${String(options.chunkSize)}`, { plugin: 'target-mongodb', item: 'chunkSize' });
  }
  const timeout = options.serverSelectionTimeoutMS ?? DEFAULT_SERVER_SELECTION_TIMEOUT_MS;
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new BucardoError('CONFIG_INVALID', `mongodb: serverSelectionTimeoutMS must be a positive number, not ${String(timeout)}`, { plugin: 'target-mongodb', item: 'serverSelectionTimeoutMS' });
  }
  const collections = new Map<string, string>();
  for (const [table, collection] of Object.entries(options.collections ?? {})) {
    try {
      collections.set(tableKey(table), checkCollectionName(collection));
    } catch (error) {
      throw new BucardoError('CONFIG_INVALID', `mongodb: collections: ${(error as Error).message}`, { plugin: 'target-mongodb', item: table, cause: error });
    }
  }
  return {
    omitNulls: options.omitNulls ?? false,
    chunkSize,
    serverSelectionTimeoutMS: timeout,
    transactions: options.transactions ?? true,
    collections,
  };
}

/** The plugin's options overridden by one database's normalised parameters. */
export function settingsFor(options: ResolvedMongoOptions, params: Readonly<Record<string, string>>): WriterSettings {
  const collections = new Map(options.collections);
  if (params.collections !== undefined) for (const [key, name] of parseCollections(params.collections)) collections.set(key, name);
  return {
    omitNulls: params.omitNulls === undefined ? options.omitNulls : params.omitNulls === 'true',
    chunkSize: params.chunkSize === undefined ? options.chunkSize : Number(params.chunkSize),
    transactions: options.transactions,
    collectionFor: (table) => collections.get(tableId(table)) ?? defaultCollection(table),
  };
}

/** The table name, or `schema.table` when the schema is not `public`. */
export function defaultCollection(table: TableRef): string {
  return table.schema === 'public' ? table.name : `${table.schema}.${table.name}`;
}

/** `schema.table:collection,table:collection` → tableId → collection. Throws a plain Error on bad input. */
export function parseCollections(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of text.split(',')) {
    if (entry.trim() === '') continue;
    const colon = entry.lastIndexOf(':');
    if (colon <= 0) throw new Error(`"${entry}" is not TABLE:COLLECTION`);
    map.set(tableKey(entry.slice(0, colon).trim()), checkCollectionName(entry.slice(colon + 1).trim()));
  }
  if (map.size === 0) throw new Error('no TABLE:COLLECTION pairs');
  return map;
}

function tableKey(text: string): string {
  const parsed = parseTableName(text);
  return tableId({ schema: parsed.schema ?? 'public', name: parsed.name });
}

/** MongoDB's rules for collection names: not empty, no `$` or NUL, not `system.*`, at most 255 bytes. */
export function checkCollectionName(name: string): string {
  if (name === '' || name.includes('$') || name.includes('\u0000') || name.startsWith('system.') || Buffer.byteLength(name) > 255) {
    throw new Error(`"${name}" is not a valid MongoDB collection name`);
  }
  return name;
}
