import type pg from 'pg';
import { BucardoError, formatTable, keyMaker, tableId, type CaptureProblem, type Checkpoint, type KeyChange, type SourceChanges, type TableChanges, type TableShape } from '@bucardo/plugin-sdk';
import { CAPTURE_SCHEMA, MADE_DELTA, TRUNCATE_LOG, additiveColumn, captureNames, notMadeBy, truncateNotMadeBy } from './capture-names.js';
import { marksTableExists } from './marks-table.js';
import { captureProblems } from './capture-check.js';
import { keyColumnList, partitionCondition } from './key-sql.js';
import { quoteLiteral } from './connect.js';
import { ChangeFold } from './change-fold.js';
import { forEachLine } from './copy-out-parser.js';
import { copyOutBatches } from './copy-out-query.js';
import { unnestRows } from './unnest.js';

/**
 * The rows of a capture interval: committed after the snapshot `since` and visible in `until` when given.
 * Each is SQL text of a snapshot: a parameter (`$1`) or, for COPY, which takes none, a quoted literal.
 */
export function interval(since = '$1', until?: string): string {
  const after = `bucardo_txid >= pg_catalog.pg_snapshot_xmin(${since}::pg_snapshot) AND NOT pg_catalog.pg_visible_in_snapshot(bucardo_txid, ${since}::pg_snapshot)`;
  return until === undefined ? after : `${after} AND pg_catalog.pg_visible_in_snapshot(bucardo_txid, ${until}::pg_snapshot)`;
}

/**
 * "The record is about one of these tables", for the truncate log, with the schema and name arrays as
 * parameters `$n` and `$n+1` (pairs, not dotted names: schema `a.b` table `c` is not schema `a` table `b.c`).
 */
function forTables(shapes: readonly TableShape[], firstParam: number): { sql: string; values: string[][] } {
  return {
    sql: `(schemaname, tablename) IN (SELECT * FROM ${unnestRows([`$${firstParam}::text[]`, `$${firstParam + 1}::text[]`])})`,
    values: [shapes.map((shape) => shape.table.schema), shapes.map((shape) => shape.table.name)],
  };
}

/**
 * Reads the changes committed after `since` (a snapshot) and visible now, or in `until`. Commit order is
 * not insertion order, so a watermark on an id would lose a long transaction that commits after a later
 * one; instead a run consumes exactly the rows visible in its own snapshot and not in the previous one
 * (PgQ's method), and needs no per-row bookkeeping. Keys come in key order, so that the same interval
 * always gives the same change set (a resumed run skips the transactions it already committed).
 */
export async function readChanges(client: pg.Client, db: string, shapes: readonly TableShape[], since: Checkpoint, until?: Checkpoint, partition?: Partition, skip?: string): Promise<SourceChanges> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const snapshot = until ?? (await client.query<{ snapshot: string }>('SELECT pg_catalog.pg_current_snapshot()::text AS snapshot')).rows[0]!.snapshot;
    // a dropped or disabled trigger records nothing: without this, the run would see no changes and say nothing
    const [broken] = await captureProblems(client, shapes.map((shape) => shape.table));
    if (broken) throw brokenCapture(db, broken);
    // `skip`: the reading sync, whose own records (makedelta, marked in MADE_DELTA) are not its changes
    const truncates = await readTruncates(client, shapes, since, until, skip);
    const changed = await changedTables(client, await withRecords(client, shapes), since, until, partition !== undefined);
    const tables = new Map<string, TableChanges>();
    for (const shape of shapes) {
      const id = tableId(shape.table);
      const truncatedAt = truncates.get(id);
      const probe = changed.get(id);
      if (probe === undefined && truncatedAt === undefined) continue;
      const changes = probe === undefined ? new Map<string, KeyChange>() : await readTable(client, db, shape, since, until, partition, skip);
      if (changes.size > 0 || truncatedAt !== undefined) {
        const newestOverall = partition && changes.size > 0 ? probe?.newest : undefined;
        tables.set(id, {
          table: shape.table, changes, ...(truncatedAt === undefined ? {} : { truncatedAt }), ...(newestOverall === undefined ? {} : { newestOverall }),
        });
      }
    }
    await client.query('COMMIT');
    return { db, checkpoint: snapshot, tables };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Change records parsed per batch while the capture folds them: a few MB, whatever the backlog. */
