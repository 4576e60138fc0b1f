import { BucardoError, type ConflictStrategy, type Decision, type KeyText, type ResolveConflictsArgs, type ValidateStrategyArgs } from '@bucardo/plugin-sdk';

/**
 * `order` — what a list of databases means (`conflict="t3 t1 t2"`): the first database in the list that
 * changed the key wins; a conflict among databases not in the list falls to the newest change.
 */
export const byOrder: ConflictStrategy = Object.freeze({
  name: 'order',
  resolve({ conflicts, options }: ResolveConflictsArgs) {
    const decisions = new Map<KeyText, Decision>();
    for (const conflict of conflicts) {
      const winner = options.find((db) => conflict.candidates.some((candidate) => candidate.db === db));
      if (winner !== undefined) decisions.set(conflict.key, { winner });
    }
    return decisions;
  },
  validate({ sync, databases, options }: ValidateStrategyArgs) {
    if (options.length === 0) throw new BucardoError('INVALID_ARGUMENT', `Sync "${sync}": list the databases in order, e.g. conflict="A B C"`, { sync });
    for (const db of options) {
      if (!databases.some((candidate) => candidate.name === db)) throw new BucardoError('UNKNOWN_STRATEGY', `"${db}" is not a db for this sync`, { sync, db });
    }
  },
});

/** `source`: the first source of the sync's dbgroup wins every conflict, whether or not it changed the key. */
export const bySource: ConflictStrategy = Object.freeze({
  name: 'source',
  resolve({ conflicts, databases }: ResolveConflictsArgs) {
    const winner = databases.find((db) => db.role === 'source')!.name;
    return new Map(conflicts.map((conflict) => [conflict.key, { winner } as Decision]));
  },
});

/**
 * `target`: what the (first) target database has wins: the conflicting sources get the target's row, and
 * the target keeps it.
 */
export const byTarget: ConflictStrategy = Object.freeze({
  name: 'target',
  resolve({ conflicts, databases }: ResolveConflictsArgs) {
    const winner = databases.find((db) => db.role === 'target')!.name;
    return new Map(conflicts.map((conflict) => [conflict.key, { winner } as Decision]));
  },
  validate({ sync, databases }: ValidateStrategyArgs) {
    if (!databases.some((db) => db.role === 'target')) {
      throw new BucardoError('INVALID_ARGUMENT', `Sync "${sync}" has no target database, so conflict=target has nothing to keep`, { sync, item: 'target' });
    }
  },
});
