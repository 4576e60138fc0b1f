/**
 * The narrow slice of the MongoDB driver the writer uses. The real `MongoClient`, `Db`, `Collection` and
 * `ClientSession` satisfy these interfaces structurally (mongo-target.ts assigns them without casts, so
 * the compiler checks it), and the tests drive the writer through an in-memory implementation with the
 * same semantics: upsert by `_id`, `deleteMany` by `_id: { $in }`, ordered bulk writes, a unique `_id`.
 */

/** A BSON document as the driver takes it. */
export type MongoDocument = Record<string, unknown>;

/** The write models the writer sends in an ordered `bulkWrite` (a subset of the driver's). */
export type MongoWriteModel =
  | { readonly deleteMany: { readonly filter: MongoDocument } }
  | { readonly replaceOne: { readonly filter: MongoDocument; readonly replacement: MongoDocument; readonly upsert: boolean } };

export interface MongoBulkResult {
  readonly deletedCount: number;
  readonly upsertedCount: number;
  readonly matchedCount: number;
  readonly modifiedCount: number;
}

/**
 * A driver session (`ClientSession`): the writer starts and ends its transaction, and passes it back to
 * the driver in the options of each write.
 */
export interface MongoSessionPort {
  startTransaction(): void;
  commitTransaction(): Promise<unknown>;
  abortTransaction(): Promise<unknown>;
  endSession(): Promise<void>;
}

/** Options of a write: the session whose transaction it belongs to, if any. */
export interface MongoWriteOptions<Session extends MongoSessionPort = MongoSessionPort> {
  readonly session?: Session;
}

/**
 * The ports are generic in the session type so that the real driver fits them exactly (its writes take
 * a `ClientSession`, not any session-like object).
 */
export interface MongoCollectionPort<Session extends MongoSessionPort = MongoSessionPort> {
  /** Ordered: the models run in order, and the first failure stops the rest. */
  bulkWrite(models: MongoWriteModel[], options: MongoWriteOptions<Session> & { readonly ordered: true }): Promise<MongoBulkResult>;
  deleteMany(filter: MongoDocument, options?: MongoWriteOptions<Session>): Promise<{ readonly deletedCount: number }>;
}

export interface MongoDatabasePort<Session extends MongoSessionPort = MongoSessionPort> {
  readonly databaseName: string;
  collection(name: string): MongoCollectionPort<Session>;
  /** A database command; the writer runs `{ hello: 1 }` to learn whether the server has transactions. */
  command(command: MongoDocument): Promise<MongoDocument>;
}

export interface MongoClientPort<Session extends MongoSessionPort = MongoSessionPort> {
  startSession(): Session;
}