const CAPTURE_BATCH_ROWS = 65_536;

/** One partition of a capture in parts (`CaptureArgs.partition`). */
export interface Partition {
  readonly index: number;
  readonly count: number;
}

async function readTable(client: pg.Client, db: string, shape: TableShape, since: Checkpoint, until: Checkpoint | undefined, partition: Partition | undefined, own: string | undefined): Promise<ReadonlyMap<string, KeyChange>> {
  const names = captureNames(shape.table);
  const keys = keyColumnList(shape);
  const additive = shape.additive ?? [];
  const deltas = additive.map((column) => `, coalesce(${additiveColumn(column)}, 0)`).join('');
  const where = interval(quoteLiteral(since), until === undefined ? undefined : quoteLiteral(until))
    + (partition && partition.count > 1 ? ` AND ${partitionCondition(shape, partition.index, partition.count)}` : '')
    + (own === undefined ? '' : ` AND ${notMadeBy(quoteLiteral(own), quoteLiteral(shape.table.schema), quoteLiteral(shape.table.name))}`);
  // The change records stream in key order (so the same interval always gives the same change set) and
  // are folded per key here: PostgreSQL sorts a million rows in a second or two, while grouping them with
  // ordered aggregates takes several. Changes to one key are ordered by time, not transaction id:
  // concurrent writers of a row take its lock in any order, but each writes its record after the lock.
  const sql = `COPY (SELECT ${keys}, bucardo_op, (extract(epoch FROM bucardo_changed_at) OPERATOR(pg_catalog.*) 1000000)::bigint${deltas}
             FROM ${names.delta} WHERE ${where}
            ORDER BY ${keys}, bucardo_changed_at, bucardo_txid) TO STDOUT`;
  const fold = new ChangeFold(shape);
  try {
    for await (const rows of copyOutBatches(client, sql, CAPTURE_BATCH_ROWS)) forEachLine(rows, (line) => fold.line(line));
  } catch (error) {
    throw keyNotCaptured(error, shape, db) ?? error;
  }
  return fold.changes;
}

/**
 * A key column the change table lacks (SQLSTATE 42703: the table's key was replaced since its capture was
 * installed, and the old key is no longer a key, else it would have been kept; or a key column was
 * renamed), said with what to do. Keeping the old key loses nothing; moving to the new key drops the
 * changes held for the table.
 */
function keyNotCaptured(error: unknown, shape: TableShape, db: string): BucardoError | undefined {
  if ((error as { code?: unknown }).code !== '42703') return undefined;
  const table = formatTable(shape.table);
  const key = shape.key.map((column) => column.name).join(', ');
  return new BucardoError('CAPTURE_FAILED',
    `The key of table "${table}" on database "${db}" is now (${key}), its ${shape.keySource}, but its capture records changes by another key (${(error as Error).message}): the key was replaced, or a key column renamed. `
    + 'To lose nothing, give a renamed column its old name, or make the old key unique again on every database (CREATE UNIQUE INDEX on its columns, NOT NULL): the sync goes on by it. '
    + `To move to the new key: bucardo remove table ${table} --force, then add it again and copy it anew (onetimecopy=1); the changes held for it are dropped with its capture, `
    + 'and the copy goes from the first source to the targets only: with several sources, stop the writers and make the sources agree first (bucardo compare), or rows only the others have are lost',
    { db, table, cause: error });
}

/**
 * The tables with change records in the interval, by `tableId`, in one statement: a sync of hundreds of
 * tables would otherwise pay one COPY round trip per table on every run, most of them empty. With
 * `newest`, each also gets the time of its newest record (µs) over the whole interval, whatever the
 * partition (a partitioned capture ranks tables by it in every partition alike); without, an indexed
 * probe that stops at the first record.
 */
