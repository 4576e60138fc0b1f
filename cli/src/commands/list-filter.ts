import { BucardoError, type ErrorCode } from '@bucardo/plugin-sdk';
import { isWildcard, namePattern } from './name-pattern.js';

/** What each listed kind is called in messages, and the code of "none by that name". */
export const LISTED: Readonly<Record<'database' | 'table' | 'sequence' | 'herd' | 'dbgroup' | 'sync' | 'customname' | 'customcols', { readonly what: string; readonly code: ErrorCode }>> = {
  database: { what: 'database', code: 'DB_NOT_FOUND' },
  table: { what: 'table', code: 'TABLE_NOT_FOUND' },
  sequence: { what: 'sequence', code: 'TABLE_NOT_FOUND' },
  herd: { what: 'herd', code: 'HERD_NOT_FOUND' },
  dbgroup: { what: 'dbgroup', code: 'DBGROUP_NOT_FOUND' },
  sync: { what: 'sync', code: 'SYNC_NOT_FOUND' },
  // a custom name is listed by its table
  customname: { what: 'customname for a table', code: 'TABLE_NOT_FOUND' },
  customcols: { what: 'customcols for a table', code: 'TABLE_NOT_FOUND' },
};

/**
 * The rows `bucardo list KIND PATTERN…` shows, as Bucardo's list filters: exact names, `%`/`*` wildcards,
 * or `all`; none given, every row. A row answers to each of its names (a table to `t` and `public.t`). A
 * pattern that matches nothing is an error naming it, so that a typo is not read as "there is none".
 */
export function filterListed<Row>(rows: readonly Row[], patterns: readonly string[], namesOf: (row: Row) => readonly string[], kind: keyof typeof LISTED): Row[] {
  if (patterns.length === 0) return [...rows];
  const wanted = new Set<Row>();
  for (const pattern of patterns) {
    if (pattern.toLowerCase() === 'all') {
      rows.forEach((row) => wanted.add(row));
      continue;
    }
    const matches = namePattern(pattern);
    const hits = rows.filter((row) => namesOf(row).some(matches));
    if (hits.length === 0) {
      const { what, code } = LISTED[kind];
      throw new BucardoError(code, isWildcard(pattern) ? `No ${what} matches "${pattern}"` : `There is no ${what} named "${pattern}"`, { item: pattern });
    }
    hits.forEach((row) => wanted.add(row));
  }
  // in the order listed, whatever the order of the patterns
  return rows.filter((row) => wanted.has(row));
}
