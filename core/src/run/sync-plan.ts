import type { DatabaseSpec, SyncDatabase, TableRef } from '@bucardo/plugin-sdk';

/** A database of a sync: its role, and how to reach it. */
export interface PlannedDatabase extends SyncDatabase {
  readonly spec: DatabaseSpec;
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
  /** The configured conflict strategy's name. */
  readonly strategy: string;
  /** Additive columns per table (by `tableId`), from `add table … additive=`. */
  readonly additive?: ReadonlyMap<string, readonly string[]>;
}

export function sourcesOf(plan: SyncPlan): PlannedDatabase[] {
  return plan.databases.filter((db) => db.role === 'source');
}
