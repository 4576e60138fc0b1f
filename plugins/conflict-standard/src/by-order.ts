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
 * `target`: what the first target database whose rows can be read has wins: the conflicting sources get
 * the target's row, and the target keeps it. (A flat file or MongoDB target cannot be read from.)
 */
export const byTarget: ConflictStrategy = Object.freeze({
  name: 'target',
  resolve({ sync, conflicts, databases }: ResolveConflictsArgs) {
    const winner = databases.find((db) => db.role === 'target' && db.readable !== false)?.name;
    // a sync set up before its targets were checked for this, or whose dbgroup changed since
    if (winner === undefined) throw new BucardoError('DB_ROLE_UNSUPPORTED', `Sync "${sync}": conflict=target needs a target whose rows can be read, and it has none`, { sync, item: 'target' });
    return new Map(conflicts.map((conflict) => [conflict.key, { winner } as Decision]));
  },
  validate({ sync, databases }: ValidateStrategyArgs) {
    const targets = databases.filter((db) => db.role === 'target');
    if (targets.length === 0) {
      throw new BucardoError('INVALID_ARGUMENT', `Sync "${sync}" has no target database, so conflict=target has nothing to keep`, { sync, item: 'target' });
    }
    if (!targets.some((db) => db.readable !== false)) {
      throw new BucardoError('DB_ROLE_UNSUPPORTED', `Sync "${sync}": conflict=target needs a target whose rows can be read, and ${targets.map((db) => `"${db.name}" (type ${db.type})`).join(', ')} cannot be`, { sync, item: 'target', db: targets[0]!.name });
    }
  },
});
