/**
 * An in-memory MongoDB database behind the writer's ports (src/ports.ts), with the semantics of the
 * operations the writer uses, as a real server has them:
 *
 * - documents are stored as BSON (serialized with the driver's own `BSON.serialize`), so what is kept is
 *   exactly what the driver would send, and reads come back as the driver returns them;
 * - `_id` is unique: documents are held by a canonical form of their `_id` in which equal values are
 *   equal as MongoDB compares them (numbers by value across int32/int64/double/decimal, embedded
 *   documents field by field in order, binary by subtype and bytes);
 * - `replaceOne({ _id }, doc, { upsert })` replaces the document with that `_id`, or inserts it when
 *   `upsert` is set; changing the `_id` or using update operators in a replacement is an error;
 * - `deleteMany({})`, `deleteMany({ _id: { $in: [...] } })` and `deleteMany({ _id: v })`;
 * - `bulkWrite(models, { ordered: true })` runs the models in order and stops at the first error;
 *   `insertOne` (not used by the writer) fails on a duplicate `_id` with E11000;
 * - a session transaction (`startTransaction`/`commitTransaction`/`abortTransaction`) undoes its writes
 *   on abort; `hello` answers like a standalone server, or like a replica set member with `replicaSet`.
 *
 * Any other filter or model is refused loudly, so a writer that started using one would fail here rather
 * than be tested against semantics this fake does not have.
 */
import { Binary, BSON, Decimal128, Double, Int32, Long, ObjectId } from 'mongodb';
import type { MongoBulkResult, MongoClientPort, MongoCollectionPort, MongoDatabasePort, MongoDocument, MongoSessionPort, MongoWriteModel, MongoWriteOptions } from '../../src/ports.js';

export interface RecordedCall {
  readonly collection: string;
  readonly method: 'bulkWrite' | 'deleteMany';
  readonly models?: readonly MongoWriteModel[];
  readonly filter?: MongoDocument;
  readonly ordered?: boolean;
  readonly session?: MemorySession;
}

export class MemoryWriteError extends Error {
  readonly code: number | undefined;
  /** For bulkWrite: how many models were applied before the failing one. */
  readonly applied: number;
  constructor(message: string, code: number | undefined, applied: number) {
    super(message);
    this.name = 'MemoryWriteError';
    this.code = code;
    this.applied = applied;
  }
}

type Store = Map<string, Map<string, Uint8Array>>;

export class MemoryMongo implements MongoDatabasePort<MemorySession>, MongoClientPort<MemorySession> {
  readonly databaseName: string;
  readonly calls: RecordedCall[] = [];
  readonly #store: Store = new Map();
  readonly #collections = new Map<string, MemoryCollection>();
  /** Set to answer `hello` as a replica set member (transactions available). */
  replicaSet: string | undefined;
  #failAt: number | undefined;
  #modelsSeen = 0;
  #transaction: { session: MemorySession; snapshot: Store } | undefined;

  constructor(databaseName = 'shop', options: { replicaSet?: string } = {}) {
    this.databaseName = databaseName;
    this.replicaSet = options.replicaSet;
  }

  /** Makes the model with this index fail, once, counting the models of every bulkWrite from now on. */
  failAtModel(index: number): void {
    this.#failAt = index;
    this.#modelsSeen = 0;
  }

  collection(name: string): MemoryCollection {
    let collection = this.#collections.get(name);
    if (!collection) this.#collections.set(name, (collection = new MemoryCollection(this, name)));
    return collection;
  }

  async command(command: MongoDocument): Promise<MongoDocument> {
    if ('hello' in command) {
      return this.replicaSet === undefined
        ? { isWritablePrimary: true, maxWireVersion: 21, ok: 1 }
        : { isWritablePrimary: true, setName: this.replicaSet, maxWireVersion: 21, ok: 1 };
    }
    if ('ping' in command) return { ok: 1 };
    throw new Error(`MemoryMongo: unsupported command ${JSON.stringify(Object.keys(command))}`);
  }

