import { BucardoError, formatTable } from '@bucardo/plugin-sdk';
import type { CustomColsRow } from '@bucardo/core';
import type { CliSession } from '../cli-session.js';
import { filterListed } from './list-filter.js';
import { rejectUnknown } from './options.js';

const ADD_USAGE = 'Usage: bucardo add customcols TABLE "SELECT col, expression AS col, …" [db=NAME] [sync=NAME]';

/** `bucardo add customcols TABLE "SELECT …" [db=DB] [sync=SYNC]` → `New columns for public.t: "SELECT …"`. */
export async function addCustomCols(session: CliSession, words: readonly string[]): Promise<number> {
  const { db, database, sync, ...unknown } = session.params;
  rejectUnknown(unknown, 'add customcols', ['db', 'sync']);
  const [table, ...clause] = words;
  if (table === undefined || clause.length === 0) throw new BucardoError('INVALID_ARGUMENT', ADD_USAGE, { item: 'add customcols' });
  const dbName = db ?? database;
  // an unquoted clause comes as several words: taken whole, as Bucardo does
  const row = await (await session.bucardo()).addCustomCols(table, clause.join(' '), { ...(dbName !== undefined ? { db: dbName } : {}), ...(sync !== undefined ? { sync } : {}) });
  session.print(`New columns for ${formatTable(row.table)}: "${row.clause}"${scopeText(row)}`);
  return 0;
}

/** `bucardo list customcols [TABLE|PATTERN…]`: `1. Table: public.t => SELECT id, upper(name) AS name  DB: r  Sync: s`. */
export async function listCustomCols(session: CliSession): Promise<number> {
  const rows = await (await session.bucardo()).listCustomCols();
  if (rows.length === 0) {
    session.print('No customcols have been added yet');
    return 0;
  }
  const shown = filterListed(rows, session.words.slice(1), (row) => [row.table.name, `${row.table.schema}.${row.table.name}`], 'customcols');
  const id = Math.max(...shown.map((row) => `${row.id}.`.length));
  session.print(shown.map((row) => `${`${row.id}.`.padEnd(id)} Table: ${formatTable(row.table)} => ${row.clause}${row.db === undefined ? '' : `  DB: ${row.db}`}${row.sync === undefined ? '' : `  Sync: ${row.sync}`}`).join('\n'));
  return 0;
}

/** The ids of `remove customcols ID…`: whole numbers, as `list customcols` shows them. */
export function customColsIds(words: readonly string[]): number[] {
  const wrong = words.find((word) => !/^[1-9]\d*$/.test(word));
  if (wrong !== undefined || words.length === 0) throw new BucardoError('INVALID_ARGUMENT', `Usage: bucardo remove customcols ID… (the numbers bucardo list customcols shows${wrong === undefined ? '' : `; "${wrong}" is not one`})`, { item: wrong ?? 'remove customcols' });
  return words.map(Number);
}

/** `1: public.t => SELECT id, upper(name) AS name (database "r", sync "s")`, as `remove customcols` says it. */
export function describeCustomCols(row: CustomColsRow): string {
  return `${row.id}: ${formatTable(row.table)} => ${row.clause}${scopeText(row)}`;
}

function scopeText(row: { readonly db?: string; readonly sync?: string }): string {
  const parts = [...(row.db === undefined ? [] : [`database "${row.db}"`]), ...(row.sync === undefined ? [] : [`sync "${row.sync}"`])];
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}
