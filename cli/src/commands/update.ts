import { BucardoError } from '@bucardo/plugin-sdk';
import type { CliSession } from '../cli-session.js';
import { nounOf } from '../nouns.js';

/** `bucardo update sync NAME key=value…` (autokick/ping, checktime, conflict, status). */
export async function update(session: CliSession): Promise<number> {
  const [nounWord, name, ...extra] = session.words;
  if (nounOf(nounWord) !== 'sync' || !name || extra.length > 0) {
    throw new BucardoError('UNKNOWN_COMMAND', 'Usage: bucardo update sync NAME key=value … (autokick, checktime, conflict, status)', { item: nounWord ?? 'update' });
  }
  if (Object.keys(session.params).length === 0) throw new BucardoError('INVALID_ARGUMENT', `Nothing to change: bucardo update sync ${name} key=value …`, { sync: name });
  const row = await (await session.bucardo()).updateSync(name, session.params);
  for (const key of Object.keys(session.params)) {
    const shown = /^(conflict|conflict_strategy|standard_conflict)$/.test(key) ? `conflict strategy to '${row.conflictStrategy}'`
      : /^(autokick|ping)$/.test(key) ? `autokick to ${row.autokick}`
      : key === 'checktime' ? `checktime to ${row.checktime ?? 'none'}`
      : `${key} to ${row.status}`;
    session.print(`Set ${shown}`);
  }
  return 0;
}
