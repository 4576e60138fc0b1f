import { BucardoError, formatTable, type TableShape } from '@bucardo/plugin-sdk';
import { customColsReadFailed, type TableSelect } from '../run/custom-cols-reader.js';
import { selectOn } from '../run/select-on.js';
import type { RunSessions } from '../run/sessions.js';
import type { PlannedDatabase } from '../run/sync-plan.js';
import type { Reader } from './table-compare.js';

/**
 * The first source as some of the databases are set against it: its rows as they are, or read through
 * the customcols list those databases are sent the rows with (`bucardo add customcols`).
 */
export interface ReferenceSide {
  /** The list the first source is read through; none: its own columns. */
  readonly select?: TableSelect;
  /** What is compared: the list's output columns (or the first source's), in the first source's types, and the key. */
  readonly shape: TableShape;
}

/** A database set against one side of the first source, with the columns compared in its own types. */
export interface Receiver extends Reader {
  readonly shape: TableShape;
  /** Its side, in `sides`. */
  readonly side: number;
  /** Its columns that are not compared: those the first source lacks, or its list does not select. */
  readonly extra: readonly string[];
}

/** What `comparedSides` is given: one table, its databases (the reference first), their shapes of it. */
export interface SidesArgs {
  readonly sync: string;
  readonly sessions: RunSessions;
  /** The table as the first source has it (checked). */
  readonly shape: TableShape;
  readonly readers: readonly Reader[];
  /** Each reader's database in the plan: the select list that applies there is the run's (`selectOn`). */
  readonly planned: (db: string) => PlannedDatabase | undefined;
  /** Each reader's own description of the table (the table check's: no second look). */
  readonly found: (db: string) => TableShape | undefined;
}

/**
 * Which side of the first source each other database is set against: the one a receiver with customcols
 * is sent (the first source read through its list, by the list's columns), the first source's own columns
 * otherwise. A list the first source cannot be read through (its writer cannot digest through one, or the
 * list fails there now: a column dropped since it was added) leaves its databases out of this table's
 * compare, each with the error, which names the clause, the table and the databases.
 */
export async function comparedSides(args: SidesArgs): Promise<{ sides: ReferenceSide[]; receivers: Receiver[]; excluded: Map<string, BucardoError> }> {
  const { sync, sessions, shape, readers, planned, found } = args;
  const [reference, ...others] = readers;
  const { additive: _additive, ...plain } = shape;
  const selectOf = (db: string) => {
    const there = planned(db);
    return there && selectOn(there, shape.table);
  };
  // each list read once for all its databases, and named with them all when it fails
  const byList = new Map<number, { select: TableSelect; dbs: string[] }>();
  for (const reader of others) {
    const select = selectOf(reader.db);
    if (select) byList.set(select.id, { select, dbs: [...(byList.get(select.id)?.dbs ?? []), reader.db] });
  }
  const sides: ReferenceSide[] = [{ shape: plain }];
  const sideOf = new Map<number, number | BucardoError>();
  for (const { select, dbs } of byList.values()) {
    const side = await listSide(sync, sessions, reference!.db, plain, select, dbs);
    sideOf.set(select.id, side instanceof BucardoError ? side : sides.push(side) - 1);
  }
  const receivers: Receiver[] = [];
  const excluded = new Map<string, BucardoError>();
  for (const reader of others) {
    const select = selectOf(reader.db);
    const side = select ? sideOf.get(select.id)! : 0;
    if (side instanceof BucardoError) excluded.set(reader.db, side);
    else receivers.push(receiverOf(reader, sides[side]!.shape, side, found(reader.db)));
  }
  return { sides, receivers, excluded };
}

/** The first source read through `select`, for databases `to`; or why it cannot be. */
async function listSide(sync: string, sessions: RunSessions, reference: string, shape: TableShape, select: TableSelect, to: readonly string[]): Promise<ReferenceSide | BucardoError> {
  const table = formatTable(shape.table);
  const source = sessions.source(reference);
  if (!sessions.targetCapabilities(reference).selectListDigests || !source.selectColumns) {
    return new BucardoError('DB_ROLE_UNSUPPORTED',
      `Cannot compare table "${table}" on ${to.map((db) => `"${db}"`).join(', ')} through customcols ${select.id} ("SELECT ${select.selectList}"): the first source "${reference}" cannot sum its rows up through a select list`,
      { sync, db: reference, table, item: `SELECT ${select.selectList}` });
  }
  try {
    const columns = await source.selectColumns(shape.table, select.selectList);
    return { select, shape: { ...shape, columns } };
  } catch (error) {
    return customColsReadFailed(error, select, reference, to, sync);
  }
}

/** `reader` set against the columns of `compared`, each in its own type where it has the column. */
function receiverOf(reader: Reader, compared: TableShape, side: number, theirs: TableShape | undefined): Receiver {
  const here = new Map((theirs?.columns ?? []).map((column) => [column.name, column]));
  const own = (column: TableShape['columns'][number]) => here.get(column.name) ?? column;
  const names = new Set(compared.columns.map((column) => column.name));
  const extra = (theirs?.columns ?? []).map((column) => column.name).filter((name) => !names.has(name));
  return { ...reader, shape: { ...compared, columns: compared.columns.map(own), key: compared.key.map(own) }, side, extra };
}