async function changedTables(client: pg.Client, shapes: readonly TableShape[], since: Checkpoint, until: Checkpoint | undefined, newest: boolean): Promise<Map<string, { newest?: number }>> {
  if (shapes.length === 0) return new Map();
  const where = interval('$1', until === undefined ? undefined : '$2');
  const probes = shapes.map((shape) => newest
    ? `(SELECT (extract(epoch FROM pg_catalog.max(bucardo_changed_at)) OPERATOR(pg_catalog.*) 1000000)::bigint FROM ${captureNames(shape.table).delta} WHERE ${where})`
    : firstRecord(captureNames(shape.table).delta, where));
  const row = await selectColumns(client, probes, until === undefined ? [since] : [since, until]);
  const changed = new Map<string, { newest?: number }>();
  shapes.forEach((shape, index) => {
    const value = row[index];
    if (value !== null && value !== undefined) changed.set(tableId(shape.table), newest ? { newest: Number(value) } : {});
  });
  return changed;
}

/**
 * A scalar subquery that is 1 when `table` has a record matching `where`, else NULL. Ordered by the
 * transaction id, so that the planner walks the txid index from the interval's start: an `EXISTS` or a
 * bare `LIMIT 1` is planned as a sequential scan that stops at the first match, which reads every
 * consumed record not purged yet when nothing matches (2 ms per 10,000; the daemon probes every 250 ms
 * and purges once a minute). `EXISTS` would drop the ORDER BY, hence the scalar form.
 */
export function firstRecord(table: string, where: string): string {
  return `(SELECT 1 FROM ${table} WHERE ${where} ORDER BY bucardo_txid LIMIT 1)`;
}

/** The latest TRUNCATE of each table in the interval, by `tableId`; not those `own` copied here (makedelta). */
async function readTruncates(client: pg.Client, shapes: readonly TableShape[], since: Checkpoint, until: Checkpoint | undefined, own: string | undefined): Promise<Map<string, number>> {
  const snapshots = until === undefined ? [since] : [since, until];
  const tables = forTables(shapes, snapshots.length + 1);
  const mine = own === undefined ? '' : ` AND ${truncateNotMadeBy(`$${snapshots.length + 3}`)}`;
  const result = await client.query<string[]>({
    text: `SELECT schemaname, tablename, (extract(epoch FROM pg_catalog.max(truncated_at)) OPERATOR(pg_catalog.*) 1000000)::bigint
             FROM ${TRUNCATE_LOG} WHERE ${interval('$1', until === undefined ? undefined : '$2')} AND ${tables.sql}${mine} GROUP BY schemaname, tablename`,
    values: [...snapshots, ...tables.values, ...(own === undefined ? [] : [own])],
    rowMode: 'array',
  });
  return new Map(result.rows.map(([schema, name, at]) => [tableId({ schema: schema!, name: name! }), Number(at)]));
}

/**
 * Keys of a table changed on this database after `since`: the concurrent local writes an apply must not
 * overwrite. The records `exceptOrigin` made here (makedelta) are its own writes, not a user's.
 */
export async function changedSince(client: pg.Client, shape: TableShape, since: Checkpoint, exceptOrigin?: string): Promise<Set<string>> {
  const names = captureNames(shape.table);
  const result = await client.query<string[]>({
    text: `SELECT DISTINCT ${keyColumnList(shape)} FROM ${names.delta} WHERE ${interval()}${exceptOrigin === undefined ? '' : ` AND ${notMadeBy('$2', quoteLiteral(shape.table.schema), quoteLiteral(shape.table.name))}`}`,
    values: exceptOrigin === undefined ? [since] : [since, exceptOrigin],
    rowMode: 'array',
  });
  const width = shape.key.length;
  const makeKey = keyMaker(shape.key.map((column) => column.type));
  return new Set(result.rows.map((row) => makeKey(row.slice(0, width))));
}

/** Whether any of these tables has a change or a truncate committed after `since`: indexed probes, in one statement. */
export async function hasChanges(client: pg.Client, shapes: readonly TableShape[], since: Checkpoint): Promise<boolean> {
  if (shapes.length === 0) return false;
  const tables = forTables(shapes, 2);
  const probes = [
    ...(await withRecords(client, shapes)).map((shape) => firstRecord(captureNames(shape.table).delta, interval())),
    firstRecord(TRUNCATE_LOG, `${interval()} AND ${tables.sql}`),
  ];
  const result = await client.query<{ changed: string }>({ text: `SELECT ${probes.map((probe) => `${probe} IS NOT NULL`).join(' OR ')} AS changed`, values: [since, ...tables.values] });
  return result.rows[0]?.changed === 't';
}

