import type pg from 'pg';
import { keyMaker, tableId, type ChangeOp, type Checkpoint, type KeyChange, type SourceChanges, type TableChanges, type TableShape } from '@bucardo/plugin-sdk';
import { additiveColumn, captureNames } from './capture-names.js';
import { keyColumnList } from './key-sql.js';

const ops: Record<string, ChangeOp> = { I: 'insert', U: 'update', D: 'delete' };

/**
 * Reads the changes committed after `since` (a snapshot) and visible now. Commit order is not
 * insertion order, so a watermark on an id would lose a long transaction that commits after a later
 * one; instead this run consumes exactly the rows visible in its own snapshot and not in the previous
 * one (PgQ's method), and needs no per-row bookkeeping.
 */
export async function readChanges(client: pg.Client, db: string, shapes: readonly TableShape[], since: Checkpoint): Promise<SourceChanges> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const snapshot = (await client.query<{ snapshot: string }>('SELECT pg_current_snapshot()::text AS snapshot')).rows[0]!.snapshot;
    const tables = new Map<string, TableChanges>();
    for (const shape of shapes) {
      const changes = await readTable(client, shape, since);
      if (changes.size > 0) tables.set(tableId(shape.table), { table: shape.table, changes });
    }
    await client.query('COMMIT');
    return { db, checkpoint: snapshot, tables };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function readTable(client: pg.Client, shape: TableShape, since: Checkpoint): Promise<Map<string, KeyChange>> {
  const names = captureNames(shape.table);
  const keys = keyColumnList(shape);
  const additive = shape.additive ?? [];
  const sums = additive.map((column) => `, coalesce(sum(${additiveColumn(column)}), 0)::text`).join('');
  // Changes to one key are ordered by time, not transaction id: concurrent writers of a row take its lock
  // in any order, but each writes its delta row after getting the lock.
  const result = await client.query<string[]>({
    text: `SELECT ${keys},
                  (array_agg(bucardo_op ORDER BY bucardo_changed_at, bucardo_txid))[1] AS first_op,
                  (array_agg(bucardo_op ORDER BY bucardo_changed_at DESC, bucardo_txid DESC))[1] AS last_op,
                  (extract(epoch FROM max(bucardo_changed_at)) * 1000000)::bigint AS changed_at${sums}
             FROM ${names.delta}
            WHERE bucardo_txid >= pg_snapshot_xmin($1::pg_snapshot) AND NOT pg_visible_in_snapshot(bucardo_txid, $1::pg_snapshot)
            GROUP BY ${keys}`,
    values: [since],
    rowMode: 'array',
  });
  const width = shape.key.length;
  const makeKey = keyMaker(shape.key.map((column) => column.type));
  const changes = new Map<string, KeyChange>();
  for (const row of result.rows) {
    const key = makeKey(row.slice(0, width));
    const change: KeyChange = { firstOp: ops[row[width]!]!, lastOp: ops[row[width + 1]!]!, changedAt: Number(row[width + 2]) };
    changes.set(key, additive.length === 0 ? change : { ...change, additive: Object.fromEntries(additive.map((column, index) => [column, row[width + 3 + index]!])) });
  }
  return changes;
}

/** Keys of a table changed on this database after `since`: the concurrent local writes an apply must not overwrite. */
export async function changedSince(client: pg.Client, shape: TableShape, since: Checkpoint): Promise<Set<string>> {
  const names = captureNames(shape.table);
  const result = await client.query<string[]>({
    text: `SELECT DISTINCT ${keyColumnList(shape)} FROM ${names.delta}
            WHERE bucardo_txid >= pg_snapshot_xmin($1::pg_snapshot) AND NOT pg_visible_in_snapshot(bucardo_txid, $1::pg_snapshot)`,
    values: [since],
    rowMode: 'array',
  });
  const width = shape.key.length;
  const makeKey = keyMaker(shape.key.map((column) => column.type));
  return new Set(result.rows.map((row) => makeKey(row.slice(0, width))));
}

/** Whether any of these tables has a change committed after `since`: one indexed probe per table, in one statement. */
export async function hasChanges(client: pg.Client, shapes: readonly TableShape[], since: Checkpoint): Promise<boolean> {
  if (shapes.length === 0) return false;
  const probes = shapes.map((shape) => `EXISTS (SELECT 1 FROM ${captureNames(shape.table).delta}
      WHERE bucardo_txid >= pg_snapshot_xmin($1::pg_snapshot) AND NOT pg_visible_in_snapshot(bucardo_txid, $1::pg_snapshot))`);
  const result = await client.query<{ changed: string }>({ text: `SELECT ${probes.join(' OR ')} AS changed`, values: [since] });
  return result.rows[0]?.changed === 't';
}
