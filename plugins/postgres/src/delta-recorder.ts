import type pg from 'pg';
import { keyMaker, tableId, type ApplyBatch, type KeyText, type TableShape } from '@bucardo/plugin-sdk';
import { CAPTURE_SCHEMA, MADE_DELTA, MADE_DELTA_SQL, TRUNCATE_LOG, additiveColumn, captureNames, qualified } from './capture-names.js';
import { quoteIdent } from './connect.js';
import { arrayLiteral, keyColumnList, keyCondition, keyColumnsOf, keysMatch } from './key-sql.js';
import { MarksTable } from './marks-table.js';
import { unnestRows } from './unnest.js';

/**
 * The keys of a batch that were there before it was written, each with its additive columns' values then,
 * as text. Known only where the batch is written in place (`prepare`).
 */
type Before = ReadonlyMap<KeyText, ReadonlyArray<string | null>>;

/** The keys of a batch that were there before it was written: `Before`'s keys, or what its DELETE found. */
type Existed = Pick<ReadonlySet<KeyText>, 'has'>;

/** What `prepare` read, and (DELETE and COPY) the keys the batch's DELETE found, given after the batch. */
export interface Prepared {
  readonly before?: Before;
  readonly existed?: Existed;
}

/** What a batch leaves to record at the end of its transaction: its keys, not its rows (images are not kept). */
interface Pending {
  readonly shape: TableShape;
  readonly sync: string;
  readonly keys: readonly KeyText[];
  readonly before: Before | undefined;
  readonly existed: Existed | undefined;
}

/**
 * makedelta (Bucardo's): the keys a transaction wrote into a database that captures the table (it is a
 * source of some sync) are recorded in the table's delta table there, in the same transaction, as the
 * capture trigger would have recorded them had the apply not kept it quiet (the same columns), and the
 * transaction marked as the writing sync's (`MADE_DELTA`), whose own capture skips it. They get the apply
 * transaction's id, so other syncs read them once it commits, like any change (commit order, trap 1). One
 * statement per table batch, never per row; the capture trigger and its WHEN are untouched.
 *
 * Recorded when the transaction's writes are done (`flush`, from `prepareCommit`), not after each batch: on
 * a table foreign keys point at, the target holds deletes and puts some writes off until then, and a
 * record's operation is what the row's state then says (`I`, `U`, `D`).
 */
export class DeltaRecorder {
  /** Tables captured here (kept: capture, once installed, stays). */
  readonly #ready = new Set<string>();
  /**
   * Tables not captured here, for the transaction: a receiver that is only a target is asked once per table
   * and transaction, not per batch; capture installed meanwhile is seen by the next transaction.
   */
  readonly #absent = new Set<string>();
  readonly #client: pg.Client;
  #pending: Pending[] = [];
  /** Keys the local-change guard left alone after their batch was applied (held deletes), by `tableId`. */
  readonly #leftAlone = new Map<string, Set<KeyText>>();

  /** Whether the marks table is there: asked once a session (per table, it was a round trip each). */
  readonly #marks = new MarksTable();

  constructor(client: pg.Client) {
    this.#client = client;
  }

