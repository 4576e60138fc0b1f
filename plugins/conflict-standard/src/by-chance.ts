import { createHash } from 'node:crypto';
import type { ConflictStrategy, Decision, KeyText, ResolveConflictsArgs } from '@bucardo/plugin-sdk';

/**
 * `random [SEED]`: a winner drawn per key from a hash of the seed, the table and the key, so the choice is
 * the same however often it is made (and on every database, which all receive the one winner).
 */
export const byChance: ConflictStrategy = Object.freeze({
  name: 'random',
  resolve({ conflicts, options, sync, table }: ResolveConflictsArgs) {
    const seed = options[0] ?? sync;
    const decisions = new Map<KeyText, Decision>();
    for (const conflict of conflicts) {
      const candidates = [...conflict.candidates].sort((a, b) => (a.db < b.db ? -1 : 1));
      const hash = createHash('sha256').update(`${seed}\u0000${table.schema}.${table.name}\u0000${conflict.key}`).digest();
      decisions.set(conflict.key, { winner: candidates[hash.readUInt32BE(0) % candidates.length]!.db });
    }
    return decisions;
  },
});

/** `skip`: conflicting keys are left alone on every database and recorded for manual resolution. */
export const skip: ConflictStrategy = Object.freeze({
  name: 'skip',
  resolve({ conflicts }: ResolveConflictsArgs) {
    return new Map(conflicts.map((conflict) => [conflict.key, { skip: true, reason: 'conflict=skip' } as Decision]));
  },
});

/** `abort`: any conflict fails the run; nothing is applied anywhere, and the sync shows Bad with the keys. */
export const abort: ConflictStrategy = Object.freeze({
  name: 'abort',
  resolve({ conflicts }: ResolveConflictsArgs) {
    return new Map(conflicts.map((conflict) => [conflict.key, { abort: 'conflict=abort' } as Decision]));
  },
});
