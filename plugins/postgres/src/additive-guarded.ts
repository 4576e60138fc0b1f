import type pg from 'pg';
import { addDecimal, keyMaker, type Checkpoint, type KeyText, type RowBatch, type TableShape } from '@bucardo/plugin-sdk';
import { additiveColumn, captureNames, qualified } from './capture-names.js';
import { interval } from './capture-read.js';
import { quoteIdent, quoteLiteral } from './connect.js';
import { keyColumnList, keyCondition } from './key-sql.js';

/**
 * For keys a user changed here after `guard` (their rows locked by the caller): the additive columns take
 * the image's values plus what those local changes added, and the other columns stay as the user left
 * them. Left alone, such a row would keep a balance without the other sources' changes, and its next
 * change would carry that balance everywhere. The local changes after `guard` are the next run's, which
 * sends them as deltas, so adding them here now counts them once. Keys without an image (deleted on the
 * winner) or without a row here (deleted here) are left alone. Returns how many rows were updated.
 */
export async function addLocalChanges(client: pg.Client, shape: TableShape, images: readonly RowBatch[], keys: ReadonlySet<KeyText>, guard: Checkpoint): Promise<number> {
  const additive = shape.additive ?? [];
  if (additive.length === 0 || keys.size === 0) return 0;
  const later = await localDeltas(client, shape, [...keys], guard);
  const sets = additive.map((column, index) => `${quoteIdent(column)} = $${index + 1}`).join(', ');
  let updated = 0;
  for (const batch of images) {
    const positions = additive.map((name) => batch.columns.findIndex((column) => column.name === name));
    for (const row of batch.filter(keys).rows()) {
      const key = batch.keyOf(row);
      const added = later.get(key);
      const values = positions.map((position, index) => {
        const image = position < 0 ? null : row[position] ?? null;
        const delta = added?.[index];
        return image === null || delta === undefined || delta === null ? image : addDecimal(image, delta);
      });
      const { sql, params } = keyCondition(shape, [key], false, additive.length + 1);
      const result = await client.query(`UPDATE ONLY ${qualified(shape.table)} SET ${sets} WHERE ${sql}`, [...values, ...params]);
      updated += result.rowCount ?? 0;
    }
  }
  return updated;
}

/** Per key, what the changes committed here after `guard` added to each additive column (their records' sums). */
async function localDeltas(client: pg.Client, shape: TableShape, keys: readonly KeyText[], guard: Checkpoint): Promise<Map<KeyText, Array<string | null>>> {
  const additive = shape.additive ?? [];
  const { sql, params } = keyCondition(shape, keys, false);
  const result = await client.query<string[]>({
    text: `SELECT ${keyColumnList(shape)}, ${additive.map((column) => `pg_catalog.sum(${additiveColumn(column)})::text`).join(', ')}
      FROM ${captureNames(shape.table).delta} WHERE ${interval(quoteLiteral(guard))} AND ${sql} GROUP BY ${keyColumnList(shape)}`,
    values: params,
    rowMode: 'array',
  });
  const width = shape.key.length;
  const makeKey = keyMaker(shape.key.map((column) => column.type));
  return new Map(result.rows.map((row) => [makeKey(row.slice(0, width)), row.slice(width)]));
}
