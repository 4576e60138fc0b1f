import type pg from 'pg';
import { keyMaker, type Checkpoint, type KeyText, type TableShape } from '@bucardo/plugin-sdk';
import { qualified } from './capture-names.js';
import { changedSince } from './capture-read.js';
import { keyColumnList, keyCondition } from './key-sql.js';

/** What a guarded write did, and which keys it left alone. */
export interface Guarded<T> {
  readonly written: T;
  /** Keys a user changed here after the guard: left to them (the next run carries their change). */
  readonly locked: ReadonlySet<KeyText>;
  /** Of `keys`, those whose rows were there, locked, when the locked keys were decided. */
  readonly present: ReadonlySet<KeyText>;
}

/**
 * The local-change guard: `write(keys)` runs, then the keys a user changed here after `guard` are looked
 * for; the look runs after the write holds the rows' locks, so no writer slips in between look and write.
 * On a find (the rare path) the write is undone, every key's row is locked first, the look is taken
 * again with the locks held, and `write` runs for the other keys, given the locked ones. `exceptOrigin`:
 * the writing sync, whose own change records here (makedelta, earlier in the run) are no user's change.
 */
export async function guardedWrite<T>(
  client: pg.Client, shape: TableShape, keys: readonly KeyText[], guard: Checkpoint, hide: boolean,
  write: (keys: readonly KeyText[], locked: ReadonlySet<KeyText>) => Promise<T>, exceptOrigin?: string,
): Promise<Guarded<T>> {
  const wanted = new Set(keys);
  await client.query('SAVEPOINT bucardo_guard');
  const written = await write(keys, new Set());
  if (intersect(await changedSince(client, shape, guard, exceptOrigin), wanted).size === 0) {
    await client.query('RELEASE SAVEPOINT bucardo_guard');
    return { written, locked: new Set(), present: new Set() };
  }
  await client.query('ROLLBACK TO SAVEPOINT bucardo_guard');
  const { sql, params } = keyCondition(shape, keys, hide);
  const rows = await client.query<string[]>({ text: `SELECT ${keyColumnList(shape)} FROM ONLY ${qualified(shape.table)} WHERE ${sql} FOR UPDATE`, values: params, rowMode: 'array' });
  const makeKey = keyMaker(shape.key.map((column) => column.type));
  const present = new Set(rows.rows.map((row) => makeKey(row)));
  const locked = intersect(await changedSince(client, shape, guard, exceptOrigin), wanted);
  const writtenAfterLock = await write(keys.filter((key) => !locked.has(key)), locked);
  await client.query('RELEASE SAVEPOINT bucardo_guard');
  return { written: writtenAfterLock, locked, present };
}

export function intersect(found: ReadonlySet<KeyText>, wanted: ReadonlySet<KeyText>): Set<KeyText> {
  const both = new Set<KeyText>();
  for (const key of found) if (wanted.has(key)) both.add(key);
  return both;
}
