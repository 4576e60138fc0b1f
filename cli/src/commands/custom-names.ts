import { BucardoError, formatTable } from '@bucardo/plugin-sdk';
import type { CustomNameRow } from '@bucardo/core';
import type { CliSession } from '../cli-session.js';
import { filterListed } from './list-filter.js';
import { rejectUnknown } from './options.js';

const ADD_USAGE = 'Usage: bucardo add customname TABLE NEWNAME|SCHEMA.NEWNAME [db=NAME] [sync=NAME]';

/** `bucardo add customname TABLE NEWNAME [db=DB] [sync=SYNC]` → `Transformed public.t to reporting.t_copy`. */
export async function addCustomName(session: CliSession, words: readonly string[]): Promise<number> {
  const { db, database, sync, ...unknown } = session.params;
  rejectUnknown(unknown, 'add customname', ['db', 'sync']);
  const [table, newName, ...extra] = words;
  if (table === undefined || newName === undefined || extra.length > 0) {
    throw new BucardoError('INVALID_ARGUMENT', `${ADD_USAGE}${extra.length > 0 ? ` (unexpected: ${extra.join(' ')})` : ''}`, { item: 'add customname' });
  }
  const dbName = db ?? database;
  const row = await (await session.bucardo()).addCustomName(table, newName, { ...(dbName !== undefined ? { db: dbName } : {}), ...(sync !== undefined ? { sync } : {}) });
  session.print(`Transformed ${formatTable(row.table)} to ${formatTable(row.as)}${scopeText(row)}`);
  return 0;
}

/** `bucardo list customnames [TABLE|PATTERN…]`: `1. Table: public.t => reporting.t_copy  DB: r  Sync: s`. */
export async function listCustomNames(session: CliSession): Promise<number> {
  const rows = await (await session.bucardo()).listCustomNames();
  if (rows.length === 0) {
    session.print('No customnames have been added yet');
    return 0;
  }
  const shown = filterListed(rows, session.words.slice(1), (row) => [row.table.name, `${row.table.schema}.${row.table.name}`], 'customname');
  const id = Math.max(...shown.map((row) => `${row.id}.`.length));
  session.print(shown.map((row) => `${`${row.id}.`.padEnd(id)} Table: ${formatTable(row.table)} => ${formatTable(row.as)}${row.db === undefined ? '' : `  DB: ${row.db}`}${row.sync === undefined ? '' : `  Sync: ${row.sync}`}`).join('\n'));
  return 0;
}

/** The ids of `remove customname ID…`: whole numbers, as `list customnames` shows them. */
export function customNameIds(words: readonly string[]): number[] {
  const wrong = words.find((word) => !/^[1-9]\d*$/.test(word));
  if (wrong !== undefined) throw new BucardoError('INVALID_ARGUMENT', `Usage: bucardo remove customname ID… (the numbers bucardo list customnames shows; "${wrong}" is not one)`, { item: wrong });
  return words.map(Number);
}

/** `1: public.t => reporting.t_copy (database "r", sync "s")`, as `remove customname` says it. */
export function describeCustomName(row: CustomNameRow): string {
  return `${row.id}: ${formatTable(row.table)} => ${formatTable(row.as)}${scopeText(row)}`;
}

function scopeText(row: { readonly db?: string; readonly sync?: string }): string {
  const parts = [...(row.db === undefined ? [] : [`database "${row.db}"`]), ...(row.sync === undefined ? [] : [`sync "${row.sync}"`])];
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}
