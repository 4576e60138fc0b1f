import { syncOptionName, type SyncRow } from '@bucardo/core';
import { BucardoError, formatTable } from '@bucardo/plugin-sdk';
import type { CliSession } from '../cli-session.js';
import { nounOf } from '../nouns.js';
import { warnForeignKeys } from './foreign-key-warnings.js';
import { columnList } from './add.js';
import { reportDropped } from './dropped-changes.js';
import { rowsNotCopiedNote } from './rows-not-copied.js';
import { refreshAboveNote } from './refresh-note.js';
import { withoutBucardoOnlyOptions } from './bucardo-sync-options.js';
import { updateDbGroupCommand } from './update-dbgroup.js';
import { copyTargetsText } from '../format/copy-targets.js';

/** `bucardo update sync NAME key=value…` (autokick/ping, checktime, conflict, status, onetimecopy [db=T,…], refreshabove); `update table NAME additive=…`; `update db NAME key=value…`. */
export async function update(session: CliSession): Promise<number> {
  const [nounWord, name, ...extra] = session.words;
  const noun = nounOf(nounWord);
  if (noun === 'sync' && name && extra.length >= 3 && /^(add|remove|delete)$/i.test(extra[0]!) && /^tab/i.test(extra[1]!)) {
    return changeSyncTables(session, name, extra[0]!.toLowerCase() === 'add', extra.slice(2));
  }
  if (noun === 'dbgroup' && name) return updateDbGroupCommand(session, name, extra);
  if ((noun !== 'sync' && noun !== 'table' && noun !== 'database') || !name || extra.length > 0) {
    throw new BucardoError('UNKNOWN_COMMAND', 'Usage: bucardo update sync NAME key=value … (autokick, checktime, conflict, status, onetimecopy [db=TARGET,…], refreshabove) | update sync NAME add|remove table T… | update table NAME additive=COLUMN,… makedelta=on|off|DB,… | update db NAME key=value … (host, port, user, pass, dbname, conn, status, …) [--force] | update dbgroup NAME DB[:ROLE]… | update dbgroup NAME remove DB… | update dbgroup NAME name=NEWNAME', { item: nounWord ?? 'update' });
  }
  if (noun === 'table') return updateTable(session, name);
  if (noun === 'database') return updateDatabase(session, name);
  if (Object.keys(session.params).length === 0) throw new BucardoError('INVALID_ARGUMENT', `Nothing to change: bucardo update sync ${name} key=value …`, { sync: name });
  const { params, warnings } = withoutBucardoOnlyOptions(session.params);
  const warn = () => { for (const warning of warnings) process.stderr.write(`${warning}\n`); };
  if (Object.keys(params).length === 0) {
    await (await session.bucardo()).status([name]);
    warn();
    return 0;
  }
  const row = await (await session.bucardo()).updateSync(name, params);
  // core accepted every key: each names one of the settings below, by the same aliases core knows (db=
  // goes with onetimecopy=, whose line names its databases)
  const settings = new Set(Object.keys(params).filter((key) => key.toLowerCase() !== 'db').map((key) => syncOptionName(key)!));
  for (const setting of settings) session.print(`Set ${shownSettings[setting]?.(row) ?? setting}`);
  if (settings.has('refreshabove')) {
    const group = (await (await session.bucardo()).listDbGroups()).find((candidate) => candidate.name === row.dbgroup);
    const note = refreshAboveNote(name, row.refreshAbove, group?.members ?? []);
    if (note) session.print(note);
  }
  warn();
  return 0;
}

/** What `update sync` prints for each setting it changed, from the row as stored. */
const shownSettings: Record<string, (row: SyncRow) => string> = {
  conflict: (row) => `conflict strategy to '${row.conflictStrategy}'`,
  autokick: (row) => `autokick to ${row.autokick}`,
  checktime: (row) => `checktime to ${row.checktime ?? 'none'}`,
  onetimecopy: (row) => `onetimecopy to ${row.onetimecopy}${row.copyTargets ? ` (${copyTargetsText(row.copyTargets)})` : ''}`,
  refreshabove: (row) => `refreshabove to ${row.refreshAbove === null || row.refreshAbove === undefined ? "the config's" : row.refreshAbove === 0 ? '0 (never)' : row.refreshAbove}`,
  status: (row) => `status to ${row.status}`,
};

/** `update db NAME key=value… [--force]`: names what changed, never a password's value. */
async function updateDatabase(session: CliSession, name: string): Promise<number> {
  const { database, changed, rebased } = await (await session.bucardo()).updateDatabase(name, session.params, { force: session.command.options.force });
  if (changed.length === 0) {
    session.print(`Database "${name}" unchanged`);
    return 0;
  }
  session.print(`Changed database "${name}": ${changed.join(', ')}`);
  session.print(`  Conn: ${database.connection}${database.status === 'inactive' ? ' (inactive)' : ''}`);
  for (const sync of rebased) session.print(`  Sync "${sync}": its checkpoint of "${name}" was taken on another server; its next run reads every change record "${name}" holds there`);
  return 0;
}

async function updateTable(session: CliSession, name: string): Promise<number> {
  const { additive, makedelta, ...unknown } = session.params;
  const [key] = Object.keys(unknown);
  if (key !== undefined || (additive === undefined && makedelta === undefined)) {
    throw new BucardoError('INVALID_ARGUMENT', `update table can change: additive, makedelta (${key === undefined ? 'nothing given' : `not "${key}"`})`, { item: key ?? 'additive', table: name });
  }
  const row = await (await session.bucardo()).updateTable(name, { ...(additive === undefined ? {} : { additive: columnList(additive) }), ...(makedelta === undefined ? {} : { makedelta }) });
  if (additive !== undefined) session.print(`Set additive columns of ${row.table.schema}.${row.table.name} to ${row.additive.length ? row.additive.join(', ') : 'none'}`);
  if (makedelta !== undefined) session.print(`Set makedelta of ${row.table.schema}.${row.table.name} to ${row.makedelta ?? "each database's own"}`);
  return 0;
}

/** `update sync S add table T…` / `update sync S remove table T…`. */
async function changeSyncTables(session: CliSession, sync: string, add: boolean, tables: readonly string[]): Promise<number> {
  const bucardo = await session.bucardo();
  if (add) {
    const added = await bucardo.addTablesToSync(sync, tables);
    session.print(`Added to sync "${sync}": ${added.map(formatTable).join(', ')}`);
    session.print(rowsNotCopiedNote([sync]));
    await warnForeignKeys(bucardo, [sync]);
    return 0;
  }
  const removed = await bucardo.removeTablesFromSync(sync, tables);
  session.print(`Removed from sync "${sync}": ${removed.tables.map(formatTable).join(', ')}`);
  for (const dropped of removed.dropped) reportDropped(session, dropped);
  return 0;
}
