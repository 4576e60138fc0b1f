import type { KeyChange } from './changes.js';
import type { KeyText } from './keys.js';
import type { Logger } from './logger.js';
import type { TableRef } from './table.js';
import type { SyncDatabase } from './run.js';

/** The kind of a conflict, from the operations the candidates performed. */
export type ConflictKind = 'insert/insert' | 'update/update' | 'update/delete' | 'delete/delete';

/** One source's side of a conflict. */
export interface Candidate {
  readonly db: string;
  readonly change: KeyChange;
}

/** A key changed on two or more sources between two runs. */
export interface Conflict {
  readonly table: TableRef;
  readonly key: KeyText;
  readonly kind: ConflictKind;
  /** Sorted by database name, so every strategy sees the same order. */
  readonly candidates: readonly Candidate[];
}

/** How one conflict is settled: the database whose image every other database receives. */
export interface Decision {
  readonly winner: string;
}

/** Decisions by key; a conflict missing from the map is undecided (declined). */
export type Decisions = ReadonlyMap<KeyText, Decision>;

export interface ResolveConflictsArgs {
  readonly sync: string;
  readonly table: TableRef;
  /** The conflicts still undecided. */
  readonly conflicts: readonly Conflict[];
  /** The databases of the sync, in dbgroup order. */
  readonly databases: readonly SyncDatabase[];
  readonly log: Logger;
  readonly signal: AbortSignal;
}

/**
 * A named conflict strategy (`bucardo add sync … conflict=NAME`). It is called once per table batch with
 * every undecided conflict, and returns a decision for each conflict it settles.
 */
export interface ConflictStrategy {
  readonly name: string;
  resolve(args: ResolveConflictsArgs): Decisions | Promise<Decisions>;
}

/** Classifies a conflict from its candidates' operations. */
export function classifyConflict(candidates: readonly Candidate[]): ConflictKind {
  const deletes = candidates.filter((c) => c.change.lastOp === 'delete').length;
  if (deletes === candidates.length) return 'delete/delete';
  if (deletes > 0) return 'update/delete';
  return candidates.every((c) => c.change.firstOp === 'insert') ? 'insert/insert' : 'update/update';
}
