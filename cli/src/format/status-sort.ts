import type { SyncStatusReport } from '@bucardo/core';
import { BucardoError } from '@bucardo/plugin-sdk';
import { syncState } from './sync-state.js';

/** An order of `bucardo status`'s rows. */
export interface StatusSort {
  readonly compare: (a: SyncStatusReport, b: SyncStatusReport) => number;
}

type Key = (report: SyncStatusReport) => string | number;

const endedAt = (run: { ended?: Date | null } | undefined): number => run?.ended?.getTime() ?? -Infinity;

/**
 * Bucardo's `--sort` numbers, kept as its users' scripts have them (they count the table's columns of an
 * older layout, hence the gaps): ascending by the column, the name breaking ties. An age sorts youngest
 * first, as its number does.
 */
const columns: ReadonlyMap<number, { readonly name: string; readonly key: Key }> = new Map([
  [1, { name: 'name', key: (r) => r.sync.name }],
  [3, { name: 'state', key: (r) => syncState(r) }],
  [5, { name: 'last good', key: (r) => endedAt(r.runs.lastGood) }],
  [6, { name: 'last good\'s age', key: (r) => -endedAt(r.runs.lastGood) }],
  [7, { name: 'inserts + deletes of the last good run', key: (r) => (r.runs.lastGood ? r.runs.lastGood.inserts + r.runs.lastGood.deletes : -1) }],
  [8, { name: 'last bad', key: (r) => endedAt(r.runs.lastBad) }],
  [9, { name: 'last bad\'s age', key: (r) => -endedAt(r.runs.lastBad) }],
]);

/** `--sort=N` (negative: reversed); refuses a number Bucardo has no column for, listing those it has. */
export function statusSort(given: string): StatusSort {
  const number = /^-?\d+$/.test(given.trim()) ? Number(given.trim()) : Number.NaN;
  const column = columns.get(Math.abs(number));
  if (!column) {
    const known = [...columns].map(([n, { name }]) => `${n} ${name}`).join(', ');
    throw new BucardoError('INVALID_ARGUMENT', `--sort takes a column number (negative to reverse): ${known}; not "${given}"`, { item: '--sort' });
  }
  const direction = number < 0 ? -1 : 1;
  return {
    compare: (a, b) => {
      const [x, y] = [column.key(a), column.key(b)];
      const order = x < y ? -1 : x > y ? 1 : 0;
      return direction * order || a.sync.name.localeCompare(b.sync.name);
    },
  };
}
