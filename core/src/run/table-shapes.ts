import { BucardoError, formatTable, tableId, type Logger, type TableRef, type TableShape, type TargetSession } from '@bucardo/plugin-sdk';
import { databaseError } from './database-error.js';
import { holdsEveryValueOf } from './column-types.js';
import type { RunSessions } from './sessions.js';
import { isPureFullcopy, sourcesOf, type PlannedDatabase, type SyncPlan } from './sync-plan.js';
import { selectOn } from './select-on.js';
import { nameOn } from './table-renames.js';

/**
 * Reads each table's shape from the first source and checks it against every other database of the
 * sync: the table must exist, have a key, and have every column with the same type, else a coded error
 * names the database, table and column. Extra columns on a receiving database are allowed (they keep
 * their defaults), as in Bucardo. Sessions kept between runs remember the answer, but the first source's
 * tables are read again (here, or after the capture: `shapesToCheckAfterCapture`): a column added there
 * would otherwise be left out of every row sent until the sessions were dropped, silently (Bucardo's COPY
 * breaks on it instead). Any change there means every database is checked again; `fresh` checks them
 * without looking at what the sessions remember.
 */
export async function resolveTableShapes(plan: SyncPlan, sessions: RunSessions, log?: Logger, options: { fresh?: boolean; ofRun?: boolean } = {}): Promise<TableShape[]> {
  const key = shapesKey(plan);
  const cached = options.fresh ? undefined : sessions.checkedShapes(key);
  if (cached) {
    const changed = await changedSinceChecked(plan, sessions, cached);
    if (changed.length === 0) return cached;
    log?.log('normal', checkingAgain(changed));
  }
  const { shapes, problems, warnings } = await inspectTableShapes(plan, sessions);
  if (problems.length > 0) throw firstOf(problems, options.ofRun ? plan.name : undefined);
  for (const warning of warnings) log?.log('warn', warning.message, { ...warning.subject });
  sessions.rememberShapes(key, shapes);
  return shapes;
}

/**
 * The shapes an earlier run on these sessions checked, taken as they are, for a run that reads the tables
 * it has changes for again right after its capture (`changedSinceChecked`): an empty run then reads no
 * table at all, and no change the capture read can depend on a column the check missed (the column was
 * there before the change was, so before the capture's snapshot). Only where nothing is written with the
 * shapes before the capture: not with an initial copy to make, nor with fullcopy members (the change path
 * also checks them first when a source has no checkpoint, as its capture is installed then).
 */
export function shapesToCheckAfterCapture(plan: SyncPlan, sessions: RunSessions): TableShape[] | undefined {
  if (plan.onetimecopy || plan.databases.some((db) => db.role === 'fullcopy')) return undefined;
  return sessions.checkedShapes(shapesKey(plan));
}

/** Problems after the first said in full when there is no sync to validate. */
const SHOWN_WITHOUT_SYNC = 3;

/**
 * The first problem, saying how many more there are (and, for a run of an existing sync, where to see
 * them): a run that named one database at a time sent the user round once per database.
 */
function firstOf(problems: readonly BucardoError[], sync: string | undefined): BucardoError {
  const [first] = problems;
  if (problems.length === 1) return first!;
  const more = problems.length - 1;
  // no sync to validate yet (add table, add sync): the others are said here, a few of them
  const shown = problems.slice(1, 1 + SHOWN_WITHOUT_SYNC).map((problem) => problem.message);
  const rest = more - shown.length;
  const where = sync === undefined
    ? `: ${shown.join('; ')}${rest > 0 ? `; and ${rest} more` : ''}`
    : `: bucardo validate ${sync} lists them all`;
  return new BucardoError(first!.code, `${first!.message} (and ${more} more problem${more === 1 ? '' : 's'}${where})`, { ...first!.subject, cause: first });
}

/** The line a run logs when its tables changed since they were checked. */
export function checkingAgain(changed: readonly string[]): string {
  return `${changed.join('; ')}: checking the sync's tables on every database again`;
}