  /**
   * Before the batch is written: whether its keys are to be recorded (makedelta asked and the table captured
   * here). Where it is written in place (`inPlace`: additive columns, a table foreign keys point at), the
   * keys there now, with their additive columns' values, so that a record says `I` for a key that was not
   * there and carries new - old as the trigger's does; one SELECT by key, on a path that already stages
   * its images. Not on the DELETE and COPY path, the fast one, where a second probe per key would cost:
   * there the DELETE returns the keys it found (`existed`, given to `add`).
   */
  async prepare(batch: ApplyBatch, inPlace: boolean): Promise<Prepared | undefined> {
    if (!batch.makeDelta || batch.deletes.length === 0 || !await this.#captured(batch.shape)) return undefined;
    if (!inPlace) return {};
    const additive = batch.shape.additive ?? [];
    const { sql, params } = keyCondition(batch.shape, batch.deletes, false);
    const width = batch.shape.key.length;
    const values = additive.map((column) => `, ${quoteIdent(column)}::text`).join('');
    const result = await this.#client.query<Array<string | null>>({
      text: `SELECT ${keyColumnList(batch.shape)}${values} FROM ONLY ${qualified(batch.shape.table)} WHERE ${sql}`,
      values: params, rowMode: 'array',
    });
    const keyOf = keyMaker(batch.shape.key.map((column) => column.type));
    return { before: new Map(result.rows.map((row) => [keyOf(row.slice(0, width) as string[]), row.slice(width)])) };
  }

  /**
   * After the batch is applied: its keys are to be recorded when the transaction's writes are done (not
   * those left alone, `skipped`, unless the table has additive columns, which such a key still takes the
   * others' share of).
   */
  add(batch: ApplyBatch, prepared: Prepared, skipped: readonly KeyText[]): void {
    const additive = batch.shape.additive ?? [];
    // a key left alone still took the other sources' share of its additive columns: that is recorded too
    const left = new Set(additive.length > 0 ? [] : skipped);
    const keys = left.size === 0 ? batch.deletes : batch.deletes.filter((key) => !left.has(key));
    if (keys.length > 0) this.#pending.push({ shape: batch.shape, sync: batch.makeDelta!.sync, keys, before: prepared.before, existed: prepared.existed ?? prepared.before });
  }

  /** Keys of a held delete that the local-change guard left alone: the user's change there is recorded already. */
  leaveAlone(shape: TableShape, keys: ReadonlySet<KeyText>): void {
    if (keys.size === 0 || (shape.additive ?? []).length > 0) return;
    const id = tableId(shape.table);
    const left = this.#leftAlone.get(id) ?? new Set<KeyText>();
    for (const key of keys) left.add(key);
    this.#leftAlone.set(id, left);
  }

  /** The transaction's writes are done: every pending batch recorded, one statement each. */
  async flush(): Promise<void> {
    const pending = this.#pending;
    const leftAlone = new Map(this.#leftAlone);
    this.clear();
    for (const entry of pending) {
      const left = leftAlone.get(tableId(entry.shape.table));
      await this.#record(left === undefined ? entry : { ...entry, keys: entry.keys.filter((key) => !left.has(key)) });
    }
  }

  /** A transaction begins or is rolled back: nothing it wrote is to be recorded. */
  clear(): void {
    this.#pending = [];
    this.#leftAlone.clear();
  }

  /**
   * One record per key: `D` where the row is gone now, `I` where it is there and was not before the batch
   * (`existed`), `U` otherwise; additive columns as new - old.
   */
  async #record({ shape, sync: syncName, keys, before, existed }: Pending): Promise<void> {
    if (keys.length === 0) return;
    const additive = shape.additive ?? [];
    const keyArrays = keyColumnsOf(shape, keys);
    const params: string[] = keyArrays.map(arrayLiteral);
    const unnested = shape.key.map((column, index) => `$${index + 1}::text[]::${column.type}[]`);
    const olds = additive.map((_, index) => {
      params.push(arrayLiteral(keys.map((key) => before?.get(key)?.[index] ?? '0')));
      return `$${params.length}::text[]`;
    });
    const extra = [...olds];
    if (existed !== undefined) {
      params.push(arrayLiteral(keys.map((key) => (existed.has(key) ? 't' : 'f'))));
      extra.push(`$${params.length}::text[]::boolean[]`);
    }
    params.push(syncName, shape.table.schema, shape.table.name);
    const [sync, schema, table] = [`$${params.length - 2}`, `$${params.length - 1}`, `$${params.length}`] as const;
    const keyNames = shape.key.map((_, index) => `k${index}`);
    const extraNames = [...additive.map((_, index) => `o${index}`), ...(existed === undefined ? [] : ['existed'])];
    const joined = keysMatch(shape, 't', (index) => `u.k${index}`);
    const present = `t.${quoteIdent(shape.key[0]!.name)} IS NOT NULL`;
    const written = existed === undefined ? "'U'" : "CASE WHEN u.existed THEN 'U' ELSE 'I' END";
    const columns = [...shape.key.map((column) => quoteIdent(column.name)), 'bucardo_op', ...additive.map(additiveColumn)];
    const values = [
      ...keyNames.map((name) => `u.${name}`), `CASE WHEN ${present} THEN ${written} ELSE 'D' END`,
      ...additive.map((column, index) => `coalesce(t.${quoteIdent(column)}, 0) OPERATOR(pg_catalog.-) u.o${index}::numeric`),
    ];
    // the mark and the records in one statement: one round trip per table batch
    await this.#client.query(
      `WITH mark AS (${markSql(sync, schema, table)})
       INSERT INTO ${captureNames(shape.table).delta} (${columns.join(', ')})
       SELECT ${values.join(', ')} FROM ${unnestRows([...unnested, ...extra])} AS u(${[...keyNames, ...extraNames].join(', ')})
         LEFT JOIN ONLY ${qualified(shape.table)} AS t ON ${joined}`,
      params,
    );
  }

  /**
   * A truncate a sync copied here (a truncate's winner), or a whole-table copy it made (an initial copy, a
   * fullcopy member), recorded as the capture's truncate trigger would have recorded a truncate, marked
   * with the sync: the other syncs reading this database copy the table whole in turn.
   */
  async recordTruncate(shape: TableShape, sync: string): Promise<void> {
    if (!await this.#captured(shape)) return;
    await this.#client.query(`WITH mark AS (${markSql('$3', '$1', '$2')}) INSERT INTO ${TRUNCATE_LOG} (schemaname, tablename) VALUES ($1, $2)`, [shape.table.schema, shape.table.name, sync]);
  }

  /** The sync whose records a guard should not take for a user's change on this table, if it records here. */
  exceptOrigin(batch: ApplyBatch): string | undefined {
    return batch.makeDelta && this.#ready.has(tableId(batch.shape.table)) ? batch.makeDelta.sync : undefined;
  }

  /** A transaction begins: what was not captured is asked again. */
  forgetAbsent(): void {
    this.#absent.clear();
  }

  /** Whether the table is captured here (its delta table exists); the marks table made if a capture made before makedelta lacks it. */
  async #captured(shape: TableShape): Promise<boolean> {
    const id = tableId(shape.table);
    if (this.#ready.has(id)) return true;
    if (this.#absent.has(id)) return false;
    const found = await this.#client.query<{ delta: string | null }>(
      'SELECT pg_catalog.to_regclass($1) AS delta', [`${quoteIdent(CAPTURE_SCHEMA)}.${quoteIdent(captureNames(shape.table).deltaName)}`],
    );
    // not a source of any sync here: no delta table, no one to read the records
    if (found.rows[0]?.delta === null) {
      this.#absent.add(id);
      return false;
    }
    if (!await this.#marks.exists(this.#client)) await this.#client.query(MADE_DELTA_SQL);
    this.#ready.add(id);
    return true;
  }
}

/** The mark of this transaction as `sync`'s for the table (SQL expressions), once however many batches. */
function markSql(sync: string, schema: string, table: string): string {
  return `INSERT INTO ${MADE_DELTA} (schemaname, tablename, sync) VALUES (${schema}, ${table}, ${sync}) ON CONFLICT DO NOTHING`;
}
