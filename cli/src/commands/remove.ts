import { BucardoError, formatTable } from '@bucardo/plugin-sdk';
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
        for (const [db, tables] of removed) session.print(`  Removed capture of ${tables.map(formatTable).join(', ')} on database "${db}"`);
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
      for (const sync of removed.syncs) session.print(`Removed sync "${sync.name}", which used database${sync.dbs.length === 1 ? '' : 's'} ${sync.dbs.map((db) => `"${db}"`).join(', ')}`);
      for (const { db, dbgroup } of removed.memberships) session.print(`Removed database "${db}" from dbgroup "${dbgroup}"`);
      for (const name of removed.databases) session.print(`Removed database "${name}"`);
      return 0;
    }
    default:
      throw new BucardoError('UNKNOWN_COMMAND', 'Usage: bucardo remove sync|table|db NAME… [--force]', { item: nounWord ?? 'remove' });
  }
}
