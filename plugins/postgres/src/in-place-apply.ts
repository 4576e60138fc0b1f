import type pg from 'pg';
import type { ApplyBatch, ApplyResult, Checkpoint, KeyText, TableShape } from '@bucardo/plugin-sdk';
import { addLocalChanges } from './additive-guarded.js';
import { qualified } from './capture-names.js';
import { quoteIdent } from './connect.js';
import { copyIn } from './copy-in.js';
import type { KeyIndexes } from './key-index.js';
import { columnList, keyCondition, keysMatch } from './key-sql.js';
import { guardedWrite, intersect } from './local-change-guard.js';

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
export async function applyInPlace(client: pg.Client, batch: ApplyBatch, keyIndexes: KeyIndexes, identities: AlwaysIdentity, options: { readonly replaceOnSwap?: boolean } = {}): Promise<ApplyResult> {
  const { shape } = batch;
  await client.query(`DROP TABLE IF EXISTS ${STAGE}; CREATE TEMP TABLE bucardo_stage ON COMMIT DROP AS SELECT ${columnList(shape)} FROM ONLY ${qualified(shape.table)} WITH NO DATA`);
  const buffers = batch.rows.map((rows) => rows.data).filter((data) => data.length > 0);
  if (buffers.length > 0) await copyIn(client, `COPY ${STAGE} (${columnList(shape)}) FROM STDIN`, buffers);
  const staged = buffers.length > 0;
  const write: Writer = { client, shape, staged, replaceOnSwap: options.replaceOnSwap ?? true, hide: await keyIndexes.hideKeys(shape, batch.deletes.length), always: await identities.of(client, shape) };
  if (batch.guard === undefined) return { ...await writeStaged(write, batch.deletes), skipped: [] };
  return guarded(write, batch, batch.guard);
}

/** What every write of one batch shares. */
interface Writer {
  readonly client: pg.Client;
  readonly shape: TableShape;
  /** Whether key lists go behind a subquery (`KeyIndexes.hideKeys`). */
  readonly hide: boolean;
  /** Its `GENERATED ALWAYS AS IDENTITY` columns, which UPDATE may not set. */
  readonly always: ReadonlySet<string>;
  /** Whether the batch brought rows: a copy's rows come without keys to delete, and are written all the same. */
  readonly staged: boolean;
  /**
   * Whether rows that swap a unique value may be written by DELETE and INSERT. Not where foreign keys point
   * at the table: the DELETE would take the rows' children with it (`ON DELETE CASCADE`), or be refused.
   */
  readonly replaceOnSwap: boolean;
}

/**
 * Per table, the columns `GENERATED ALWAYS AS IDENTITY`, asked once per session: an UPDATE may not set
 * them, and an INSERT writes them only with `OVERRIDING SYSTEM VALUE` (COPY writes them as given).
 */
export class AlwaysIdentity {
  readonly #known = new Map<string, ReadonlySet<string>>();

  async of(client: pg.Client, shape: TableShape): Promise<ReadonlySet<string>> {
    const id = qualified(shape.table);
    let columns = this.#known.get(id);
    if (!columns) {
      const result = await client.query<{ name: string }>(
        "SELECT attname AS name FROM pg_catalog.pg_attribute WHERE attrelid = $1::regclass::oid AND attidentity = 'a' AND NOT attisdropped", [id]);
      columns = new Set(result.rows.map((row) => row.name));
      this.#known.set(id, columns);
    }
    return columns;
  }
}

/**
 * Under the local-change guard: keys a user changed here after `guard` keep the user's row (their images
 * taken out of the stage), but their additive columns still take the image's values plus the user's
 * changes, where the row was there to lock.
 */
async function guarded(write: Writer, batch: ApplyBatch, guard: Checkpoint): Promise<ApplyResult> {
  const { client, shape, hide } = write;
  const { written, locked, present } = await guardedWrite(client, shape, batch.deletes, guard, hide, async (keys, left) => {
    if (left.size > 0) {
      const { sql, params } = keyCondition(shape, [...left], false);
      await client.query(`DELETE FROM ${STAGE} WHERE ${sql}`, params);
    }
    return writeStaged(write, keys);
  }, batch.makeDelta?.sync);
  await addLocalChanges(client, shape, batch.rows, intersect(locked, present), guard);
  return { ...written, skipped: [...locked] };
}

