import type pg from 'pg';
import { keyMaker, tableId, type ApplyBatch, type KeyText, type TableShape } from '@bucardo/plugin-sdk';
import { CAPTURE_SCHEMA, ORIGIN_COLUMN, TRUNCATE_LOG, additiveColumn, captureNames, qualified } from './capture-names.js';
import { quoteIdent } from './connect.js';
import { arrayLiteral, keyColumnList, keyCondition, keyColumnsOf } from './key-sql.js';

/** The additive columns' values of a batch's keys before it was written, as text, by key. */
type Before = ReadonlyMap<KeyText, ReadonlyArray<string | null>>;

/**
 * makedelta (Bucardo's): after a batch is written into a database that captures the table (it is a source
 * of some sync), its keys are recorded in the table's delta table there, in the same transaction, as the
 * capture trigger would have recorded them had the apply not kept it quiet, and marked with the writing
 * sync's name (`ORIGIN_COLUMN`), which that sync's own capture skips. They get the apply transaction's id,
 * so other syncs read them once it commits, like any change (commit order, trap 1). One statement per table
 * batch, never per row; the capture trigger and its WHEN are untouched.
 */
export class DeltaRecorder {
  /** Tables whose delta table here has the origin column (positive answers only: capture may be installed later). */
  readonly #ready = new Set<string>();
  readonly #client: pg.Client;
  /** Whether the truncate log has the origin column (known once a truncate was recorded). */
  #truncatesMarked = false;

  constructor(client: pg.Client) {
    this.#client = client;
  }

  /**
   * Before the batch is written: whether its keys are to be recorded (makedelta asked and the table captured
   * here, its delta table given the origin column if it predates it), and for a table with additive columns
   * their values now, so that a record carries new - old as the trigger's does.
   */
  async prepare(batch: ApplyBatch): Promise<{ before?: Before } | undefined> {
    if (!batch.makeDelta || batch.deletes.length === 0 || !await this.#captured(batch.shape)) return undefined;
    const additive = batch.shape.additive ?? [];
    if (additive.length === 0) return {};
    const { sql, params } = keyCondition(batch.shape, batch.deletes, false);
    const width = batch.shape.key.length;
    const result = await this.#client.query<Array<string | null>>({
      text: `SELECT ${keyColumnList(batch.shape)}, ${additive.map((column) => `${quoteIdent(column)}::text`).join(', ')} FROM ONLY ${qualified(batch.shape.table)} WHERE ${sql}`,
      values: params, rowMode: 'array',
    });
    const keyOf = keyMaker(batch.shape.key.map((column) => column.type));
    return { before: new Map(result.rows.map((row) => [keyOf(row.slice(0, width) as string[]), row.slice(width)])) };
  }

  /**
   * After the batch is written: one record per key written or deleted (not those left alone, `skipped`):
   * `U` where the row is there now, `D` where it is gone, additive columns as new - old.
   */
  async record(batch: ApplyBatch, prepared: { before?: Before }, skipped: readonly KeyText[]): Promise<void> {
    const left = new Set(skipped);
    const keys = left.size === 0 ? batch.deletes : batch.deletes.filter((key) => !left.has(key));
    if (keys.length === 0) return;
    const { shape } = batch;
    const additive = shape.additive ?? [];
    const keyArrays = keyColumnsOf(shape, keys);
    const params: string[] = keyArrays.map(arrayLiteral);
    const unnested = shape.key.map((column, index) => `$${index + 1}::text[]::${column.type}[]`);
    const olds = additive.map((_, index) => {
      params.push(arrayLiteral(keys.map((key) => prepared.before?.get(key)?.[index] ?? '0')));
      return `$${params.length}::text[]`;
    });
    params.push(batch.makeDelta!.sync);
    const origin = `$${params.length}`;
    const keyNames = shape.key.map((_, index) => `k${index}`);
    const oldNames = additive.map((_, index) => `o${index}`);
    const joined = shape.key.map((column, index) => `t.${quoteIdent(column.name)} = u.k${index}`).join(' AND ');
    const present = `t.${quoteIdent(shape.key[0]!.name)} IS NOT NULL`;
    const columns = [...shape.key.map((column) => quoteIdent(column.name)), 'bucardo_op', quoteIdent(ORIGIN_COLUMN), ...additive.map(additiveColumn)];
    const values = [
      ...keyNames.map((name) => `u.${name}`), `CASE WHEN ${present} THEN 'U' ELSE 'D' END`, origin,
      ...additive.map((column, index) => `coalesce(t.${quoteIdent(column)}, 0) - u.${oldNames[index]}::numeric`),
    ];
    await this.#client.query(
      `INSERT INTO ${captureNames(shape.table).delta} (${columns.join(', ')})
       SELECT ${values.join(', ')} FROM unnest(${[...unnested, ...olds].join(', ')}) AS u(${[...keyNames, ...oldNames].join(', ')})
         LEFT JOIN ONLY ${qualified(shape.table)} AS t ON ${joined}`,
      params,
    );
  }

  /**
   * A truncate a sync copied here (a truncate's winner), recorded as the capture's truncate trigger would
   * have, marked with the sync: the other syncs reading this database copy the table whole in turn.
   */
  async recordTruncate(shape: TableShape, sync: string): Promise<void> {
    if (!await this.#captured(shape)) return;
    if (!this.#truncatesMarked) {
      // a truncate log made before makedelta lacks the column
      await this.#client.query(`ALTER TABLE ${TRUNCATE_LOG} ADD COLUMN IF NOT EXISTS ${quoteIdent(ORIGIN_COLUMN)} text`);
      this.#truncatesMarked = true;
    }
    await this.#client.query(`INSERT INTO ${TRUNCATE_LOG} (schemaname, tablename, ${quoteIdent(ORIGIN_COLUMN)}) VALUES ($1, $2, $3)`, [shape.table.schema, shape.table.name, sync]);
  }

  /** The sync whose records a guard should not take for a user's change on this table, if it records here. */
  exceptOrigin(batch: ApplyBatch): string | undefined {
    return batch.makeDelta && this.#ready.has(tableId(batch.shape.table)) ? batch.makeDelta.sync : undefined;
  }

  /** Whether the table is captured here (its delta table exists), giving that delta table the origin column if it lacks it. */
  async #captured(shape: TableShape): Promise<boolean> {
    const id = tableId(shape.table);
    if (this.#ready.has(id)) return true;
    const names = captureNames(shape.table);
    const found = await this.#client.query<{ delta: string | null; origin: boolean }>(
      `SELECT to_regclass($1) AS delta,
              EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped) AS origin`,
      [`${quoteIdent(CAPTURE_SCHEMA)}.${quoteIdent(names.deltaName)}`, ORIGIN_COLUMN],
    );
    const row = found.rows[0]!;
    // not a source of any sync here: no delta table, no one to read the records
    if (row.delta === null) return false;
    // capture installed before makedelta existed: the column is added as capture install now adds it
    if (!row.origin) await this.#client.query(`ALTER TABLE ${names.delta} ADD COLUMN IF NOT EXISTS ${quoteIdent(ORIGIN_COLUMN)} text`);
    this.#ready.add(id);
    return true;
  }
}
