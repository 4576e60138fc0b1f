import { BucardoError } from '@bucardo/plugin-sdk';
import type { CliSession } from '../cli-session.js';
import { formatConflicts, formatSequences, formatDatabases, formatDbGroups, formatHerds, formatSyncs, formatTables } from '../format/lists.js';
import { nounOf, type Noun } from '../nouns.js';
import { rejectUnknown } from './options.js';

/** `bucardo list dbs|tables|herds|dbgroups|syncs|all`. */
export async function list(session: CliSession): Promise<number> {
  const noun = nounOf(session.words[0]);
  if (!noun) throw new BucardoError('UNKNOWN_COMMAND', 'Usage: bucardo list dbs|tables|sequences|herds|dbgroups|syncs|conflicts|all', { item: session.words[0] ?? 'list' });
  if (noun === 'conflict') return listConflicts(session);
  if (noun === 'all') {
    for (const each of ['dbgroup', 'database', 'herd', 'sync', 'table', 'sequence'] as const) {
      session.print(`-- ${heading[each]}:`);
      session.print(await render(session, each));
    }
    return 0;
  }
  session.print(await render(session, noun));
  return 0;
}

/** `bucardo list conflicts [SYNC] [table=T] [limit=N]`: the audit, newest first. */
async function listConflicts(session: CliSession): Promise<number> {
  const { table, limit, ...unknown } = session.params;
  rejectUnknown(unknown, 'list conflicts', ['table', 'limit']);
  if (limit !== undefined && !/^\d+$/.test(limit)) throw new BucardoError('INVALID_ARGUMENT', `limit must be a number, not "${limit}"`, { item: 'limit' });
  const sync = session.words[1];
  const rows = await (await session.bucardo()).listConflicts({ ...(sync ? { sync } : {}), ...(table ? { table } : {}), ...(limit ? { limit: Number(limit) } : {}) });
  session.print(formatConflicts(rows));
  return 0;
}

const heading: Record<Exclude<Noun, 'all' | 'conflict'>, string> = { dbgroup: 'dbgroups', database: 'databases', herd: 'relgroup', sync: 'syncs', table: 'tables', sequence: 'sequences' };

async function render(session: CliSession, noun: Exclude<Noun, 'all' | 'conflict'>): Promise<string> {
  const bucardo = await session.bucardo();
  switch (noun) {
    case 'database': return formatDatabases(await bucardo.listDatabases());
    case 'table': return formatTables((await bucardo.listTables()).filter((row) => row.kind === 'table'));
    case 'sequence': return formatSequences((await bucardo.listTables()).filter((row) => row.kind === 'sequence'));
    case 'herd': return formatHerds(await bucardo.listHerds());
    case 'dbgroup': return formatDbGroups(await bucardo.listDbGroups());
    case 'sync': return formatSyncs(await bucardo.listSyncs(), await bucardo.listDbGroups());
  }
}
