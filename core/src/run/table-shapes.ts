import { BucardoError, formatTable, tableId, type TableRef, type TableShape } from '@bucardo/plugin-sdk';
import type { RunSessions } from './sessions.js';
import { sourcesOf, type SyncPlan } from './sync-plan.js';

/**
 * Reads each table's shape from the first source and checks it against every other database of the
 * sync: the table must exist, have a key, and have every column with the same type, else a coded error
 * names the database, table and column. Extra columns on a receiving database are allowed (they keep
 * their defaults), as in Bucardo.
 */
export async function resolveTableShapes(plan: SyncPlan, sessions: RunSessions): Promise<TableShape[]> {
  const [first] = sourcesOf(plan);
  if (!first) throw new BucardoError('SYNC_INVALID', `Sync "${plan.name}" has no source database`, { sync: plan.name });
  const shapes: TableShape[] = [];
  for (const table of plan.tables) {
    const shape = await sessions.source(first.name).describeTable(table);
    if (!shape) throw missing(plan.name, first.name, table);
    if (shape.key.length === 0) {
      throw new BucardoError('TABLE_NO_KEY', `Table "${formatTable(table)}" on database "${first.name}" has no primary key or unique index`, { db: first.name, table: formatTable(table), sync: plan.name });
    }
    shapes.push(withAdditive(plan, shape, first.name));
  }
  await Promise.all(plan.databases.filter((db) => db.name !== first.name).map(async (db) => {
    const session = db.role === 'source' ? sessions.source(db.name) : sessions.target(db.name);
    if (!session.describeTable) return;
    for (const shape of shapes) compareShape(plan.name, db.name, shape, await session.describeTable(shape.table));
  }));
  return shapes;
}

function compareShape(sync: string, db: string, expected: TableShape, actual: TableShape | undefined): void {
  const table = formatTable(expected.table);
  if (!actual) throw missing(sync, db, expected.table);
  for (const column of expected.columns) {
    const found = actual.columns.find((candidate) => candidate.name === column.name);
    if (!found) {
      throw new BucardoError('TABLE_COLUMNS_MISMATCH', `Table "${table}" on database "${db}" has no column "${column.name}"`, { sync, db, table, column: column.name });
    }
    if (found.type !== column.type) {
      throw new BucardoError('TABLE_COLUMNS_MISMATCH', `Column "${column.name}" of table "${table}" is ${found.type} on database "${db}" but ${column.type} on the source`, { sync, db, table, column: column.name });
    }
  }
}

function missing(sync: string, db: string, table: TableRef): BucardoError {
  return new BucardoError('TABLE_MISSING', `Table "${formatTable(table)}" does not exist on database "${db}"`, { sync, db, table: formatTable(table) });
}

const additiveTypes = /^(smallint|integer|bigint|numeric|decimal|real|double precision)(\(|$)/;

/** Marks the table's additive columns on its shape, after checking them. */
function withAdditive(plan: SyncPlan, shape: TableShape, db: string): TableShape {
  const columns = plan.additive?.get(tableId(shape.table));
  if (!columns || columns.length === 0) return shape;
  checkAdditiveColumns(shape, columns, db, plan.name);
  return { ...shape, additive: columns };
}

/** Each additive column must exist, be a number, and not be part of the key. */
export function checkAdditiveColumns(shape: TableShape, columns: readonly string[], db: string, sync?: string): void {
  const table = formatTable(shape.table);
  const subject = { db, table, ...(sync ? { sync } : {}) };
  for (const name of columns) {
    const column = shape.columns.find((candidate) => candidate.name === name);
    if (!column) throw new BucardoError('TABLE_COLUMNS_MISMATCH', `Table "${table}" on database "${db}" has no column "${name}" to make additive`, { ...subject, column: name });
    if (!additiveTypes.test(column.type)) throw new BucardoError('TABLE_COLUMNS_MISMATCH', `Column "${name}" of table "${table}" is ${column.type}: only numbers can be additive`, { ...subject, column: name });
    if (shape.key.some((key) => key.name === name)) throw new BucardoError('TABLE_COLUMNS_MISMATCH', `Column "${name}" is part of the key of table "${table}": it cannot be additive`, { ...subject, column: name });
  }
}
