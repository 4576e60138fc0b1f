import type pg from 'pg';
import type { ApplyBatch, ApplyResult, KeyText, RowBatch } from '@bucardo/plugin-sdk';
import { qualified } from './capture-names.js';
import type { DeferredDeletes } from './deferred-deletes.js';
import { applyInPlace, type AlwaysIdentity } from './in-place-apply.js';
import type { KeyIndexes } from './key-index.js';
import { keyCondition } from './key-sql.js';
import { guardedWrite } from './local-change-guard.js';

/**
 * Writes a batch of a table that a foreign key points at (`ReferencedTables`): its rows in place, so that
 * an updated parent keeps its children; the keys it loses are held (`DeferredDeletes`) until every table of
 * the transaction is written, when the children that pointed at them are gone or moved as on the origin.
 * Under the local-change guard those rows are locked now, and a key a user changed here after the guard is
 * left alone, as any write leaves it.
 */
export async function applyReferenced(
  client: pg.Client, batch: ApplyBatch, keyIndexes: KeyIndexes, identities: AlwaysIdentity, deferred: DeferredDeletes,
): Promise<ApplyResult> {
  const imaged = keysOf(batch.rows);
  const gone = batch.deletes.filter((key) => !imaged.has(key));
  const written = await applyInPlace(client, { ...batch, deletes: batch.deletes.filter((key) => imaged.has(key)) }, keyIndexes, identities);
  let held = gone;
  let skipped: readonly KeyText[] = [];
  if (gone.length > 0 && batch.guard !== undefined) {
    const hide = await keyIndexes.hideKeys(batch.shape, gone.length);
    const { locked } = await guardedWrite(client, batch.shape, gone, batch.guard, hide, async (keys) => {
      if (keys.length === 0) return;
      const { sql, params } = keyCondition(batch.shape, keys, hide);
      await client.query(`SELECT 1 FROM ONLY ${qualified(batch.shape.table)} WHERE ${sql} FOR UPDATE`, params);
    });
    held = gone.filter((key) => !locked.has(key));
    skipped = [...locked];
  }
  deferred.add(batch.shape, held);
  // the held keys count as deleted: a target may count keys where it cannot count rows yet
  return { deleted: written.deleted + held.length, inserted: written.inserted, skipped: [...written.skipped, ...skipped] };
}

function keysOf(batches: readonly RowBatch[]): Set<KeyText> {
  const keys = new Set<KeyText>();
  for (const rows of batches) for (const row of rows.rows()) keys.add(rows.keyOf(row));
  return keys;
}
