import { BucardoError } from '@bucardo/plugin-sdk';
import { isWildcard, namePattern } from './name-pattern.js';

/** Expands sync names given on the command line: exact names, `%`/`*` wildcards, or `all`. */
export function matchSyncs(patterns: readonly string[], known: readonly string[]): string[] {
  const matched = new Set<string>();
  for (const pattern of patterns) {
    if (pattern.toLowerCase() === 'all') { known.forEach((name) => matched.add(name)); continue; }
    if (isWildcard(pattern)) {
      const hits = known.filter(namePattern(pattern));
      if (hits.length === 0) throw new BucardoError('SYNC_NOT_FOUND', `No syncs match "${pattern}"`, { sync: pattern });
      hits.forEach((name) => matched.add(name));
      continue;
    }
    if (!known.includes(pattern)) throw new BucardoError('SYNC_NOT_FOUND', `There is no sync named "${pattern}"`, { sync: pattern });
    matched.add(pattern);
  }
  return [...matched];
}
