import { describe, expect, it } from 'vitest';
import { tableId, type ChangeSet, type KeyChange, type TableRef } from '@bucardo/plugin-sdk';
import { changesAfterTruncates, truncateWinners } from '../src/run/truncate-winners.js';

const t: TableRef = { schema: 'public', name: 't' };
const u: TableRef = { schema: 'public', name: 'u' };
const change = (changedAt: number): KeyChange => ({ firstOp: 'update', lastOp: 'update', changedAt });
const source = (db: string, tables: Array<{ table: TableRef; keys: Record<string, number>; truncatedAt?: number }>) => ({
  db, checkpoint: `cp-${db}`,
  tables: new Map(tables.map(({ table, keys, truncatedAt }) => [tableId(table), {
    table, changes: new Map(Object.entries(keys).map(([key, at]) => [key, change(at)])), ...(truncatedAt === undefined ? {} : { truncatedAt }),
  }])),
});
const keysOf = (changeSet: ChangeSet) => Object.fromEntries(changeSet.sources.map((s) => [s.db, Object.fromEntries([...s.tables].map(([id, table]) => [id, [...table.changes.keys()]]))]));

describe('truncateWinners', () => {
  it('picks the latest truncate per table, the first source by name on a tie', () => {
    const winners = truncateWinners({ sources: [
      source('b', [{ table: t, keys: {}, truncatedAt: 20 }, { table: u, keys: {}, truncatedAt: 5 }]),
      source('a', [{ table: t, keys: {}, truncatedAt: 10 }, { table: u, keys: {}, truncatedAt: 5 }]),
      source('c', [{ table: t, keys: { 1: 30 } }]),
    ] });
    expect(Object.fromEntries(winners)).toEqual({ [tableId(t)]: { db: 'b', at: 20 }, [tableId(u)]: { db: 'a', at: 5 } });
  });
});

describe('changesAfterTruncates', () => {
  it('keeps the keys other sources changed after the winning truncate, and the winner\'s own later keys only where they are contested', () => {
    const changeSet: ChangeSet = { sources: [
      // the winner: 3 and 4 after its truncate, 1 before it
      source('a', [{ table: t, keys: { 1: 5, 3: 12, 4: 13 }, truncatedAt: 10 }, { table: u, keys: { 9: 1 } }]),
      // 2 before the truncate (dropped with it); 3 and 5 after
      source('b', [{ table: t, keys: { 2: 9, 3: 11, 5: 15 } }]),
      // at the truncate's very time: not after it
      source('c', [{ table: t, keys: { 6: 10 } }]),
    ] };
    const late = changesAfterTruncates(changeSet, truncateWinners(changeSet));
    // u was not truncated: none of its changes are here
    expect(keysOf(late)).toEqual({ b: { [tableId(t)]: ['3', '5'] }, a: { [tableId(t)]: ['3'] } });
    expect(late.sources.find((s) => s.db === 'b')!.tables.get(tableId(t))!.truncatedAt).toBeUndefined();
  });

  it('is empty where nothing came after the truncate on another source', () => {
    const changeSet: ChangeSet = { sources: [source('a', [{ table: t, keys: { 3: 12 }, truncatedAt: 10 }]), source('b', [{ table: t, keys: { 2: 9 } }])] };
    expect(changesAfterTruncates(changeSet, truncateWinners(changeSet)).sources).toEqual([]);
  });
});
