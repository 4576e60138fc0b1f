import { formatTable, type FetchArgs, type KeyText, type TextValue } from '@bucardo/plugin-sdk';
import { databaseError } from '../run/database-error.js';
import type { RunSessions } from '../run/sessions.js';
import type { Receiver, ReferenceSide } from './compared-sides.js';
import type { ColumnValues, KeyDifference } from './differences.js';

/**
 * The values behind the listed `different` keys (at most `limit` of them, so a few rows per database):
 * read from each database where the key differs, and from the first source as that database is set
 * against it (through its customcols list, where it has one), for the columns that differ. What a DBA
 * needs to decide which side is right without querying every database.
 */
export async function valuesOfDifferences(
  sessions: RunSessions, reference: string, sides: readonly ReferenceSide[], receivers: readonly Receiver[], differences: readonly KeyDifference[], signal: AbortSignal,
): Promise<KeyDifference[]> {
  const wantedHere = new Map<string, KeyText[]>();
  const wantedSide = new Map<number, KeyText[]>();
  const want = <K>(wanted: Map<K, KeyText[]>, at: K, key: KeyText) => {
    const keys = wanted.get(at) ?? [];
    if (!keys.includes(key)) keys.push(key);
    wanted.set(at, keys);
  };
  const receiverOf = new Map(receivers.map((receiver) => [receiver.db, receiver]));
  for (const difference of differences) {
    for (const [db, standing] of difference.on) {
      const receiver = receiverOf.get(db);
      if (standing !== 'different' || !receiver) continue;
      want(wantedHere, db, difference.key);
      want(wantedSide, receiver.side, difference.key);
    }
  }
  if (wantedHere.size === 0) return [...differences];
  // one read after the other: a few rows each, and no reader still opening when another read fails
  // (it would be opened after the sessions were closed, and kept the process alive)
  const sideRows = new Map<number, Map<KeyText, TextValue[]>>();
  for (const [side, keys] of wantedSide) {
    const { shape, select } = sides[side]!;
    sideRows.set(side, await rowsOf(sessions, reference, { shape, keys, signal, ...(select ? { selectList: select.selectList } : {}) }));
  }
  const rows = new Map<string, Map<KeyText, TextValue[]>>();
  for (const [db, keys] of wantedHere) {
    // a writer whose database has no reader (a driver without a source side) shows column names only
    if (!sessions.canRead(db)) continue;
    const { shape } = receiverOf.get(db)!;
    rows.set(db, await rowsOf(sessions, db, { shape, keys, signal }));
  }
  return differences.map((difference) => {
    const values = new Map<string, ColumnValues[]>();
    for (const [db, columns] of difference.columns ?? []) {
      const receiver = receiverOf.get(db);
      const mine = receiver && sideRows.get(receiver.side)?.get(difference.key);
      const theirs = rows.get(db)?.get(difference.key);
      // a row changed between the digest and this read has nothing reliable to show
      if (!mine || !theirs) continue;
      const names = receiver.shape.columns.map((column) => column.name);
      values.set(db, columns.map((column) => ({ column, reference: mine[names.indexOf(column)] ?? null, here: theirs[names.indexOf(column)] ?? null })));
    }
    return values.size === 0 ? difference : { ...difference, values };
  });
}

/** The rows of `keys` on database `db`, by key. */
async function rowsOf(sessions: RunSessions, db: string, asked: FetchArgs): Promise<Map<KeyText, TextValue[]>> {
  const batch = await (await sessions.reader(db)).fetch(asked).catch((error: unknown) => {
    throw databaseError(error, 'FETCH_FAILED', { db, table: formatTable(asked.shape.table) });
  });
  const byKey = new Map<KeyText, TextValue[]>();
  for (const row of batch.rows()) byKey.set(batch.keyOf(row), row);
  return byKey;
}
