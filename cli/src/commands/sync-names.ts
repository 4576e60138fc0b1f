import { BucardoError } from '@bucardo/plugin-sdk';

/** Expands sync names given on the command line: exact names, `%`/`*` wildcards, or `all`. */
export function matchSyncs(patterns: readonly string[], known: readonly string[]): string[] {
  const matched = new Set<string>();
  for (const pattern of patterns) {
    if (pattern.toLowerCase() === 'all') { known.forEach((name) => matched.add(name)); continue; }
    if (/[%*]/.test(pattern)) {
      const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/[%*]/g, '.*')}$`);
      const hits = known.filter((name) => regex.test(name));
      if (hits.length === 0) throw new BucardoError('SYNC_NOT_FOUND', `No syncs match "${pattern}"`, { sync: pattern });
      hits.forEach((name) => matched.add(name));
      continue;
    }
    if (!known.includes(pattern)) throw new BucardoError('SYNC_NOT_FOUND', `There is no sync named "${pattern}"`, { sync: pattern });
    matched.add(pattern);
  }
  return [...matched];
}
