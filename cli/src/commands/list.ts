import { BucardoError } from '@bucardo/plugin-sdk';
import type { CliSession } from '../cli-session.js';
import { formatConflicts, formatSequences, formatDatabases, formatDbGroups, formatHerds, formatSyncs, formatTables, type ListDetail } from '../format/lists.js';
import { nounOf, type Noun } from '../nouns.js';
import { filterListed } from './list-filter.js';
import { rejectUnknown } from './options.js';
import { listCustomNames } from './custom-names.js';
import { listCustomCols } from './custom-cols.js';

/** `bucardo list dbs|tables|herds|dbgroups|syncs|all [NAME|PATTERN…] [-v]`. */
export async function list(session: CliSession): Promise<number> {
  const noun = nounOf(session.words[0]);
  if (!noun) throw new BucardoError('UNKNOWN_COMMAND', 'Usage: bucardo list dbs|tables|sequences|herds|dbgroups|syncs|conflicts|customnames|customcols|all', { item: session.words[0] ?? 'list' });
  if (noun === 'conflict') return listConflicts(session);
  if (noun === 'customname') return listCustomNames(session);
  if (noun === 'customcols') return listCustomCols(session);
  if (noun === 'all') {
    for (const each of ['dbgroup', 'database', 'herd', 'sync', 'table', 'sequence'] as const) {
      session.print(`-- ${heading[each]}:`);
      session.print(await render(session, each));
    }
    session.print('-- customnames:');
    await listCustomNames(session);
    session.print('-- customcols:');
    return listCustomCols(session);
  }
  session.print(await render(session, noun, session.words.slice(1)));
  return 0;
}

/** `bucardo list conflicts [SYNC] [table=T] [limit=N]`: the audit, newest first. */
async function listConflicts(session: CliSession): Promise<number> {
  const { table, limit, ...unknown } = session.params;
  rejectUnknown(unknown, 'list conflicts', ['table', 'limit']);
  if (limit !== undefined && !/^[1-9]\d*$/.test(limit)) throw new BucardoError('INVALID_ARGUMENT', `limit must be a whole number above 0, not "${limit}"`, { item: 'limit' });
  const sync = session.words[1];
  const bucardo = await session.bucardo();
  // a table that was never added has no conflicts by definition: a typo, said as one
  if (table !== undefined) filterListed((await bucardo.listTables()).filter((row) => row.kind === 'table'), [table], (row) => [row.table.name, `${row.table.schema}.${row.table.name}`], 'table');
  const shown = limit === undefined ? DEFAULT_CONFLICTS : Number(limit);
  // one more than shown, to tell whether the list is cut
  const rows = await bucardo.listConflicts({ ...(sync ? { sync } : {}), ...(table ? { table } : {}), limit: shown + 1 });
  session.print(formatConflicts(rows.slice(0, shown)));
  if (rows.length > shown) process.stderr.write(`Showing the newest ${shown} conflicts; there are more (limit=N shows N)\n`);
  return 0;
}

/** Conflicts `list conflicts` shows without `limit=`. */
const DEFAULT_CONFLICTS = 100;

const heading: Record<Exclude<Noun, 'all' | 'conflict' | 'customname' | 'customcols'>, string> = { dbgroup: 'dbgroups', database: 'databases', herd: 'relgroup', sync: 'syncs', table: 'tables', sequence: 'sequences' };

/** With `-v`, as Bucardo's list: where each database is used, which tables each sync has. */
async function detailOf(session: CliSession): Promise<ListDetail | undefined> {
  if (session.command.options.verbose === 0) return undefined;
  const bucardo = await session.bucardo();
  return { groups: await bucardo.listDbGroups(), syncs: await bucardo.listSyncs(), herds: await bucardo.listHerds() };
}

async function render(session: CliSession, noun: Exclude<Noun, 'all' | 'conflict' | 'customname' | 'customcols'>, patterns: readonly string[] = []): Promise<string> {
  const bucardo = await session.bucardo();
  const named = { name: (row: { name: string }) => [row.name], table: (row: { table: { schema: string; name: string } }) => [row.table.name, `${row.table.schema}.${row.table.name}`] };
  switch (noun) {
    case 'database': return formatDatabases(filterListed(await bucardo.listDatabases(), patterns, named.name, noun), await detailOf(session));
    case 'table': return formatTables(filterListed((await bucardo.listTables()).filter((row) => row.kind === 'table'), patterns, named.table, noun));
    case 'sequence': return formatSequences(filterListed((await bucardo.listTables()).filter((row) => row.kind === 'sequence'), patterns, named.table, noun));
    case 'herd': return formatHerds(filterListed(await bucardo.listHerds(), patterns, named.name, noun));
    case 'dbgroup': return formatDbGroups(filterListed(await bucardo.listDbGroups(), patterns, named.name, noun));
    case 'sync': {
      // -v reads the syncs and dbgroups already: read once
      const detail = await detailOf(session);
      const syncs = detail?.syncs ?? await bucardo.listSyncs();
      return formatSyncs(filterListed(syncs, patterns, named.name, noun), detail?.groups ?? await bucardo.listDbGroups(), await bucardo.stalledSyncs(), detail);
    }
  }
}
