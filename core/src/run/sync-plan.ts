import { BucardoError, type DatabaseSpec, type SyncDatabase, type TableRef } from '@bucardo/plugin-sdk';
import type { TableRename } from './table-renames.js';
import type { TableSelect } from './custom-cols-reader.js';

/** A database of a sync: its role, and how to reach it. */
export interface PlannedDatabase extends SyncDatabase {
  readonly spec: DatabaseSpec;
  /** Set `status=inactive` (`bucardo update db`): the sync does not run until it is active again. */
  readonly inactive?: true;
  /**
   * The sync's tables written under another name on this database (`bucardo add customname`), receiving
   * databases only: a source keeps every table's own name. A plain list, so that the plan's JSON (what
   * kept sessions are matched by) changes with it.
   */
  readonly customNames?: readonly TableRename[];
  /**
   * The sync's tables read with a custom select list for this database (`bucardo add customcols`),
   * receiving databases only; a plain list, as `customNames`.
   */
  readonly customCols?: readonly TableSelect[];
}

/** Everything a run needs to know about a sync, as read from the control database. */
export interface SyncPlan {
  readonly name: string;
  readonly herd: string;
  readonly dbgroup: string;
  /** In dbgroup order; sources first is not assumed. */
  readonly databases: readonly PlannedDatabase[];
  /** In herd order, which is also the order tables are written in. */
  readonly tables: readonly TableRef[];
  /** The herd's sequences. */
  readonly sequences?: readonly TableRef[];
  /** 0: normal runs; 1: first copy every table to every target; 2: only to targets where it is empty. */
  readonly onetimecopy?: number;
  /**
   * The request for a copy `onetimecopy` stood for when the plan was read (`bucardo.sync.copy_request`): the
   * run records progress for, and finishes, only that copy. Absent (a plan not read from the catalog): the
   * copy is recorded and finished whatever was asked since.
   */
  readonly copyRequest?: string;
  /** The targets the copy goes to (`update sync … onetimecopy=N db=T`); absent: every target. */
  readonly copyTargets?: readonly string[];
  /** The configured conflict strategy's name. */
  readonly strategy: string;
  /** `refreshabove=` of the sync (0: never); absent, the run's `refreshAbove` from the config applies. */
  readonly refreshAbove?: number;
  /** Additive columns per table (by `tableId`), from `add table … additive=`. */
  readonly additive?: ReadonlyMap<string, readonly string[]>;
  /**
   * makedelta: per table (by `tableId`), the databases of the sync where the rows the sync writes are
   * recorded as changes there, for other syncs to read (`ApplyBatch.makeDelta`). Absent or empty: none.
   */
  readonly makeDelta?: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * Whether the sync records what it writes into `db` (makedelta on some table there): only then can `db`
 * hold records of the sync's own to skip when it reads it (`CaptureArgs.sync`), and only then is a capture
 * asked to look for them, so that syncs without makedelta read as before.
 */
export function recordsInto(plan: Pick<SyncPlan, 'makeDelta'>, db: string): boolean {
  for (const on of plan.makeDelta?.values() ?? []) if (on.has(db)) return true;
  return false;
}

export function sourcesOf(plan: SyncPlan): PlannedDatabase[] {
  return plan.databases.filter((db) => db.role === 'source');
}

/** The databases that receive changes and copies, and write none of their own to the sync (role `target`). */
export function targetsOf(plan: SyncPlan): PlannedDatabase[] {
  return plan.databases.filter((db) => db.role === 'target');
}

/** The databases that take part in change capture and apply (sources and targets; not fullcopy members). */
export function deltaDatabasesOf(plan: SyncPlan): PlannedDatabase[] {
  return plan.databases.filter((db) => db.role !== 'fullcopy');
}

/** True when every receiver is a fullcopy member: no capture is needed, and tables need no key. */
export function isPureFullcopy(plan: { readonly databases: ReadonlyArray<{ readonly role: SyncPlan['databases'][number]['role'] }> }): boolean {
  const roles = plan.databases.map((db) => db.role);
  return roles.every((role) => role !== 'target') && roles.filter((role) => role === 'source').length === 1 && roles.includes('fullcopy');
}

/**
 * A sync with an inactive database does not run. Bucardo stalls a sync whose source is inactive and
 * leaves an inactive target out of its runs; here a target left out would miss those changes for good
 * (the sources' checkpoints move on without it), so the sync waits for either, its changes kept.
 */
export function refuseInactiveDatabases(plan: SyncPlan): void {
  const inactive = plan.databases.find((db) => db.inactive);
  if (!inactive) return;
  throw new BucardoError('DB_INACTIVE',
    `Database "${inactive.name}" (${inactive.role}) of sync "${plan.name}" is inactive: the sync does not run until it is active again (bucardo update db ${inactive.name} status=active), or the database is taken out of dbgroup "${plan.dbgroup}"; the changes wait in the sources' delta tables`,
    { db: inactive.name, sync: plan.name, dbgroup: plan.dbgroup });
}
