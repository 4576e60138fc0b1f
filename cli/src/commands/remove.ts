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
        reportRemovedSync(session, name, removed);
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
        reportRemovedSync(session, sync.name, sync.removed);
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
 * Says what went with sync `sync`: what it had not delivered (those changes never will be now, so nothing
 * goes without a line), then its capture. What could not be counted or removed is a `WARNING:` on stderr,
 * not silenced by --quiet: a source whose changes were not counted, or whose change tables keep growing
 * with no sync to read them, needs a look.
 */
function reportRemovedSync(session: CliSession, sync: string, removed: RemovedSync): void {
  const dropped = droppedLine(sync, removed.undelivered);
  if (dropped) session.print(dropped);
  for (const [db, tables] of removed.capture) session.print(`  Removed capture of ${tables.map(formatTable).join(', ')} on database "${db}"`);
  for (const source of removed.undelivered) {
    if (!source.counted) warn(`Dropped an unknown number of change records sync "${sync}" had not delivered yet from database "${source.db}": ${source.error.message}`);
  }
  for (const { db, error } of removed.captureKept) warn(`Could not remove capture on database "${db}" (it keeps recording changes no sync reads): ${error.message}`);
}

/** One line for the records counted on every source together, none when there were none. */
function droppedLine(sync: string, undelivered: RemovedSync['undelivered']): string | undefined {
  const counted = undelivered.flatMap((source) => (source.counted && source.tables.length > 0 ? [source] : []));
  const total = counted.reduce((sum, source) => sum + source.tables.reduce((n, entry) => n + entry.records, 0), 0);
  if (total === 0) return undefined;
  const where = counted.map((source) => `database "${source.db}": ${source.tables.map((entry) => `${formatTable(entry.table)} ${entry.records}`).join(', ')}`);
  return `  Dropped ${total} change record${total === 1 ? '' : 's'} sync "${sync}" had not delivered yet (${where.join('; ')})`;
}

function warn(text: string): void {
  process.stderr.write(`WARNING: ${text}\n`);
}