/**
 * The staged images into the table: rows of `keys` without an image deleted, rows with one updated in
 * place, the others inserted. Counted as DELETE and COPY count them (an updated row is one of each). An
 * UPDATE checks another unique constraint row by row, so two rows that swap a unique value fail it where
 * DELETE and INSERT pass: then the batch is written that way instead.
 */
async function writeStaged(write: Writer, keys: readonly KeyText[]): Promise<{ deleted: number; inserted: number }> {
  if (keys.length === 0 && !write.staged) return { deleted: 0, inserted: 0 };
  const { client } = write;
  await client.query('SAVEPOINT bucardo_in_place');
  try {
    const written = await updateStaged(write, keys);
    await client.query('RELEASE SAVEPOINT bucardo_in_place');
    return written;
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION || !write.replaceOnSwap) throw error;
    await client.query('ROLLBACK TO SAVEPOINT bucardo_in_place');
    const written = await replaceStaged(write, keys);
    await client.query('RELEASE SAVEPOINT bucardo_in_place');
    return written;
  }
}

/** A unique value another row holds. */
export const UNIQUE_VIOLATION = '23505';

async function updateStaged(write: Writer, keys: readonly KeyText[]): Promise<{ deleted: number; inserted: number }> {
  const { client, shape, hide, always } = write;
  const table = qualified(shape.table);
  const { sql, params } = keyCondition(shape, keys, hide, 1, 'bucardo_row.');
  const gone = await client.query(`DELETE FROM ONLY ${table} AS bucardo_row WHERE ${sql} AND NOT EXISTS (SELECT 1 FROM ${STAGE} AS bucardo_image WHERE ${keysMatch(shape, 'bucardo_image', 'bucardo_row')})`, params);
  const keyNames = new Set(shape.key.map((column) => column.name));
  const others = shape.columns.filter((column) => !keyNames.has(column.name) && !always.has(column.name));
  // The new rows and the updates in one statement: foreign keys are checked at its end, so a row updated to
  // point at a new row of its own table (a tree) finds it; the UPDATE, on the statement's snapshot, sees
  // only the rows that were there. With nothing to set, those rows count as updated.
  const insert = `INSERT INTO ${table} (${columnList(shape)}) OVERRIDING SYSTEM VALUE SELECT ${columnList(shape)} FROM ${STAGE} AS bucardo_image
    WHERE NOT EXISTS (SELECT 1 FROM ONLY ${table} AS bucardo_row WHERE ${keysMatch(shape, 'bucardo_row', 'bucardo_image')}) RETURNING 1`;
  const update = others.length === 0
    ? `SELECT 1 FROM ${STAGE} AS bucardo_image WHERE EXISTS (SELECT 1 FROM ONLY ${table} AS bucardo_row WHERE ${keysMatch(shape, 'bucardo_row', 'bucardo_image')})`
    : `UPDATE ONLY ${table} AS bucardo_row SET ${others.map(({ name }) => `${quoteIdent(name)} = bucardo_image.${quoteIdent(name)}`).join(', ')}
      FROM ${STAGE} AS bucardo_image WHERE ${keysMatch(shape, 'bucardo_row', 'bucardo_image')} RETURNING 1`;
  const { rows: [counts] } = await client.query<{ added: string; present: string }>(
    `WITH bucardo_added AS (${insert}), bucardo_present AS (${update})
     SELECT (SELECT pg_catalog.count(*) FROM bucardo_added) AS added, (SELECT pg_catalog.count(*) FROM bucardo_present) AS present`);
  const present = Number(counts!.present);
  return { deleted: (gone.rowCount ?? 0) + present, inserted: present + Number(counts!.added) };
}

/** The batch written as DELETE and INSERT, when updating in place broke another unique constraint. */
async function replaceStaged(write: Writer, keys: readonly KeyText[]): Promise<{ deleted: number; inserted: number }> {
  const { client, shape, hide } = write;
  const table = qualified(shape.table);
  const { sql, params } = keyCondition(shape, keys, hide);
  const gone = await client.query(`DELETE FROM ONLY ${table} WHERE ${sql}`, params);
  const added = await client.query(`INSERT INTO ${table} (${columnList(shape)}) OVERRIDING SYSTEM VALUE SELECT ${columnList(shape)} FROM ${STAGE}`);
  return { deleted: gone.rowCount ?? 0, inserted: added.rowCount ?? 0 };
}
