import type { Candidate, ConflictStrategy, Decision, KeyText, ResolveConflictsArgs } from '@bucardo/plugin-sdk';

/**
 * `latest`: per row, the source whose change to the key is newest wins; equal times go to the database
 * whose name sorts first. The decision depends only on the candidates, never on their order, so every
 * database would reach the same winner. (Bucardo's `bucardo_latest` decides per table, not per row: the
 * database with the newest change to a table wins all of its conflicts, which loses later edits made
 * elsewhere.)
 */
export const latest: ConflictStrategy = Object.freeze({
  name: 'latest',
  resolve({ conflicts }: ResolveConflictsArgs) {
    const decisions = new Map<KeyText, Decision>();
    for (const conflict of conflicts) decisions.set(conflict.key, { winner: newest(conflict.candidates).db });
    return decisions;
  },
});

export function newest(candidates: readonly Candidate[]): Candidate {
  let best = candidates[0]!;
  for (const candidate of candidates) {
    const newer = candidate.change.changedAt > best.change.changedAt;
    const tieFirst = candidate.change.changedAt === best.change.changedAt && candidate.db < best.db;
    if (newer || tieFirst) best = candidate;
  }
  return best;
}