/** What the sessions remember checked shapes under: the same tables, additive columns and databases. */
function shapesKey(plan: SyncPlan): string {
  return JSON.stringify([plan.tables, [...(plan.additive ?? [])], plan.databases.map((db) => [db.name, db.role])]);
}

/** How each of `checked` on the sync's first source differs from when it was checked, in words. */
export async function changedSinceChecked(plan: SyncPlan, sessions: RunSessions, checked: readonly TableShape[]): Promise<string[]> {
  const [first] = sourcesOf(plan);
  if (!first || checked.length === 0) return [];
  const now = await describeAll(sessions.source(first.name), checked.map((shape) => shape.table), first.name);
  return checked.flatMap((before, index) => {
    const change = shapeChange(before, now[index]);
    return change === undefined ? [] : [`Table "${formatTable(before.table)}" on database "${first.name}" ${change} since it was checked`];
  });
}

/**
 * What changed between two readings of one table (columns, their types, the key), or undefined. Column
 * order is left out: every statement names its columns.
 */
export function shapeChange(before: TableShape, now: TableShape | undefined): string | undefined {
  if (!now) return 'no longer exists';
  const was = new Map(before.columns.map((column) => [column.name, column.type]));
  const is = new Map(now.columns.map((column) => [column.name, column.type]));
  const parts: string[] = [];
  const added = now.columns.filter((column) => !was.has(column.name)).map((column) => `"${column.name}"`);
  const dropped = before.columns.filter((column) => !is.has(column.name)).map((column) => `"${column.name}"`);
  const retyped = now.columns.filter((column) => was.has(column.name) && was.get(column.name) !== column.type).map((column) => `"${column.name}" (now ${column.type})`);
  if (added.length > 0) parts.push(`gained column${added.length === 1 ? '' : 's'} ${added.join(', ')}`);
  if (dropped.length > 0) parts.push(`lost column${dropped.length === 1 ? '' : 's'} ${dropped.join(', ')}`);
  if (retyped.length > 0) parts.push(`changed the type of ${retyped.join(', ')}`);
  const keyOf = (shape: TableShape) => shape.key.map((column) => column.name).join(', ');
  if (keyOf(before) !== keyOf(now) || before.keySource !== now.keySource) {
    // a key dropped reads as lost, not as a new key named "none"
    parts.push(now.key.length === 0 ? `lost its key (${keyOf(before)}, ${before.keySource})` : `has a new key (${keyOf(now)}, ${now.keySource})`);
  }
  // the tables its foreign keys point at decide the order of the run's writes (`write-order.ts`, `foreign-key-layout.ts`)
  const pointsAt = (shape: TableShape) => new Set((shape.references ?? []).map(formatTable));
  const [wasAt, isAt] = [pointsAt(before), pointsAt(now)];
  const newly = [...isAt].filter((table) => !wasAt.has(table));
  const gone = [...wasAt].filter((table) => !isAt.has(table));
  if (newly.length > 0) parts.push(`now points at ${newly.join(', ')} (a foreign key)`);
  if (gone.length > 0) parts.push(`no longer points at ${gone.join(', ')} (a foreign key)`);
  return parts.length === 0 ? undefined : parts.join(' and ');
}

/**
 * Every problem with the sync's tables on every database (for `bucardo validate`), the shapes, and the
 * warnings: what works but loses something, like a column only some sources have.
 */
