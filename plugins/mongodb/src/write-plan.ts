/**
 * The translation of one table's share of a batch into MongoDB write models: every key of the batch is
 * deleted (`deleteMany({ _id: { $in: [...] } })`, at most `chunkSize` keys each), then every row is
 * written with `replaceOne({ _id }, document, { upsert: true })`; the models go out in ordered
 * `bulkWrite` calls of at most `chunkSize` models. Deleting and then upserting by `_id` makes a batch
 * idempotent: applied twice, or after a partial first attempt, it leaves the same documents.
 */
import type { ApplyBatch, KeyText } from '@bucardo/plugin-sdk';
import { DocumentMaker } from './documents.js';
import type { MongoDocument, MongoWriteModel } from './ports.js';

export interface WritePlan {
  readonly collection: string;
  /** The ordered `bulkWrite` calls: deletes first, then the rows. */
  readonly requests: readonly MongoWriteModel[][];
  /** How many keys the deletes name, and how many rows are written. */
  readonly keys: number;
  readonly rows: number;
}

export interface PlanSettings {
  readonly chunkSize: number;
}

export function planWrites(batch: Pick<ApplyBatch, 'shape' | 'deletes' | 'rows'>, collection: string, maker: DocumentMaker, settings: PlanSettings): WritePlan {
  const models: MongoWriteModel[] = [];
  for (const keys of chunks(batch.deletes, settings.chunkSize)) {
    models.push({ deleteMany: { filter: { _id: { $in: keys.map((key) => maker.idOf(key)) } } } });
  }
  let rows = 0;
  for (const rowBatch of batch.rows) {
    for (const row of rowBatch.rows()) {
      const key: KeyText = rowBatch.keyOf(row);
      const document: MongoDocument = maker.document(row, key);
      models.push({ replaceOne: { filter: { _id: document._id }, replacement: document, upsert: true } });
      rows++;
    }
  }
  return { collection, requests: chunks(models, settings.chunkSize), keys: batch.deletes.length, rows };
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}
