import type pg from 'pg';
import type { ApplyBatch, ApplyResult, KeyText, RowBatch } from '@bucardo/plugin-sdk';
import type { DeferredDeletes } from './deferred-deletes.js';
import { applyInPlace, type AlwaysIdentity } from './in-place-apply.js';
import type { KeyIndexes } from './key-index.js';

/** A unique value another row holds: the row a held delete was to remove may be the one in the way. */
const UNIQUE_VIOLATION = '23505';

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
  let written: ApplyResult;
  try {
    written = await applyInPlace(client, kept, keyIndexes, identities);
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    await client.query('ROLLBACK TO SAVEPOINT bucardo_referenced');
    const held = deferred.take(batch.shape);
    if (held) await deleteNow(held);
    written = await applyInPlace(client, kept, keyIndexes, identities);
  }
  await client.query('RELEASE SAVEPOINT bucardo_referenced');
  // the held keys count as deleted (a target may count keys where it cannot count rows yet): a run whose
  // only change is such a delete is a run that moved something, not an empty one
  return { ...written, deleted: written.deleted + gone.length };
}

function keysOf(batches: readonly RowBatch[]): Set<KeyText> {
  const keys = new Set<KeyText>();
  for (const rows of batches) for (const row of rows.rows()) keys.add(rows.keyOf(row));
  return keys;
}
