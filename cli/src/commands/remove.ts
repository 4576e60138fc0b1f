import { BucardoError, formatTable } from '@bucardo/plugin-sdk';
import type { RemovedSync } from '@bucardo/core';
import type { CliSession } from '../cli-session.js';
import { printWarning } from '../print-error.js';
import { reportDropped } from './dropped-changes.js';
import { nounOf } from '../nouns.js';
import { customNameIds, describeCustomName } from './custom-names.js';
import { customColsIds, describeCustomCols } from './custom-cols.js';

/** `bucardo remove sync|table|db|relgroup|dbgroup NAME… [--force]`. */
export async function remove(session: CliSession): Promise<number> {
  const [nounWord, ...names] = session.words;
  if (names.length === 0) throw new BucardoError('INVALID_ARGUMENT', 'Usage: bucardo remove sync|table|db|relgroup|dbgroup NAME… [--force]', { item: nounWord ?? 'remove' });
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
      session.print(['Removed the following tables:', ...removed.tables.map((table) => `  ${formatTable(table)}`)].join('\n'));
      for (const dropped of removed.dropped) reportDropped(session, dropped);
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
    case 'herd':
      for (const name of await bucardo.removeHerds(names)) session.print(`Removed relgroup "${name}"`);
      return 0;
    case 'dbgroup':
      for (const name of await bucardo.removeDbGroups(names)) session.print(`Removed dbgroup "${name}"`);
      return 0;
    case 'customname':
      for (const row of await bucardo.removeCustomNames(customNameIds(names))) session.print(`Removed customname ${describeCustomName(row)}`);
      return 0;
    case 'customcols':
      for (const row of await bucardo.removeCustomCols(customColsIds(names))) session.print(`Removed customcols ${describeCustomCols(row)}`);
      return 0;
    default:
      throw new BucardoError('UNKNOWN_COMMAND', 'Usage: bucardo remove sync|table|db|relgroup|dbgroup|customname|customcols NAME… [--force]', { item: nounWord ?? 'remove' });
  }
}

/**
 * Says what went with sync `sync`: what it had not delivered, then its capture. A source whose capture
 * could not be removed is a `WARNING:` on stderr: its change tables keep growing with no sync to read them.
 */
function reportRemovedSync(session: CliSession, sync: string, removed: RemovedSync): void {
  reportDropped(session, { sync, undelivered: removed.undelivered });
  for (const [db, tables] of removed.capture) session.print(`  Removed capture of ${tables.map(formatTable).join(', ')} on database "${db}"`);
  for (const { db, error } of removed.captureKept) printWarning(`Could not remove capture on database "${db}" (it keeps recording changes no sync reads): ${error.message}`);
}