/**
 * Deletes the change records that every given checkpoint has consumed: those whose transaction is visible
 * in each checkpoint's snapshot, exactly what the runs that took those checkpoints read. (A horizon such as
 * `txid < xmin` would keep everything written after any transaction still open anywhere on the server, so
 * one idle transaction would let the delta tables grow without end.) Returns how many rows went.
 */
export async function purge(client: pg.Client, shapes: readonly TableShape[], consumed: readonly Checkpoint[]): Promise<number> {
  if (consumed.length === 0) return 0;
  // the txid index bounds the scan; the visibility test is exact
  const seen = `bucardo_txid < (SELECT pg_catalog.min(pg_catalog.pg_snapshot_xmax(s::pg_snapshot)) FROM pg_catalog.unnest($1::text[]) AS s)
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.unnest($1::text[]) AS s WHERE NOT pg_catalog.pg_visible_in_snapshot(bucardo_txid, s::pg_snapshot))`;
  let purged = 0;
  for (const shape of await withRecords(client, shapes)) {
    const result = await client.query(`DELETE FROM ${captureNames(shape.table).delta} WHERE ${seen}`, [consumed]);
    purged += result.rowCount ?? 0;
  }
  const tables = forTables(shapes, 2);
  const truncates = await client.query(`DELETE FROM ${TRUNCATE_LOG} WHERE ${seen} AND ${tables.sql}`, [consumed, ...tables.values]);
  // makedelta's marks go with the records they mark (a capture made before makedelta has none)
  if (await marksTableExists(client)) await client.query(`DELETE FROM ${MADE_DELTA} WHERE ${seen} AND ${tables.sql}`, [consumed, ...tables.values]);
  return purged + (truncates.rowCount ?? 0);
}

/** Change records not consumed by `since`, per table: one statement, since a run asks this before each capture. */
export async function pending(client: pg.Client, shapes: readonly TableShape[], since: Checkpoint): Promise<Map<string, number>> {
  if (shapes.length === 0) return new Map();
  const counted = await withRecords(client, shapes);
  const counts = counted.map((shape) => `(SELECT pg_catalog.count(*) FROM ${captureNames(shape.table).delta} WHERE ${interval()})`);
  const row = await selectColumns(client, counts, [since]);
  const pendingOf = new Map(counted.map((shape, index) => [tableId(shape.table), Number(row[index] ?? 0)]));
  return new Map(shapes.map((shape) => [tableId(shape.table), pendingOf.get(tableId(shape.table)) ?? 0]));
}

/**
 * About how many distinct keys the change records not consumed by `since` are about, per table: asked
 * for the tables a run would copy whole by their record count, whose records may rather be a few rows
 * changed many times. Counting them exactly costs 0.5–1.7 s of the source's time per million records (a
 * hash or sort of every key), about as much as the copy it decides on saves, so the first
 * `KEY_SAMPLE` records (in transaction order, off the txid index) are looked at first: if nearly all
 * their keys differ, the keys are estimated from them (a bulk change, the case the rule is for); if they
 * repeat, the exact count is worth its price, since it may spare a large table's copy. The oldest records
 * speak for all: a bulk change followed by many changes of a few rows counts as the bulk change, and the
 * table is copied whole, as it was before keys were counted.
 */
