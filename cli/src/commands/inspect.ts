import { BucardoError } from '@bucardo/plugin-sdk';
import type { CliSession } from '../cli-session.js';
import { formatInspection, missesParents } from '../format/inspection.js';
import { nounOf } from '../nouns.js';
import { matchSyncs } from './sync-names.js';

/** Exit code of an inspect that found a table a foreign key points at missing from a relgroup (0: none; 1: an error). */
export const FOREIGN_KEY_TABLE_MISSING = 2;

/**
 * `bucardo inspect table T…|herd H…|sync S…`: per table, the relgroups it is in, their syncs, and the
 * tables its foreign keys point at that a relgroup lacks. Exit code 2 when any is missing.
 */
export async function inspect(session: CliSession): Promise<number> {
  const [nounWord, ...names] = session.words;
  const noun = nounOf(nounWord);
  if ((noun !== 'table' && noun !== 'herd' && noun !== 'sync') || names.length === 0) {
    throw new BucardoError('INVALID_ARGUMENT', `Usage: bucardo inspect table TABLE… | herd NAME… | sync NAME…${nounWord && noun === undefined ? ` ("${nounWord}" is not one of them)` : ''}`, { item: nounWord ?? 'inspect' });
  }
  const bucardo = await session.bucardo();
  const named = noun === 'sync' ? matchSyncs(names, (await bucardo.listSyncs()).map((sync) => sync.name)) : names;
  const inspections = await bucardo.inspect(noun, named);
  for (const inspection of inspections) session.print(formatInspection(inspection));
  return inspections.some(missesParents) ? FOREIGN_KEY_TABLE_MISSING : 0;
}
