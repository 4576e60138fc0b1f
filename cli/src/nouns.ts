/** The object kinds of `add` and `list`, from Bucardo's spellings (first match wins, as in Bucardo). */
export type Noun = 'dbgroup' | 'database' | 'herd' | 'sync' | 'table' | 'sequence' | 'conflict' | 'customname' | 'customcols' | 'all';

const patterns: Array<[RegExp, Noun]> = [
  [/^dbg|^d.+group/i, 'dbgroup'],
  [/^db|^database/i, 'database'],
  [/^(relgr|herd)/i, 'herd'],
  [/^s[yi]n[ck]/i, 'sync'],
  [/^tab|^tbale/i, 'table'],
  [/^confl/i, 'conflict'],
  [/^seq/i, 'sequence'],
  [/^customn/i, 'customname'],
  [/^customc/i, 'customcols'],
  [/^all$/i, 'all'],
];

export function nounOf(word: string | undefined): Noun | undefined {
  if (word === undefined) return undefined;
  return patterns.find(([pattern]) => pattern.test(word))?.[1];
}