export async function inspectTableShapes(plan: SyncPlan, sessions: RunSessions): Promise<{
  shapes: TableShape[]; problems: BucardoError[]; warnings: BucardoError[];
  /** Per other database that can describe its tables, what it has for each of `shapes`, in order. */
  found: Map<string, Array<TableShape | undefined>>;
}> {
  const [first] = sourcesOf(plan);
  if (!first) throw new BucardoError('SYNC_INVALID', `Sync "${plan.name}" has no source database`, { sync: plan.name });
  const shapes: TableShape[] = [];
  const problems: BucardoError[] = [];
  const warnings: BucardoError[] = [];
  const foundOn = new Map<string, Array<TableShape | undefined>>();
  const described = await describeAll(sessions.source(first.name), plan.tables, first.name);
  for (const [index, table] of plan.tables.entries()) {
    const shape = described[index];
    if (!shape) {
      problems.push(missing(plan.name, first.name, formatTable(table)));
      continue;
    }
    if (shape.key.length === 0 && !isPureFullcopy(plan)) {
      problems.push(new BucardoError('TABLE_NO_KEY', `Table "${formatTable(table)}" on database "${first.name}" has no primary key or unique index over NOT NULL columns`, { db: first.name, table: formatTable(table), sync: plan.name }));
      continue;
    }
    try {
      shapes.push(withAdditive(plan, shape, first.name));
    } catch (error) {
      problems.push(error as BucardoError);
    }
  }
  await Promise.all(plan.databases.filter((db) => db.name !== first.name).map(async (db) => {
    problems.push(...await requiredElsewhere(plan.name, first.name, db, sessions.target(db.name), shapes));
    const session = db.role === 'source' ? sessions.source(db.name) : sessions.target(db.name);
    if (!session.describeTable) return;
    const found = await describeAll(session, shapes.map((shape) => shape.table), db.name);
    foundOn.set(db.name, found);
    for (const [index, shape] of shapes.entries()) {
      const compared = compareShape(plan.name, first.name, db, shape, found[index]);
      problems.push(...compared.problems);
      warnings.push(...compared.warnings);
    }
  }));
  return { shapes, problems, warnings, found: foundOn };
}

/**
 * Columns a receiving database requires (NOT NULL, no default) that the first source lacks: every row the
 * sync writes there would fail on them, run after run, in the database's words, which name neither the
 * database nor what to do.
 */
async function requiredElsewhere(sync: string, firstSource: string, planned: PlannedDatabase, session: TargetSession, shapes: readonly TableShape[]): Promise<BucardoError[]> {
  if (!session.requiredColumns || shapes.length === 0) return [];
  const db = planned.name;
  const required = await session.requiredColumns(shapes.map((shape) => shape.table)).catch((error: unknown) => {
    throw databaseError(error, 'FETCH_FAILED', { db });
  });
  return shapes.flatMap((shape, index) => {
    // a table with a customcols list on this database is written as the list's columns, not the source's
    const select = selectOn(planned, shape.table);
    const sent = new Set(select ? select.columns : shape.columns.map((column) => column.name));
    const table = formatTable(nameOn(planned, shape.table));
    return (required[index] ?? []).filter((name) => !sent.has(name)).map((name) => new BucardoError('TABLE_COLUMNS_MISMATCH', select
      ? `Table "${table}" on database "${db}" has column "${name}" NOT NULL without a default, which its customcols list leaves out: every row the sync writes there would fail (add it to the list, give it a default, or drop NOT NULL)`
      : `Table "${table}" on database "${db}" has column "${name}" NOT NULL without a default, which the first source "${firstSource}" lacks: every row the sync writes there would fail (give it a default, drop NOT NULL, or add it on the sources)`,
      { sync, db, table, column: name }));
  });
}

/**
 * The shapes of `tables` on database `db`: in one call when the session can (`describeTables`), else one
 * by one. A driver whose answer does not line up with the question fails here, naming the database,
 * rather than lending one table's shape to another.
 */
export async function describeAll(session: Pick<TargetSession, 'describeTable' | 'describeTables'>, tables: readonly TableRef[], db: string): Promise<Array<TableShape | undefined>> {
  // often the first statement on a kept session (a run, a daemon's probe, a purge): a connection that broke while idle shows here
  const named = (table?: TableRef) => (error: unknown): never => {
    throw databaseError(error, 'FETCH_FAILED', { db, ...(table ? { table: formatTable(table) } : {}) });
  };
  if (session.describeTables) {
    const shapes = await session.describeTables(tables).catch(named());
    const misplaced = tables.findIndex((table, index) => shapes[index] !== undefined && tableId(shapes[index]!.table) !== tableId(table));
    if (shapes.length !== tables.length || misplaced !== -1) {
      throw new BucardoError('PLUGIN_ERROR', `describeTables on database "${db}" did not answer table by table: ${shapes.length} answers for ${tables.length} tables${misplaced === -1 ? '' : `, the answer for "${formatTable(tables[misplaced]!)}" describes "${formatTable(shapes[misplaced]!.table)}"`}`, { db });
    }
    return shapes;
  }
  const shapes: Array<TableShape | undefined> = [];
  for (const table of tables) shapes.push(await session.describeTable?.(table).catch(named(table)));
  return shapes;
}

