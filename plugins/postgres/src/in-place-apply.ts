import type pg from 'pg';
import type { ApplyBatch, ApplyResult, Checkpoint, KeyText, TableShape } from '@bucardo/plugin-sdk';
import { addLocalChanges } from './additive-guarded.js';
import { qualified } from './capture-names.js';
import { changedSince } from './capture-read.js';
import { quoteIdent } from './connect.js';
import { copyIn } from './copy-in.js';
import type { KeyIndexes } from './key-index.js';
import { columnList, keyCondition } from './key-sql.js';

/** The batch's images, staged for the statements that write them; dropped at the end of the transaction. */
const STAGE = 'pg_temp.bucardo_stage';

/**
 * Writes a batch of a table with additive columns by updating its rows in place (then inserting the new
 * ones and deleting the gone ones), not by DELETE and COPY. A user's `UPDATE … SET bal = bal + 5` that
 * waits for the run's commit on such a row then finds the run's version and adds to it; after a DELETE and
 * an INSERT it would find its row gone and update nothing, and its change would be lost without a word.
 * The images go through a temporary table. Keys changed here after `guard` are left alone, as DELETE and
 * COPY leave them, but their additive columns still take the image's values plus the local changes.
 */
export async function applyInPlace(client: pg.Client, batch: ApplyBatch, keyIndexes: KeyIndexes): Promise<ApplyResult> {
  const { shape } = batch;
  await client.query(`DROP TABLE IF EXISTS ${STAGE}; CREATE TEMP TABLE bucardo_stage ON COMMIT DROP AS SELECT ${columnList(shape)} FROM ONLY ${qualified(shape.table)} WITH NO DATA`);
  const buffers = batch.rows.map((rows) => rows.data).filter((data) => data.length > 0);
  if (buffers.length > 0) await copyIn(client, `COPY ${STAGE} (${columnList(shape)}) FROM STDIN`, buffers);
  const hide = await keyIndexes.hideKeys(shape, batch.deletes.length);
  if (batch.guard === undefined) return { ...await writeStaged(client, shape, batch.deletes, hide), skipped: [] };
  return guarded(client, batch, batch.guard, hide);
}

/** The guard's two paths, as `PostgresTarget` takes them for DELETE and COPY: write, then look; on a find, undo, lock, look again. */
async function guarded(client: pg.Client, batch: ApplyBatch, guard: Checkpoint, hide: boolean): Promise<ApplyResult> {
  const { shape } = batch;
  const wanted = new Set(batch.deletes);
  await client.query('SAVEPOINT bucardo_guard');
  const written = await writeStaged(client, shape, batch.deletes, hide);
  const changed = intersect(await changedSince(client, shape, guard), wanted);
  if (changed.size === 0) {
    await client.query('RELEASE SAVEPOINT bucardo_guard');
    return { ...written, skipped: [] };
  }
  await client.query('ROLLBACK TO SAVEPOINT bucardo_guard');
  const { sql, params } = keyCondition(shape, batch.deletes, hide);
  await client.query(`SELECT 1 FROM ONLY ${qualified(shape.table)} WHERE ${sql} FOR UPDATE`, params);
  const locked = intersect(await changedSince(client, shape, guard), wanted);
  if (locked.size > 0) {
    const { sql: lockedKeys, params: lockedParams } = keyCondition(shape, [...locked], false);
    await client.query(`DELETE FROM ${STAGE} WHERE ${lockedKeys}`, lockedParams);
  }
  const afterLock = await writeStaged(client, shape, batch.deletes.filter((key) => !locked.has(key)), hide);
  await addLocalChanges(client, shape, batch.rows, locked, guard);
  await client.query('RELEASE SAVEPOINT bucardo_guard');
  return { ...afterLock, skipped: [...locked] };
}

/**
 * The staged images into the table: rows of `keys` without an image deleted, rows with one updated in
 * place, the others inserted. Counted as DELETE and COPY count them (an updated row is one of each).
 */
async function writeStaged(client: pg.Client, shape: TableShape, keys: readonly KeyText[], hide: boolean): Promise<{ deleted: number; inserted: number }> {
  if (keys.length === 0) return { deleted: 0, inserted: 0 };
  const table = qualified(shape.table);
  const matches = (left: string, right: string) => shape.key.map(({ name }) => `${left}.${quoteIdent(name)} = ${right}.${quoteIdent(name)}`).join(' AND ');
  const { sql, params } = keyCondition(shape, keys, hide, 1, 'bucardo_row.');
  const gone = await client.query(`DELETE FROM ONLY ${table} AS bucardo_row WHERE ${sql} AND NOT EXISTS (SELECT 1 FROM ${STAGE} AS bucardo_image WHERE ${matches('bucardo_image', 'bucardo_row')})`, params);
  const keyNames = new Set(shape.key.map((column) => column.name));
  const others = shape.columns.filter((column) => !keyNames.has(column.name));
  const updated = others.length === 0 ? { rowCount: 0 } : await client.query(
    `UPDATE ONLY ${table} AS bucardo_row SET ${others.map(({ name }) => `${quoteIdent(name)} = bucardo_image.${quoteIdent(name)}`).join(', ')}
      FROM ${STAGE} AS bucardo_image WHERE ${matches('bucardo_row', 'bucardo_image')}`);
  // a key-only table's rows that are there already count as updated too
  const present = others.length > 0 ? updated.rowCount ?? 0
    : Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${STAGE} AS bucardo_image WHERE EXISTS (SELECT 1 FROM ONLY ${table} AS bucardo_row WHERE ${matches('bucardo_row', 'bucardo_image')})`)).rows[0]!.n);
  const added = await client.query(`INSERT INTO ${table} (${columnList(shape)}) SELECT ${columnList(shape)} FROM ${STAGE} AS bucardo_image
    WHERE NOT EXISTS (SELECT 1 FROM ONLY ${table} AS bucardo_row WHERE ${matches('bucardo_row', 'bucardo_image')})`);
  return { deleted: (gone.rowCount ?? 0) + present, inserted: present + (added.rowCount ?? 0) };
}

function intersect(found: ReadonlySet<KeyText>, wanted: ReadonlySet<KeyText>): Set<KeyText> {
  const both = new Set<KeyText>();
  for (const key of found) if (wanted.has(key)) both.add(key);
  return both;
}
