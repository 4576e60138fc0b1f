import { sourcesBarringRefresh, type DbGroupMember } from '@bucardo/core';

/**
 * What `add sync` and `update sync` add when a sync is given `refreshabove=` it can never use (the core's
 * rule, `sourcesBarringRefresh`). Said at once, so that nobody waits for a copy that will not come (the
 * run's verbose log says it too).
 */
export function refreshAboveNote(sync: string, refreshAbove: number | null | undefined, members: readonly Pick<DbGroupMember, 'role'>[]): string | undefined {
  if (!refreshAbove) return undefined;
  const sources = sourcesBarringRefresh(members);
  if (sources === undefined) return undefined;
  return `Note: sync "${sync}" has ${sources} sources: refreshabove applies to a sync with one source only, so its tables stay key by key`;
}