/**
 * Table `expected` (as the first source has it) on another database: every column there, of the same type
 * or of one that holds every value of it (a migration that widens a column database by database: a
 * warning, as in Bucardo). On a later source, a column the first one lacks is a warning too: the sync
 * sends the first source's columns, so its values are never sent anywhere, and each row the sync writes
 * there loses them (delete, then insert with their defaults); allowed, as Bucardo allows extra columns.
 */
function compareShape(sync: string, firstSource: string, other: PlannedDatabase, expected: TableShape, actual: TableShape | undefined): { problems: BucardoError[]; warnings: BucardoError[] } {
  const db = other.name;
  // named as it is there: a custom name (bucardo add customname) is what the user looks for on that database
  const table = formatTable(nameOn(other, expected.table));
  if (!actual) return { problems: [missing(sync, db, table)], warnings: [] };
  const problems: BucardoError[] = [];
  const warnings: BucardoError[] = [];
  const select = selectOn(other, expected.table);
  if (select) {
    // written as the select list's columns (bucardo add customcols): those must be there, whatever the source has
    for (const name of select.columns.filter((name) => !actual.columns.some((candidate) => candidate.name === name))) {
      problems.push(new BucardoError('TABLE_COLUMNS_MISMATCH', `Table "${table}" on database "${db}" has no column "${name}", which its customcols select`, { sync, db, table, column: name }));
    }
    return { problems, warnings };
  }
  for (const column of expected.columns) {
    const found = actual.columns.find((candidate) => candidate.name === column.name);
    const subject = { sync, db, table, column: column.name };
    if (!found) {
      problems.push(new BucardoError('TABLE_COLUMNS_MISMATCH', `Table "${table}" on database "${db}" has no column "${column.name}"`, subject));
    } else if (found.type === column.type) {
      continue;
    } else if (holdsEveryValueOf(found.type, column.type)) {
      // a later source writes its own values too: one the others cannot hold fails the run that sends it
      // (text and an unbounded varchar hold the same values: nothing to say there)
      const back = other.role === 'source' && !holdsEveryValueOf(column.type, found.type) ? `; a value only ${found.type} holds, written on "${db}", fails the runs until the others hold it too` : '';
      warnings.push(new BucardoError('TABLE_COLUMNS_MISMATCH', `Column "${column.name}" of table "${table}" is ${found.type} on database "${db}" and ${column.type} on the first source "${firstSource}": allowed, as it holds every value of it${back}`, subject));
    } else {
      problems.push(new BucardoError('TABLE_COLUMNS_MISMATCH', `Column "${column.name}" of table "${table}" is ${found.type} on database "${db}" but ${column.type} on the first source "${firstSource}"`, subject));
    }
  }
  if (other.role === 'source') {
    const known = new Set(expected.columns.map((column) => column.name));
    for (const column of actual.columns.filter((candidate) => !known.has(candidate.name))) {
      warnings.push(new BucardoError('TABLE_COLUMNS_MISMATCH',
        `Table "${table}" on source database "${db}" has column "${column.name}", which the first source "${firstSource}" lacks: its values are not replicated, and each row the sync writes on "${db}" gets the column's default`,
        { sync, db, table, column: column.name }));
    }
  }
  return { problems, warnings };
}

function missing(sync: string, db: string, table: string): BucardoError {
  return new BucardoError('TABLE_MISSING', `Table "${table}" does not exist on database "${db}"`, { sync, db, table });
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
