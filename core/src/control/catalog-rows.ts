import type { DatabaseRole, TableRef } from '@bucardo/plugin-sdk';

export type DatabaseStatus = 'active' | 'inactive' | 'stalled';
export type SyncStatus = 'active' | 'inactive' | 'paused' | 'stalled';

export interface DatabaseRow {
  readonly name: string;
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
  readonly status: DatabaseStatus;
  /** makedelta for every table written here (`add db … makedelta=on`); absent: off. */
  readonly makedelta?: boolean;
}

export type RelationKind = 'table' | 'sequence';

export interface RelationRow {
  readonly id: number;
  readonly table: TableRef;
  readonly kind: RelationKind;
  /** The database it was found on (null once that database is removed). */
  readonly db: string;
  readonly keyColumns: readonly string[];
  readonly keyTypes: readonly string[];
  readonly keySource: string;
  /** Columns merged additively on conflict. */
  readonly additive: readonly string[];
  /**
   * makedelta of the table: `on`, `off` (either wins over its databases' flag), or the databases it is on
   * for, comma-separated; absent (null), each database's own flag decides.
   */
  readonly makedelta?: string | null;
  readonly herds: readonly string[];
  readonly syncs: readonly string[];
}

export interface HerdRow {
  readonly name: string;
  /** Tables and sequences, in herd order. */
  readonly members: readonly TableRef[];
  /** The tables among the members (what a sync over the herd captures and copies). */
  readonly tables: readonly TableRef[];
  /** The sequences among the members. */
  readonly sequences: readonly TableRef[];
  readonly syncs: readonly string[];
}

export interface DbGroupMember {
  readonly db: string;
  readonly role: DatabaseRole;
}

export interface DbGroupRow {
  readonly name: string;
  readonly members: readonly DbGroupMember[];
  readonly syncs: readonly string[];
}

export interface SyncRow {
  readonly name: string;
  readonly herd: string;
  readonly dbgroup: string;
  readonly status: SyncStatus;
  readonly autokick: boolean;
  /** As PostgreSQL prints the interval, or null. */
  readonly checktime: string | null;
  /** The same in seconds (read-only: derived by the catalog). */
  readonly checktimeSeconds?: number | null;
  readonly onetimecopy: number;
  /**
   * Which request for a copy `onetimecopy` stands for (read-only: set by the catalog whenever onetimecopy is
   * set), so that a run finishes only the copy it was planned with. A bigint, as text.
   */
  readonly copyRequest?: string;
  /** The targets `onetimecopy` copies to (`update sync … db=`); absent for every target of the sync. */
  readonly copyTargets?: readonly string[];
  readonly conflictStrategy: string;
  /** `refreshabove=` of this sync: null takes the config's `refreshAbove`, 0 never copies a table whole. */
  readonly refreshAbove?: number | null;
}
