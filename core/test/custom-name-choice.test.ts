/** chooseCustomNames: Bucardo's precedence, most specific first: table+sync+db, table+db, table+sync, table. */
import { describe, expect, it } from 'vitest';
import type { CustomNameRow } from '../src/control/custom-name-store.js';
import { chooseCustomNames } from '../src/run/custom-name-choice.js';

const t = { schema: 'public', name: 't' };
const u = { schema: 'public', name: 'u' };
const row = (id: number, as: string, scope: { db?: string; sync?: string } = {}, table = t): CustomNameRow => ({ id, table, as: { schema: 'public', name: as }, ...scope });
const names = (rows: CustomNameRow[], sync: string, db: string) => chooseCustomNames(rows, sync, db, [t, u]).map((rename) => `${rename.table.name}=>${rename.as.name}`);

describe('chooseCustomNames', () => {
  // added in every order, so that the answer never depends on which came first
  const all = [row(1, 'general'), row(2, 'for_sync', { sync: 's' }), row(3, 'for_db', { db: 'r' }), row(4, 'for_both', { db: 'r', sync: 's' })];

  it('takes the most specific name that applies, whatever the order they were added in', () => {
    for (const rows of [all, [...all].reverse()]) {
      expect(names(rows, 's', 'r')).toEqual(['t=>for_both']);
      expect(names(rows, 'other', 'r')).toEqual(['t=>for_db']);
      expect(names(rows, 's', 'x')).toEqual(['t=>for_sync']);
      expect(names(rows, 'other', 'x')).toEqual(['t=>general']);
    }
  });

  it('a database beats a sync', () => {
    expect(names([row(1, 'for_sync', { sync: 's' }), row(2, 'for_db', { db: 'r' })], 's', 'r')).toEqual(['t=>for_db']);
  });

  it('leaves out names for other databases, other syncs and other tables, in the order of the tables', () => {
    expect(names([row(1, 'elsewhere', { db: 'x' }), row(2, 'other_sync', { sync: 'o' })], 's', 'r')).toEqual([]);
    expect(names([row(1, 'u2', {}, u), row(2, 't2')], 's', 'r')).toEqual(['t=>t2', 'u=>u2']);
    expect(chooseCustomNames([row(1, 'gone', {}, { schema: 'public', name: 'not_in_sync' })], 's', 'r', [t])).toEqual([]);
  });
});
