import { formatTable } from '@bucardo/plugin-sdk';
import type { DroppedChanges } from '@bucardo/core';
import type { CliSession } from '../cli-session.js';
import { printWarning } from '../print-error.js';

/**
 * Says what a sync had captured and not delivered of what was just taken out of it: those changes never
 * will be now, so nothing goes without a line. One line for the records counted on every source together
 * (none when there were none); a source that could not be counted is a `WARNING:` on stderr, which
 * --quiet does not silence: its changes may be many.
 */
export function reportDropped(session: CliSession, { sync, undelivered }: DroppedChanges): void {
  const counted = undelivered.flatMap((source) => (source.counted && source.tables.length > 0 ? [source] : []));
  const total = counted.reduce((sum, source) => sum + source.tables.reduce((n, entry) => n + entry.records, 0), 0);
  if (total > 0) {
    const where = counted.map((source) => `database "${source.db}": ${source.tables.map((entry) => `${formatTable(entry.table)} ${entry.records}`).join(', ')}`);
    session.print(`  Dropped ${total} change record${total === 1 ? '' : 's'} sync "${sync}" had not delivered yet (${where.join('; ')})`);
  }
  for (const source of undelivered) {
    if (!source.counted) printWarning(`Dropped an unknown number of change records sync "${sync}" had not delivered yet from database "${source.db}": ${source.error.message}`);
  }
}
