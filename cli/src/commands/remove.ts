import { BucardoError, formatTable } from '@bucardo/plugin-sdk';
import type { RemovedSync } from '@bucardo/core';
import type { CliSession } from '../cli-session.js';
import { nounOf } from '../nouns.js';

/** `bucardo remove sync|table|db NAME… [--force]`. */
export async function remove(session: CliSession): Promise<number> {
  const [nounWord, ...names] = session.words;
  if (names.length === 0) throw new BucardoError('INVALID_ARGUMENT', 'Usage: bucardo remove sync|table|db NAME… [--force]', { item: nounWord ?? 'remove' });
  const bucardo = await session.bucardo();
  const force = session.command.options.force;
  switch (nounOf(nounWord)) {
    case 'sync':
      for (const name of names) {
        const removed = await bucardo.removeSync(name);
        session.print(`Removed sync "${name}"`);
        for (const line of removedSyncLines(name, removed)) session.print(line);
      }
      return 0;
    case 'table':
    case 'sequence': {
      const removed = await bucardo.removeTables(names, { force });
      session.print(['Removed the following tables:', ...removed.map((table) => `  ${formatTable(table)}`)].join('\n'));
      return 0;
    }
    case 'database': {
      const removed = await bucardo.removeDatabases(names, { force });
      // --force takes syncs and memberships along: say so, a sync gone silently is found missing too late
      for (const sync of removed.syncs) {
        session.print(`Removed sync "${sync.name}", which used database${sync.dbs.length === 1 ? '' : 's'} ${sync.dbs.map((db) => `"${db}"`).join(', ')}`);
        for (const line of removedSyncLines(sync.name, sync.removed)) session.print(line);
      }
      for (const { db, dbgroup } of removed.memberships) session.print(`Removed database "${db}" from dbgroup "${dbgroup}"`);
      for (const name of removed.databases) session.print(`Removed database "${name}"`);
      return 0;
    }
    default:
      throw new BucardoError('UNKNOWN_COMMAND', 'Usage: bucardo remove sync|table|db NAME… [--force]', { item: nounWord ?? 'remove' });
  }
}

/**
 * The lines under `Removed sync "S"`: what it had not delivered (those changes never will be now, so
 * nothing goes without a line), then its capture, removed or kept.
 */
function removedSyncLines(sync: string, removed: RemovedSync): string[] {
  return [
    ...droppedLines(sync, removed.undelivered),
    ...[...removed.capture].map(([db, tables]) => `  Removed capture of ${tables.map(formatTable).join(', ')} on database "${db}"`),
    ...removed.captureKept.map(({ db, error }) => `  Could not remove capture on database "${db}" (it keeps recording changes no sync reads): ${error.message}`),
  ];
}

/** One line for the counted records of every source together (none when there are none), one per source that could not be counted. */
function droppedLines(sync: string, undelivered: RemovedSync['undelivered']): string[] {
  const lines: string[] = [];
  const counted = undelivered.flatMap((source) => (source.counted && source.tables.length > 0 ? [source] : []));
  const total = counted.reduce((sum, source) => sum + source.tables.reduce((n, entry) => n + entry.records, 0), 0);
  if (total > 0) {
    const where = counted.map((source) => `database "${source.db}": ${source.tables.map((entry) => `${formatTable(entry.table)} ${entry.records}`).join(', ')}`);
    lines.push(`  Dropped ${total} change record${total === 1 ? '' : 's'} sync "${sync}" had not delivered yet (${where.join('; ')})`);
  }
  for (const source of undelivered) {
    if (!source.counted) lines.push(`  Dropped an unknown number of change records sync "${sync}" had not delivered yet from database "${source.db}": ${source.error.message}`);
  }
  return lines;
}