  startSession(): MemorySession {
    return new MemorySession(this);
  }

  /** The collection's documents as the driver would return them (numbers promoted, Long kept when large). */
  documents(collection: string): MongoDocument[] {
    return [...(this.#store.get(collection)?.values() ?? [])].map((bytes) => BSON.deserialize(bytes));
  }

  /** The collection's documents with every BSON type kept (Int32, Double, Long, Decimal128, …). */
  rawDocuments(collection: string): MongoDocument[] {
    return [...(this.#store.get(collection)?.values() ?? [])].map((bytes) => BSON.deserialize(bytes, { promoteValues: false }));
  }

  /** One document by `_id` (as the driver returns it), or undefined. */
  findById(collection: string, id: unknown): MongoDocument | undefined {
    const bytes = this.#store.get(collection)?.get(idKey(id));
    return bytes && BSON.deserialize(bytes);
  }

  collectionNames(): string[] {
    return [...this.#store.keys()].filter((name) => (this.#store.get(name)?.size ?? 0) > 0).sort();
  }

  /** @internal */
  docs(collection: string): Map<string, Uint8Array> {
    let docs = this.#store.get(collection);
    if (!docs) this.#store.set(collection, (docs = new Map()));
    return docs;
  }

  /** @internal checks a write's session and counts models for failure injection. */
  checkSession(session: MemorySession | undefined): void {
    if (session === undefined) {
      if (this.#transaction) throw new Error('MemoryMongo: a write outside the open transaction (this fake is single-writer)');
      return;
    }
    if (session.ended) throw new MemoryWriteError('Cannot use a session that has ended', undefined, 0);
    if (session.inTransaction && this.#transaction?.session !== session) throw new Error('MemoryMongo: unknown transaction');
  }

  /** @internal */
  nextModelFails(): boolean {
    const index = this.#modelsSeen++;
    if (this.#failAt !== undefined && index === this.#failAt) {
      this.#failAt = undefined;
      return true;
    }
    return false;
  }

  /** @internal */
  begin(session: MemorySession): void {
    if (this.#transaction) throw new Error('MemoryMongo: one transaction at a time');
    const snapshot: Store = new Map([...this.#store].map(([name, docs]) => [name, new Map(docs)]));
    this.#transaction = { session, snapshot };
  }

  /** @internal */
  end(session: MemorySession, commit: boolean): void {
    const transaction = this.#transaction;
    if (!transaction || transaction.session !== session) throw new MemoryWriteError('No transaction started', 251, 0);
    this.#transaction = undefined;
    if (commit) return;
    this.#store.clear();
    for (const [name, docs] of transaction.snapshot) this.#store.set(name, docs);
  }
}

export class MemorySession implements MongoSessionPort {
  readonly #mongo: MemoryMongo;
  inTransaction = false;
  ended = false;
  /** How the transactions of this session ended, in order. */
  readonly outcomes: Array<'commit' | 'abort'> = [];

  constructor(mongo: MemoryMongo) {
    this.#mongo = mongo;
  }

  startTransaction(): void {
    if (this.ended) throw new Error('session ended');
    if (this.inTransaction) throw new Error('Transaction already in progress');
    this.#mongo.begin(this);
    this.inTransaction = true;
  }

  async commitTransaction(): Promise<void> {
    this.#mongo.end(this, true);
    this.inTransaction = false;
    this.outcomes.push('commit');
  }

  async abortTransaction(): Promise<void> {
    this.#mongo.end(this, false);
    this.inTransaction = false;
    this.outcomes.push('abort');
  }

  async endSession(): Promise<void> {
    if (this.inTransaction) await this.abortTransaction(); // as the driver does
    this.ended = true;
  }
}

export class MemoryCollection implements MongoCollectionPort<MemorySession> {
  readonly #mongo: MemoryMongo;
  readonly name: string;

  constructor(mongo: MemoryMongo, name: string) {
    this.#mongo = mongo;
    this.name = name;
  }

  async bulkWrite(models: MongoWriteModel[], options: MongoWriteOptions<MemorySession> & { readonly ordered: true }): Promise<MongoBulkResult> {
    this.#mongo.calls.push({ collection: this.name, method: 'bulkWrite', models: [...models], ordered: options.ordered, ...(options.session ? { session: options.session } : {}) });
    if (options.ordered !== true) throw new Error('MemoryMongo: only ordered bulk writes are modelled');
    this.#mongo.checkSession(options.session);
    const result = { deletedCount: 0, upsertedCount: 0, matchedCount: 0, modifiedCount: 0, insertedCount: 0 };
    let applied = 0;
    for (const model of models) {
      if (this.#mongo.nextModelFails()) throw new MemoryWriteError(`simulated failure at model ${applied} of ${models.length}`, undefined, applied);
      try {
        this.#applyModel(model as MongoDocument, result);
      } catch (error) {
        if (error instanceof MemoryWriteError) throw new MemoryWriteError(error.message, error.code, applied);
        throw error;
      }
      applied++;
    }
    return result;
  }

  async deleteMany(filter: MongoDocument, options: MongoWriteOptions<MemorySession> = {}): Promise<{ deletedCount: number }> {
    this.#mongo.calls.push({ collection: this.name, method: 'deleteMany', filter, ...(options.session ? { session: options.session } : {}) });
    this.#mongo.checkSession(options.session);
    return { deletedCount: this.#deleteMatching(filter) };
  }

  #applyModel(model: MongoDocument, result: { deletedCount: number; upsertedCount: number; matchedCount: number; modifiedCount: number; insertedCount: number }): void {
    const names = Object.keys(model);
    if (names.length !== 1) throw new Error(`MemoryMongo: a write model has one operation, not ${names.join(', ')}`);
    const docs = this.#mongo.docs(this.name);
    const [name] = names;
    const spec = model[name!] as MongoDocument;
    switch (name) {
      case 'deleteMany':
        result.deletedCount += this.#deleteMatching(spec.filter as MongoDocument);
        return;
      case 'replaceOne': {
        const filter = spec.filter as MongoDocument;
        const replacement = spec.replacement as MongoDocument;
        if (Object.keys(filter).length !== 1 || !('_id' in filter) || isOperatorDocument(filter._id)) {
          throw new Error(`MemoryMongo: replaceOne is modelled for a { _id: value } filter only, not ${JSON.stringify(filter)}`);
        }
        if (Object.keys(replacement).some((field) => field.startsWith('$'))) throw new MemoryWriteError('Replacement document must not contain atomic operators', 9, 0);
        const id = filter._id;
        const key = idKey(id);
        if ('_id' in replacement && idKey(replacement._id) !== key) {
          throw new MemoryWriteError("Performing an update on the path '_id' would modify the immutable field '_id'", 66, 0);
        }
        const existing = docs.get(key);
        // a matched document keeps its own _id (equal by value to the filter's, maybe of another BSON type)
        const stored = BSON.serialize({ _id: existing ? BSON.deserialize(existing, { promoteValues: false })._id : id, ...withoutId(replacement) });
        if (existing) {
          result.matchedCount++;
          if (!Buffer.from(existing).equals(Buffer.from(stored))) result.modifiedCount++;
          docs.set(key, stored);
        } else if (spec.upsert === true) {
          result.upsertedCount++;
          docs.set(key, stored);
        }
        return;
      }
      case 'insertOne': {
        const document = spec.document as MongoDocument;
        if (!('_id' in document)) throw new Error('MemoryMongo: insertOne needs an _id here');
        const key = idKey(document._id);
        if (docs.has(key)) throw new MemoryWriteError(`E11000 duplicate key error collection: ${this.#mongo.databaseName}.${this.name} index: _id_`, 11000, 0);
        docs.set(key, BSON.serialize(document));
        result.insertedCount++;
        return;
      }
      default:
        throw new Error(`MemoryMongo: write model ${name} is not modelled`);
    }
  }

  #deleteMatching(filter: MongoDocument): number {
    const docs = this.#mongo.docs(this.name);
    const fields = Object.keys(filter);
    if (fields.length === 0) {
      const count = docs.size;
      docs.clear();
      return count;
    }
    if (fields.length !== 1 || fields[0] !== '_id') throw new Error(`MemoryMongo: deleteMany is modelled for {} and _id filters only, not ${JSON.stringify(fields)}`);
    const condition = filter._id;
    let ids: unknown[];
    if (isOperatorDocument(condition)) {
      const operators = Object.keys(condition as MongoDocument);
      if (operators.length !== 1 || operators[0] !== '$in' || !Array.isArray((condition as MongoDocument).$in)) {
        throw new Error(`MemoryMongo: only $in is modelled, not ${operators.join(', ')}`);
      }
      ids = (condition as { $in: unknown[] }).$in;
    } else ids = [condition];
    let count = 0;
    for (const id of ids) if (docs.delete(idKey(id))) count++;
    return count;
  }
}

function isOperatorDocument(value: unknown): boolean {
  return isPlainObject(value) && Object.keys(value).some((field) => field.startsWith('$'));
}

function isPlainObject(value: unknown): value is MongoDocument {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function withoutId(document: MongoDocument): MongoDocument {
  const { _id: _ignored, ...rest } = document;
  return rest;
}

/**
 * The canonical form of an `_id` value: two values MongoDB holds equal get the same string. The value
 * goes through BSON first, exactly as the driver would send it, and MongoDB's comparison rules apply:
 * numbers by value whatever their BSON type, embedded documents by fields in order, binaries by subtype
 * and bytes. Arrays, `undefined` and regular expressions cannot be an `_id`.
 */
export function idKey(id: unknown): string {
  if (id === undefined) throw new MemoryWriteError('_id is undefined', 2, 0);
  const { v } = BSON.deserialize(BSON.serialize({ v: id }), { promoteValues: false, promoteLongs: false, promoteBuffers: false });
  if (Array.isArray(v)) throw new MemoryWriteError("The '_id' value cannot be of type array", 53, 0);
  return canonical(v);
}

function canonical(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Int32) return `n:${value.value}`;
  if (value instanceof Double) return `n:${numberText(value.value)}`;
  if (value instanceof Long) return `n:${value.toString()}`;
  if (value instanceof Decimal128) return `n:${decimalText(value.toString())}`;
  if (typeof value === 'number') return `n:${numberText(value)}`;
  if (typeof value === 'string') return `s:${JSON.stringify(value)}`;
  if (typeof value === 'boolean') return `b:${value}`;
  if (value instanceof Date) return `t:${value.getTime()}`;
  if (value instanceof Binary) return `x:${value.sub_type}:${Buffer.from(value.buffer).toString('hex')}`;
  if (value instanceof ObjectId) return `o:${value.toHexString()}`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isPlainObject(value)) return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  throw new Error(`MemoryMongo: no canonical form for ${Object.prototype.toString.call(value)}`);
}

function numberText(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 2 ** 63) return BigInt(value).toString();
  return Object.is(value, -0) ? '0' : String(value);
}

/** Decimal128 text by value: `1.50` and `1.5` and `1.5E+0` are one number. */
function decimalText(text: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:E([+-]?\d+))?$/i.exec(text);
  if (!match) return text; // NaN, Infinity
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  let digits = (whole! + fraction).replace(/^0+/, '');
  let scale = fraction.length - Number(exponent);
  while (scale > 0 && digits.endsWith('0')) { digits = digits.slice(0, -1); scale--; }
  if (digits === '') return '0';
  if (scale <= 0) return `${sign}${digits}${'0'.repeat(-scale)}`;
  const padded = digits.padStart(scale + 1, '0');
  return `${sign}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}
