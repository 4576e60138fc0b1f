import type pg from 'pg';
import { BucardoError, formatTable, serverMessage, type ApplyBatch, type ApplyResult, type KeyText, type RowBatch } from '@bucardo/plugin-sdk';
import type { DeferredDeletes } from './deferred-deletes.js';
import { applyInPlace, UNIQUE_VIOLATION, type AlwaysIdentity } from './in-place-apply.js';
import type { KeyIndexes } from './key-index.js';


/**
 * Writes a batch of a table that a foreign key points at (`ReferencedTables`): its rows in place, so that
 * an updated parent keeps its children; the keys it loses are held (`DeferredDeletes`) until every table of
 * the transaction is written, when the children that pointed at them are gone or moved as on the origin.
 * Where a new row takes a unique value (an e-mail) from a row deleted on the origin, the held keys of the
 * table are deleted first after all, and the rows written again.
 */
export async function applyReferenced(
  client: pg.Client, batch: ApplyBatch, keyIndexes: KeyIndexes, identities: AlwaysIdentity, deferred: DeferredDeletes,
  deleteNow: (held: NonNullable<ReturnType<DeferredDeletes['take']>>) => Promise<unknown>,
): Promise<ApplyResult> {
  const imaged = keysOf(batch.rows);
  const gone = batch.deletes.filter((key) => !imaged.has(key));
  const kept: ApplyBatch = { ...batch, deletes: batch.deletes.filter((key) => imaged.has(key)) };
  deferred.add(batch.shape, gone, batch.guard);
  await client.query('SAVEPOINT bucardo_referenced');
  // rows that swap a unique value are not written by DELETE and INSERT here: that would cascade to children
  const inPlace = () => applyInPlace(client, kept, keyIndexes, identities, { replaceOnSwap: false });
  let written: ApplyResult;
  try {
    written = await inPlace();
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    await client.query('ROLLBACK TO SAVEPOINT bucardo_referenced');
    const held = deferred.take(batch.shape);
    if (held) await deleteNow(held);
    written = await inPlace().catch((again: unknown) => {
      if ((again as { code?: string }).code !== UNIQUE_VIOLATION) throw again;
      // two rows swapping a unique value: neither in place (checked row by row) nor by DELETE (children);
      // or the row holding it is deleted later in the run (the core plans such deletes after every other key)
      const table = formatTable(batch.shape.table);
      throw new BucardoError('APPLY_FAILED', `${serverMessage(again)}: rows of ${table} swap a unique value in this run, or take one from a row the origin deleted, whose delete this run writes in a later transaction (the keys a table foreign keys point at loses go last). Foreign keys point at ${table}, so its rows are written in place, where such a change collides, and not deleted and inserted again, which would take their children with them. Make a swap through a temporary value in two runs on the origin, give one run a batchSize (and partitionSize) above its number of changed keys (bucardo delta counts them), or write with applyAsReplica`, {
        table, sqlstate: UNIQUE_VIOLATION, cause: again,
      });
    });
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
