import type pg from 'pg';
import { type ApplyBatch, type ApplyResult, type KeyText, type RowBatch } from '@bucardo/plugin-sdk';
import type { DeferredDeletes } from './deferred-deletes.js';
import { FOREIGN_KEY_VIOLATION, type PostponedWrites } from './postponed-writes.js';
import { applyInPlace, UNIQUE_VIOLATION, type AlwaysIdentity } from './in-place-apply.js';
import type { KeyIndexes } from './key-index.js';


/**
 * Writes a batch of a table that a foreign key points at (`ReferencedTables`): its rows in place, so that
 * an updated parent keeps its children; the keys it loses are held (`DeferredDeletes`) until every table of
 * the transaction is written, when the children that pointed at them are gone or moved as on the origin.
 * Where the rows collide with a unique value (an e-mail a new row takes from a row deleted on the origin),
 * or point at rows a put-off write brings, they are put off until after the held deletes (`PostponedWrites`).
 */
export async function applyReferenced(
  client: pg.Client, batch: ApplyBatch, keyIndexes: KeyIndexes, identities: AlwaysIdentity, deferred: DeferredDeletes, postponed: PostponedWrites,
): Promise<ApplyResult> {
  const imaged = keysOf(batch.rows);
  const gone = batch.deletes.filter((key) => !imaged.has(key));
  const kept: ApplyBatch = { ...batch, deletes: batch.deletes.filter((key) => imaged.has(key)) };
  deferred.add(batch.shape, gone, batch.guard, batch.makeDelta?.sync);
  await client.query('SAVEPOINT bucardo_referenced');
  // rows that swap a unique value are not written by DELETE and INSERT here: that would cascade to children
  const inPlace = () => applyInPlace(client, kept, keyIndexes, identities, { replaceOnSwap: false });
  let written: ApplyResult;
  try {
    written = await inPlace();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== UNIQUE_VIOLATION && code !== FOREIGN_KEY_VIOLATION) throw error;
    const unique = code === UNIQUE_VIOLATION;
    await client.query('ROLLBACK TO SAVEPOINT bucardo_referenced');
    if (!unique && !await postponed.pointsAtPutOff(client, error)) throw error;
    written = postponed.add(batch.shape, inPlace, batch.rows);
  }
  await client.query('RELEASE SAVEPOINT bucardo_referenced');
  // the held keys count as deleted (a target may count keys where it cannot count rows yet): a run whose
  // only change is such a delete is a run that moved something, not an empty one
  return { ...written, deleted: written.deleted + gone.length };
}

function keysOf(batches: readonly RowBatch[]): Set<KeyText> {
  const keys = new Set<KeyText>();
  for (const rows of batches) for (const key of rows.keys()) keys.add(key);
  return keys;
}
