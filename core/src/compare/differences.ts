import type { KeyText, PartitionDigests } from '@bucardo/plugin-sdk';
import { compareKeys } from './key-order.js';

/** How a key stands on one database against the reference. */
export type KeyStanding = 'missing' | 'extra' | 'different' | 'duplicated';

/** The standings in the order they are reported. */
export const KEY_STANDINGS: readonly KeyStanding[] = ['missing', 'extra', 'different', 'duplicated'];

/** A key that is not the same everywhere: per database that differs from the reference, how. */
export interface KeyDifference {
  readonly key: KeyText;
  readonly on: ReadonlyMap<string, KeyStanding>;
  /** Per database where the key is `different`, the columns whose values differ (when the writer tells). */
  readonly columns?: ReadonlyMap<string, readonly string[]>;
  /** For listed keys: per database where they differ, those columns' values there and on the first source. */
  readonly values?: ReadonlyMap<string, readonly ColumnValues[]>;
}

/** One column of a listed key that differs: its value (text, NULL as null) on the first source and on the database. */
export interface ColumnValues {
  readonly column: string;
  readonly reference: string | null;
  readonly here: string | null;
}

/** How many keys stand each way on one database. */
export type StandingCounts = Readonly<Record<KeyStanding, number>>;

/**
 * The differences of one table: counted in full, but only the first `keep` keys (in key order) held, so
 * that a table that differs everywhere costs the memory of its counts, not of its keys.
 */
export class Differences {
  readonly counts = new Map<string, Record<KeyStanding, number>>();
  /** Per database, how many rows differ in each column (of the rows whose columns the writer told). */
  readonly columnCounts = new Map<string, Map<string, number>>();
  readonly first: KeyDifference[] = [];
  total = 0;
  readonly #keep: number;

  constructor(keep: number) {
    this.#keep = keep;
  }

  add(difference: KeyDifference): void {
    this.total++;
    for (const [db, standing] of difference.on) {
      let counts = this.counts.get(db);
      if (!counts) this.counts.set(db, (counts = { missing: 0, extra: 0, different: 0, duplicated: 0 }));
      counts[standing]++;
    }
    for (const [db, names] of difference.columns ?? []) {
      let byColumn = this.columnCounts.get(db);
      if (!byColumn) this.columnCounts.set(db, (byColumn = new Map()));
      for (const name of names) byColumn.set(name, (byColumn.get(name) ?? 0) + 1);
    }
    if (this.first.length === this.#keep && (this.#keep === 0 || compareKeys(difference.key, this.first.at(-1)!.key) >= 0)) return;
    let low = 0;
    let high = this.first.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (compareKeys(difference.key, this.first[middle]!.key) < 0) high = middle;
      else low = middle + 1;
    }
    this.first.splice(low, 0, difference);
    if (this.first.length > this.#keep) this.first.pop();
  }
}

/**
 * The keys of one partition that differ: `rows[0]` is the reference's, each other database set against it.
 * A key a database holds twice is `duplicated` there, whatever its values.
 */
export function partitionDifferences(dbs: readonly string[], columns: readonly string[], rows: ReadonlyArray<PartitionDigests | undefined>): KeyDifference[] {
  const digests = rows.map((partition) => {
    const byKey = new Map<KeyText, string>();
    const fingerprints = new Map<KeyText, readonly string[]>();
    const twice = new Set<KeyText>();
    partition?.keys.forEach((key, index) => {
      if (byKey.has(key)) twice.add(key);
      byKey.set(key, partition.digests[index]!);
      const row = partition.columns?.[index];
      if (row) fingerprints.set(key, row);
    });
    return { byKey, fingerprints, twice };
  });
  const [reference, ...others] = digests;
  const keys = new Set<KeyText>(reference!.byKey.keys());
  for (const other of others) for (const key of other.byKey.keys()) keys.add(key);
  const differences: KeyDifference[] = [];
  for (const key of keys) {
    const mine = reference!.byKey.get(key);
    const on = new Map<string, KeyStanding>();
    const differing = new Map<string, readonly string[]>();
    others.forEach((other, index) => {
      const theirs = other.byKey.get(key);
      const standing: KeyStanding | undefined = other.twice.has(key) ? 'duplicated'
        : mine === undefined ? (theirs === undefined ? undefined : 'extra')
          : theirs === undefined ? 'missing' : theirs === mine ? undefined : 'different';
      if (!standing) return;
      const db = dbs[index + 1]!;
      on.set(db, standing);
      const left = reference!.fingerprints.get(key);
      const right = other.fingerprints.get(key);
      if (standing === 'different' && left && right) differing.set(db, columns.filter((_, column) => left[column] !== right[column]));
    });
    if (on.size > 0) differences.push({ key, on, ...(differing.size > 0 ? { columns: differing } : {}) });
  }
  return differences;
}
