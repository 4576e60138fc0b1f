import type { BucardoError } from '@bucardo/plugin-sdk';
import type { KeyDifference, StandingCounts } from './differences.js';
import type { SequenceComparison } from './sequence-compare.js';

/** One table compared on every database of the sync that can read its rows back. */
export interface TableComparison {
  readonly table: string;
  /** Rows on each compared database, in the sync's order. */
  readonly rows: ReadonlyMap<string, number>;
  /** How many keys differ in all. */
  readonly differing: number;
  /** Per database that differs from the reference, how many keys stand each way. */
  readonly counts: ReadonlyMap<string, StandingCounts>;
  /** Per database, how many rows differ in each column (where its writer tells which columns differ). */
  readonly columnCounts: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Per database, its columns the first source lacks, or its customcols list does not select: not compared (and not replicated). */
  readonly notCompared: ReadonlyMap<string, readonly string[]>;
  /** Why the table was not compared at all (missing on the first source, no key there): an error of the compare. */
  readonly problem?: BucardoError;
  /** Databases this table was not compared on, each with its problem (the table or a column missing there). */
  readonly excluded: ReadonlyMap<string, BucardoError>;
  /** Per database, rows whose key has a NULL part (a table without a key there): no key matches them. */
  readonly unkeyed: ReadonlyMap<string, number>;
  /** The first `keys` differing keys, in key order (part by part, numbers by value). */
  readonly differences: readonly KeyDifference[];
  /**
   * A table without a key (a fullcopy sync's): its rows are compared as a whole, and these are the
   * databases whose rows differ from the first source's; no key can list them one by one.
   */
  readonly keyless?: { readonly differ: readonly string[] };
  /** Per database where the table is written under another name (`bucardo add customname`): that name. */
  readonly namedOn?: ReadonlyMap<string, string>;
  /**
   * Per database sent the table through a customcols select list (`bucardo add customcols`): that list,
   * which the first source was read through to set that database against it, by the list's columns.
   */
  readonly selectedOn?: ReadonlyMap<string, { readonly id: number; readonly selectList: string }>;
}

/** Which databases a compare sets against which: what `onStart` and the result both say. */
export interface ComparedDatabases {
  readonly sync: string;
  /** The first source: every other database is compared with it. */
  readonly reference: string;
  /** The databases compared, in the sync's order (the reference among them). */
  readonly databases: readonly string[];
  /** Databases left out, and why (a writer that cannot read rows back). */
  readonly leftOut: ReadonlyArray<{ readonly db: string; readonly reason: string }>;
  /** Databases that could not be reached, each with its connection error: not compared, and an error of the compare. */
  readonly unreachable: ReadonlyMap<string, BucardoError>;
}

/** What is compared, known before the first table is: `compare`'s `onStart` gets it. */
export interface ComparisonStart extends ComparedDatabases {
  /** How many tables are compared. */
  readonly tableCount: number;
  /** How many sequences are compared (after the tables). */
  readonly sequenceCount: number;
  /**
   * Change records the sync had captured and not delivered when the compare began, per source: what they
   * change shows as differences until a run delivers them.
   */
  readonly pending: ReadonlyArray<{ readonly db: string; readonly records: number; readonly tables: ReadonlyArray<{ readonly table: string; readonly records: number }> }>;
}

export interface SyncComparison extends ComparedDatabases {
  readonly tables: readonly TableComparison[];
  /** The sync's sequences, each set against the first source's. */
  readonly sequences: readonly SequenceComparison[];
}

/** How far one table's compare got: its databases summing up their rows, or reading those of the partitions that differ. */
export type CompareProgress =
  | { readonly table: string; readonly phase: 'summing'; readonly databases: number }
  | { readonly table: string; readonly phase: 'reading'; readonly done: number; readonly of: number };

/** What `compare` is asked for. */
export interface CompareOptions {
  /** Compare only these tables and sequences (`t` or `public.t`); all of the sync's when empty or absent. */
  readonly tables?: readonly string[];
  /** How many differing keys to return per table, the first in key order (default 20). */
  readonly keys?: number;
  /** Called once the databases are checked, before the first table is read. */
  readonly onStart?: (start: ComparisonStart) => void;
  /** Called as each table is done, in herd order: a long compare shows its results as it goes. */
  readonly onTable?: (table: TableComparison) => void;
  /**
   * Called as a table's compare goes on: when its databases start summing their rows up, and when the rows
   * of the key partitions that differ are read, after each partition (`done` of `of`).
   */
  readonly onProgress?: (progress: CompareProgress) => void;
  /** Called as each sequence is done, after the tables. */
  readonly onSequence?: (sequence: SequenceComparison) => void;
}

/** Whether a compared table differs anywhere: a key that differs, or rows no key matches. */
export function tableDiffers(table: TableComparison): boolean {
  return table.differing > 0 || table.unkeyed.size > 0 || (table.keyless?.differ.length ?? 0) > 0;
}
