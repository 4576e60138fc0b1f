import { formatTable, type Checkpoint, type TableRef } from '@bucardo/plugin-sdk';
import type { ResumePoint } from './run-sync.js';

/**
 * What a run is planned from, as far as taking a resume point over goes: the transactions it skips must
 * be the ones the interrupted run committed, so the databases, tables, batch size and starting checkpoints
 * must be the same.
 */
export interface ResumeBasis {
  readonly databases: ReadonlyArray<{ readonly name: string; readonly role: string }>;
  readonly tables: readonly TableRef[];
  /**
   * The order the run writes the tables in (`writeOrder`: after those their foreign keys point at), which
   * decides which keys each transaction holds. Absent when not known (`status` reads no table).
   */
  readonly order?: readonly TableRef[];
  /**
   * The tables foreign keys point at (`ForeignKeyLayout`), whose lost keys the run plans last and which
   * key partitions do not cut. Absent when not known, as `order`.
   */
  readonly pointedAt?: readonly TableRef[];
  /** Absent when not known: `status` cannot know the batch size the next run will be given. */
  readonly batchSize?: number;
  readonly checkpoints: Readonly<Record<string, Checkpoint>>;
}

/** What a point records of the plan it was made from (its `fingerprint`, JSON as older versions wrote it). */
interface Planned {
  readonly databases: ReadonlyArray<readonly [string, string]>;
  readonly tables: readonly TableRef[];
  /** Written only where it differs from `tables` (older points, and syncs without foreign keys, have none). */
  readonly order?: readonly TableRef[];
  /** Written only where there are some (older points have none: their runs planned lost keys in place). */
  readonly pointedAt?: readonly TableRef[];
  readonly batch: number;
}

export function resumeFingerprint(basis: ResumeBasis & { readonly batchSize: number }): string {
  const tables = basis.tables.map((table) => ({ schema: table.schema, name: table.name }));
  const order = basis.order?.map((table) => ({ schema: table.schema, name: table.name }));
  const pointedAt = basis.pointedAt?.map((table) => ({ schema: table.schema, name: table.name }));
  const planned: Planned = {
    databases: basis.databases.map((db) => [db.name, db.role]),
    tables,
    ...(order && JSON.stringify(order) !== JSON.stringify(tables) ? { order } : {}),
    ...(pointedAt?.length ? { pointedAt } : {}),
    batch: basis.batchSize,
  };
  return JSON.stringify(planned);
}

/** The batch size the point's run was planned with. */
export function resumeBatchSize(point: Pick<ResumePoint, 'fingerprint'>): number | undefined {
  return readPlanned(point.fingerprint)?.batch;
}

/**
 * Why a run planned from `basis` cannot take the point over, as a phrase (`the sync's tables changed
 * (then …; now …)`), or undefined when it can. One answer for the run, which decides by it, and for
 * `status`, which says what the next run will do.
 */
export function resumeMismatch(point: Pick<ResumePoint, 'fingerprint' | 'from'>, basis: ResumeBasis): string | undefined {
  const then = readPlanned(point.fingerprint);
  if (!then) return 'its record of the plan is unreadable';
  const databases = (list: ReadonlyArray<readonly [string, string]>) => list.map(([name, role]) => `${name}:${role}`).join(' ');
  const thenDatabases = databases(then.databases);
  const nowDatabases = databases(basis.databases.map((db) => [db.name, db.role]));
  if (thenDatabases !== nowDatabases) return `the sync's databases changed (then ${thenDatabases}; now ${nowDatabases})`;
  const tables = (list: readonly TableRef[]) => list.map(formatTable).join(', ') || 'none';
  const thenTables = JSON.stringify(then.tables.map((table) => [table.schema, table.name]));
  if (thenTables !== JSON.stringify(basis.tables.map((table) => [table.schema, table.name]))) {
    return `the sync's tables changed (then ${tables(then.tables)}; now ${tables(basis.tables)})`;
  }
  if (basis.order !== undefined) {
    // a foreign key added or dropped since puts other keys in each transaction: its skips would be wrong
    const thenOrder = then.order ?? then.tables;
    if (JSON.stringify(thenOrder.map((table) => [table.schema, table.name])) !== JSON.stringify(basis.order.map((table) => [table.schema, table.name]))) {
      return `the order its tables are written in changed, a foreign key added or dropped (then ${tables(thenOrder)}; now ${tables(basis.order)})`;
    }
  }
  if (basis.pointedAt !== undefined) {
    // keys lost by those tables are planned last, and partitions capture them whole: other transactions
    const names = (list: readonly TableRef[]) => JSON.stringify(list.map((table) => [table.schema, table.name]));
    const thenPointed = then.pointedAt ?? [];
    if (names(thenPointed) !== names(basis.pointedAt)) {
      return `the tables foreign keys point at changed, whose deleted keys a run writes last (then ${tables(thenPointed)}; now ${tables(basis.pointedAt)})`;
    }
  }
  if (basis.batchSize !== undefined && basis.batchSize !== then.batch) return `batchSize changed (then ${then.batch}; now ${basis.batchSize})`;
  // a point from before `from` was recorded (a run killed by an older version) is taken as it always was
  if (point.from !== undefined && !sameCheckpoints(point.from, basis.checkpoints)) return 'the sync\'s checkpoints moved since';
  return undefined;
}

function readPlanned(fingerprint: string): Planned | undefined {
  try {
    const planned = JSON.parse(fingerprint) as Partial<Planned>;
    if (!Array.isArray(planned.databases) || !Array.isArray(planned.tables) || typeof planned.batch !== 'number') return undefined;
    return planned as Planned;
  } catch {
    return undefined;
  }
}

function sameCheckpoints(a: Readonly<Record<string, Checkpoint>>, b: Readonly<Record<string, Checkpoint>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((db) => a[db] === b[db]);
}
