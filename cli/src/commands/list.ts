import { BucardoError } from '@bucardo/plugin-sdk';
import type { CliSession } from '../cli-session.js';
import { formatDatabases, formatDbGroups, formatHerds, formatSyncs, formatTables } from '../format/lists.js';
import { nounOf, type Noun } from '../nouns.js';

/** `bucardo list dbs|tables|herds|dbgroups|syncs|all`. */
export async function list(session: CliSession): Promise<number> {
  const noun = nounOf(session.words[0]);
  if (!noun) throw new BucardoError('UNKNOWN_COMMAND', 'Usage: bucardo list dbs|tables|herds|dbgroups|syncs|all', { item: session.words[0] ?? 'list' });
  if (noun === 'all') {
    for (const each of ['dbgroup', 'database', 'herd', 'sync', 'table'] as const) {
      session.print(`-- ${heading[each]}:`);
      session.print(await render(session, each));
    }
    return 0;
  }
  session.print(await render(session, noun));
  return 0;
}

const heading: Record<Exclude<Noun, 'all'>, string> = { dbgroup: 'dbgroups', database: 'databases', herd: 'relgroup', sync: 'syncs', table: 'tables' };

async function render(session: CliSession, noun: Exclude<Noun, 'all'>): Promise<string> {
  const bucardo = await session.bucardo();
  switch (noun) {
    case 'database': return formatDatabases(await bucardo.listDatabases());
    case 'table': return formatTables(await bucardo.listTables());
    case 'herd': return formatHerds(await bucardo.listHerds());
    case 'dbgroup': return formatDbGroups(await bucardo.listDbGroups());
    case 'sync': return formatSyncs(await bucardo.listSyncs(), await bucardo.listDbGroups());
  }
}
