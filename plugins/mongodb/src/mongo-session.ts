/**
 * A target session on a MongoDB database, written against the narrow driver ports (ports.ts): the real
 * driver in production, an in-memory implementation with the same semantics in the tests.
 *
 * With transactions (a replica set or mongos, and the `transactions` option on), each batch runs in a
 * session transaction from `begin()` to `commit()`/`rollback()`. Without, every write is committed as it
 * goes; a failed batch is simply applied again by the next run, which is safe because applying is
 * idempotent (delete by `_id`, then upsert by `_id`).
 */
import { BucardoError, formatTable, type ApplyBatch, type ApplyResult, type Logger, type RunInfo, type TableShape, type TargetSession } from '@bucardo/plugin-sdk';
import { sharedCollection } from './collection-names.js';
import { DocumentMaker } from './documents.js';
import type { WriterSettings } from './mongodb-options.js';
import type { MongoClientPort, MongoDatabasePort, MongoDocument, MongoSessionPort, MongoWriteOptions } from './ports.js';
import { planWrites, type WritePlan } from './write-plan.js';

/** Whether the server can run multi-document transactions: a replica set member or a mongos. */
export async function serverHasTransactions(db: Pick<MongoDatabasePort, 'command'>): Promise<boolean> {
  const hello: MongoDocument = await db.command({ hello: 1 });
  return typeof hello.setName === 'string' || hello.msg === 'isdbgrid';
}

export interface MongoSessionParts<Session extends MongoSessionPort = MongoSessionPort> {
  /** Bucardo's name for the database, for messages. */
  readonly name: string;
  readonly db: MongoDatabasePort<Session>;
  readonly client: MongoClientPort<Session>;
  readonly settings: WriterSettings;
  readonly log: Logger;
  /** Use a transaction per batch (the server supports them and the option is on). */
  readonly transactional: boolean;
  /** Closes the connection (the real client), called once by `close()`. */
  readonly dispose?: () => Promise<void>;
}

export class MongoTargetSession<Session extends MongoSessionPort = MongoSessionPort> implements TargetSession {
  readonly #parts: MongoSessionParts<Session>;
  readonly #makers = new WeakMap<TableShape, DocumentMaker>();
  #session: Session | undefined;
  #closed = false;

  constructor(parts: MongoSessionParts<Session>) {
    this.#parts = parts;
  }

  /** Whether batches run in transactions. */
  get transactional(): boolean {
    return this.#parts.transactional;
  }

  /** Refuses a run two of whose tables would share a collection, before anything is written. */
  async beginRun(run: RunInfo): Promise<void> {
    const shared = sharedCollection(run.tables ?? [], (table) => this.#parts.settings.collectionFor(table));
    if (!shared) return;
    const [first, second] = shared.tables.map(formatTable);
    throw new BucardoError('SYNC_INVALID',
      `Tables ${first} and ${second} of sync "${run.sync}" would both go to collection "${shared.collection}" of MongoDB database "${this.#parts.name}", where their documents (keyed by the row's key alone) would overwrite each other: give one another collection (collections=…)`,
      { db: this.#parts.name, sync: run.sync, table: second!, item: shared.collection });
  }

  async begin(): Promise<void> {
    if (!this.#parts.transactional) return;
    await this.#endSession();
    const session = this.#parts.client.startSession();
    session.startTransaction();
    this.#session = session;
  }

  async apply(batch: ApplyBatch): Promise<ApplyResult> {
    const plan = this.plan(batch);
    const collection = this.#parts.db.collection(plan.collection);
    const options = { ...this.#writeOptions(), ordered: true as const };
    let deleted = 0;
    let inserted = 0;
    for (const models of plan.requests) {
      if (batch.signal.aborted) throw new BucardoError('RUN_ABORTED', `Apply to MongoDB database "${this.#parts.name}" was stopped`, { db: this.#parts.name, table: formatTable(batch.shape.table), cause: batch.signal.reason });
      const result = await collection.bulkWrite(models, options);
      deleted += result.deletedCount;
      inserted += result.upsertedCount + result.matchedCount;
    }
    return { deleted, inserted, skipped: [] };
  }

  /** The write models this session sends for a batch (the translation, without writing). */
  plan(batch: Pick<ApplyBatch, 'shape' | 'deletes' | 'rows'>): WritePlan {
    const { settings } = this.#parts;
    return planWrites(batch, settings.collectionFor(batch.shape.table), this.#maker(batch.shape), settings);
  }

  /**
   * Empties the table's collection (`deleteMany({})`), inside the batch's transaction when there is one:
   * what TRUNCATE and a full copy do to a MongoDB target. Returns the documents removed.
   */
  async truncate(shape: Pick<TableShape, 'table'>): Promise<number> {
    const collection = this.#parts.db.collection(this.#parts.settings.collectionFor(shape.table));
    const result = await collection.deleteMany({}, this.#writeOptions());
    return result.deletedCount;
  }

  async commit(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    try {
      await session.commitTransaction();
    } finally {
      await this.#endSession();
    }
  }

  async rollback(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    try {
      await session.abortTransaction();
    } finally {
      await this.#endSession();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#session) await this.#session.abortTransaction().catch(() => undefined);
    await this.#endSession();
    await this.#parts.dispose?.();
  }

  #writeOptions(): MongoWriteOptions<Session> {
    return this.#session ? { session: this.#session } : {};
  }

  async #endSession(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    await session?.endSession().catch(() => undefined);
  }

  #maker(shape: TableShape): DocumentMaker {
    let maker = this.#makers.get(shape);
    if (!maker) this.#makers.set(shape, (maker = new DocumentMaker(shape, { omitNulls: this.#parts.settings.omitNulls })));
    return maker;
  }
}
