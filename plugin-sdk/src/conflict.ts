import type { KeyChange } from './changes.js';
import type { KeyText } from './keys.js';
import type { Logger } from './logger.js';
import type { TableRef } from './table.js';
import type { SyncDatabase } from './run.js';

/** The kind of a conflict, from the operations the candidates performed. */
export type ConflictKind = 'insert/insert' | 'update/update' | 'update/delete' | 'delete/delete';

/** One source's side of a conflict. */
export interface Candidate {
  /** The source database that changed the key. */
  readonly db: string;
  /** What the source did to the key: first and last operation, change time, additive deltas. */
  readonly change: KeyChange;
}

/** A key changed on two or more sources between two runs. */
export interface Conflict {
  /** The table of the key. */
  readonly table: TableRef;
  /** The conflicting key (composite keys joined with NUL). */
  readonly key: KeyText;
  /** The kind of conflict, from the candidates' operations (`classifyConflict`). */
  readonly kind: ConflictKind;
  /** Sorted by database name, so every strategy sees the same order. */
  readonly candidates: readonly Candidate[];
}

/**
 * How one conflict is settled:
 * - `{ winner }`: that database's current image goes to every other database (the winner need not be a
 *   candidate: `source` and `target` pick a database by role);
 * - `{ skip: true }`: the key is left alone everywhere and reported for manual resolution;
 * - `{ abort }`: the run fails and nothing is applied anywhere.
 * `by` names who decided, for the audit (the core fills it in for strategies).
 */
export type Decision =
  | { readonly winner: string; readonly by?: string }
  | { readonly skip: true; readonly reason?: string; readonly by?: string }
  | { readonly abort: string; readonly by?: string };

/** Decisions by key; a conflict missing from the map is undecided (declined). */
export type Decisions = ReadonlyMap<KeyText, Decision>;

/** What a conflict strategy is given, once per table batch with conflicts. */
export interface ResolveConflictsArgs {
  /** The sync being run. */
  readonly sync: string;
  /** The table of every conflict in `conflicts`. */
  readonly table: TableRef;
  /** The conflicts still undecided. */
  readonly conflicts: readonly Conflict[];
  /** The databases of the sync, in dbgroup order. */
  readonly databases: readonly SyncDatabase[];
  /**
   * The words after the strategy's name in the sync's `conflict=` setting; for a list of databases
   * (`conflict="t3 t1 t2"`, the `order` strategy), the databases in order.
   */
  readonly options: readonly string[];
  /** Per source, the time of its newest change to this table in this run (µs since the epoch). */
  readonly newestChange: ReadonlyMap<string, number>;
  /** A logger for the strategy (lines carry the sync and run). */
  readonly log: Logger;
  /** Aborted when the run is stopped. */
  readonly signal: AbortSignal;
}

/**
 * A named conflict strategy (`bucardo add sync … conflict=NAME`). It is called once per table batch with
 * every undecided conflict, and returns a decision for each conflict it settles.
 */
export interface ConflictStrategy {
  /** The name a sync selects it by (`conflict=NAME`); unique among the loaded plugins. */
  readonly name: string;
  /**
   * Decides the conflicts it can: a decision per settled key; a key left out is declined (undecided). May be async.
   */
  resolve(args: ResolveConflictsArgs): Decisions | Promise<Decisions>;
  /**
   * Checks the strategy fits a sync, when the sync is added or its strategy changed (for example `target`
   * needs a target database): throw a BucardoError naming the problem. Optional.
   */
  validate?(args: ValidateStrategyArgs): void;
}

/** What `ConflictStrategy.validate` is given when a sync is added or its strategy changed. */
export interface ValidateStrategyArgs {
  /** The sync's name, for error messages. */
  readonly sync: string;
  /** The databases of the sync, in dbgroup order, with their roles. */
  readonly databases: readonly SyncDatabase[];
  /** The words after the strategy's name in `conflict=`. */
  readonly options: readonly string[];
}

/** Classifies a conflict from its candidates' operations. */
export function classifyConflict(candidates: readonly Candidate[]): ConflictKind {
  const deletes = candidates.filter((c) => c.change.lastOp === 'delete').length;
  if (deletes === candidates.length) return 'delete/delete';
  if (deletes > 0) return 'update/delete';
  return candidates.every((c) => c.change.firstOp === 'insert') ? 'insert/insert' : 'update/update';
}

/**
 * Whether a value is a decision: exactly one of `{ winner: DATABASE }` (a non-empty name), `{ skip: true }`
 * or `{ abort: REASON }`, with `by` beside it if any. The core refuses anything else from a strategy, and
 * the strategy kit checks the same.
 */
export function isDecision(value: unknown): value is Decision {
  if (typeof value !== 'object' || value === null) return false;
  const d = value as Record<string, unknown>;
  const forms = ['winner' in d, 'skip' in d, 'abort' in d].filter(Boolean).length;
  if (forms !== 1) return false;
  if ('winner' in d) return typeof d.winner === 'string' && d.winner.length > 0;
  if ('skip' in d) return d.skip === true;
  return typeof d.abort === 'string';
}

/** Whether a decision names a winning database (rather than skip or abort). */
export function isWinner(decision: Decision): decision is Extract<Decision, { winner: string }> {
  return 'winner' in decision;
}
