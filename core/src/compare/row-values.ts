import { formatTable, type KeyText, type TableShape, type TextValue } from '@bucardo/plugin-sdk';
import { databaseError } from '../run/database-error.js';
import type { RunSessions } from '../run/sessions.js';
import type { ColumnValues, KeyDifference } from './differences.js';

/**
 * The values behind the listed `different` keys (at most `limit` of them, so a few rows per database):
 * read from the first source and from each database where the key differs, for the columns that differ.
 * What a DBA needs to decide which side is right without querying every database.
 */
export async function valuesOfDifferences(
  sessions: RunSessions, dbs: readonly string[], local: readonly TableShape[], differences: readonly KeyDifference[], signal: AbortSignal,
): Promise<KeyDifference[]> {
  const wanted = new Map<string, KeyText[]>();
  for (const difference of differences) {
    for (const [db, standing] of difference.on) {
      if (standing !== 'different') continue;
      for (const name of [dbs[0]!, db]) {
        const keys = wanted.get(name) ?? [];
        if (!keys.includes(difference.key)) keys.push(difference.key);
        wanted.set(name, keys);
      }
    }
  }
  if (wanted.size === 0) return [...differences];
  const rows = new Map<string, Map<KeyText, TextValue[]>>();
  // one database after the other: a few rows each, and no reader still opening when another read fails
  // (it would be opened after the sessions were closed, and kept the process alive)
  for (const [db, keys] of wanted) {
    const shape = local[dbs.indexOf(db)]!;
    // a writer whose database has no reader (a driver without a source side) shows column names only
    if (!sessions.canRead(db)) continue;
    const batch = await (await sessions.reader(db)).fetch({ shape, keys, signal }).catch((error: unknown) => {
      throw databaseError(error, 'FETCH_FAILED', { db, table: formatTable(shape.table) });
    });
    const byKey = new Map<KeyText, TextValue[]>();
    for (const row of batch.rows()) byKey.set(batch.keyOf(row), row);
    rows.set(db, byKey);
  }
  const names = local[0]!.columns.map((column) => column.name);
  return differences.map((difference) => {
    const values = new Map<string, ColumnValues[]>();
    const mine = rows.get(dbs[0]!)?.get(difference.key);
    for (const [db, columns] of difference.columns ?? []) {
      const theirs = rows.get(db)?.get(difference.key);
      // a row changed between the digest and this read has nothing reliable to show
      if (!mine || !theirs) continue;
      values.set(db, columns.map((column) => ({ column, reference: mine[names.indexOf(column)] ?? null, here: theirs[names.indexOf(column)] ?? null })));
    }
    return values.size === 0 ? difference : { ...difference, values };
  });
}
