import type { Candidate, ConflictStrategy, Decision, KeyText, ResolveConflictsArgs } from '@bucardo/plugin-sdk';

/**
 * `latest` (the default): per row, the source whose last change to the key is newest wins; equal times go
 * to the database whose name sorts first, so the decision depends only on the candidates. (Bucardo's
 * `bucardo_latest` decides per table instead, which loses later edits made elsewhere: see `latest_table`.)
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

/**
 * `latest_table`: Bucardo's rule, for compatibility: the source with the newest change to the table in
 * this run wins every conflicting row of that table (ties to the name that sorts first).
 */
export const latestTable: ConflictStrategy = Object.freeze({
  name: 'latest_table',
  resolve({ conflicts, newestChange }: ResolveConflictsArgs) {
    const ranked = [...newestChange].sort(([a, at], [b, bt]) => bt - at || (a < b ? -1 : a > b ? 1 : 0)).map(([db]) => db);
    const decisions = new Map<KeyText, Decision>();
    for (const conflict of conflicts) {
      const winner = ranked.find((db) => conflict.candidates.some((candidate) => candidate.db === db)) ?? newest(conflict.candidates).db;
      decisions.set(conflict.key, { winner });
    }
    return decisions;
  },
});