export async function pendingKeys(client: pg.Client, shapes: readonly TableShape[], since: Checkpoint, records?: ReadonlyMap<string, number>): Promise<Map<string, number>> {
  const keys = new Map<string, number>();
  for (const shape of shapes) {
    const delta = captureNames(shape.table).delta;
    const keyColumns = keyColumnList(shape);
    const sampled = await client.query<{ n: string; keys: string }>(
      `WITH sample AS (SELECT ${keyColumns} FROM ${delta} WHERE ${interval()} ORDER BY bucardo_txid LIMIT ${KEY_SAMPLE})
       SELECT pg_catalog.count(*) AS n, (SELECT pg_catalog.count(*) FROM (SELECT DISTINCT * FROM sample) AS k) AS keys FROM sample`,
      [since],
    );
    const n = Number(sampled.rows[0]!.n);
    const distinct = Number(sampled.rows[0]!.keys);
    let counted: number;
    if (n < KEY_SAMPLE) counted = distinct;
    else if (distinct >= NEARLY_ALL * n) {
      counted = Math.round(((records?.get(tableId(shape.table)) ?? (await countRecords(client, delta, since))) * distinct) / n);
    } else {
      const exact = await client.query<{ n: string }>(`SELECT pg_catalog.count(*) AS n FROM (SELECT DISTINCT ${keyColumns} FROM ${delta} WHERE ${interval()}) AS k`, [since]);
      counted = Number(exact.rows[0]!.n);
    }
    keys.set(tableId(shape.table), counted);
  }
  return keys;
}

async function countRecords(client: pg.Client, delta: string, since: Checkpoint): Promise<number> {
  const result = await client.query<{ n: string }>(`SELECT pg_catalog.count(*) AS n FROM ${delta} WHERE ${interval()}`, [since]);
  return Number(result.rows[0]!.n);
}

/** Change records looked at before deciding how to count a table's keys. */
const KEY_SAMPLE = 10_000;
/** The share of distinct keys in the sample above which its records are taken as mostly distinct keys. */
const NEARLY_ALL = 0.9;

/**
 * The tables whose delta table may hold records: those with at least one page. A table never changed (or
 * whose delta table a vacuum has emptied to nothing) is left out of the per-table probes, whose planning
 * costs about 0.1 ms per table and statement: with hundreds of mostly quiet tables, that was most of an
 * empty run and of every autokick probe. One catalog statement; a delta table that does not exist stays
 * in, so that the probe fails on it as before rather than reading it as "no changes". The purge skips
 * them as well: nothing to delete there.
 */
async function withRecords(client: pg.Client, shapes: readonly TableShape[]): Promise<TableShape[]> {
  // for a few tables, probing them all costs less than the round trip that would leave some out
  if (shapes.length <= PROBE_ALL_UP_TO) return [...shapes];
  const result = await client.query<{ ord: string }>(
    `SELECT w.ord FROM pg_catalog.unnest($1::text[]) WITH ORDINALITY AS w(name, ord)
       JOIN pg_namespace n ON n.nspname = $2
       JOIN pg_class c ON c.relname = w.name AND c.relnamespace = n.oid
      WHERE pg_catalog.pg_relation_size(c.oid) = 0`,
    [shapes.map((shape) => captureNames(shape.table).deltaName), CAPTURE_SCHEMA],
  );
  const empty = new Set(result.rows.map((row) => Number(row.ord) - 1));
  return shapes.filter((_, index) => !empty.has(index));
}

/** Up to this many tables, every delta table is probed (a probe plans in ~0.1 ms, the catalog statement takes ~1 ms). */
const PROBE_ALL_UP_TO = 16;

/** A select list is at most 1,664 columns long. */
const MAX_COLUMNS = 1000;

/** `SELECT <expressions>` as one row, in as few statements as the column limit allows. */
async function selectColumns(client: pg.Client, expressions: readonly string[], values: readonly unknown[]): Promise<Array<string | null>> {
  const row: Array<string | null> = [];
  for (let start = 0; start < expressions.length; start += MAX_COLUMNS) {
    const result = await client.query<Array<string | null>>({ text: `SELECT ${expressions.slice(start, start + MAX_COLUMNS).join(', ')}`, values: [...values], rowMode: 'array' });
    row.push(...(result.rows[0] ?? []));
  }
  return row;
}

/** The error of a capture that found a table's trigger missing or disabled: what is lost, and the fix. */
export function brokenCapture(db: string, problem: CaptureProblem): BucardoError {
  const table = formatTable(problem.table);
  const what = problem.state === 'missing' ? 'is missing (dropped, or never installed there)' : 'is disabled';
  return new BucardoError('CAPTURE_FAILED',
    `Capture of table "${table}" on database "${db}" is not working: its trigger ${problem.trigger} ${what}, so changes made there are not recorded. bucardo validate on the sync installs it again; then bucardo compare on the sync, for ${table}, shows what was missed`,
    { db, table });
}
