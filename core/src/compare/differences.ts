import type { KeyText } from '@bucardo/plugin-sdk';
import { compareKeys } from './key-order.js';

/** How a key stands on one database against the reference. */
export type KeyStanding = 'missing' | 'extra' | 'different' | 'duplicated';

/** The standings in the order they are reported. */
export const KEY_STANDINGS: readonly KeyStanding[] = ['missing', 'extra', 'different', 'duplicated'];

/** A key that is not the same everywhere: per database that differs from the reference, how. */
export interface KeyDifference {
  readonly key: KeyText;
  readonly on: ReadonlyMap<string, KeyStanding>;
}

/** How many keys stand each way on one database. */
export type StandingCounts = Readonly<Record<KeyStanding, number>>;

/**
 * The differences of one table: counted in full, but only the first `keep` keys (in key order) held, so
 * that a table that differs everywhere costs the memory of its counts, not of its keys.
 */
export class Differences {
  readonly counts = new Map<string, Record<KeyStanding, number>>();
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
export function partitionDifferences(dbs: readonly string[], rows: ReadonlyArray<{ readonly keys: readonly KeyText[]; readonly digests: readonly string[] } | undefined>): KeyDifference[] {
  const digests = rows.map((partition) => {
    const byKey = new Map<KeyText, string>();
    const twice = new Set<KeyText>();
    partition?.keys.forEach((key, index) => {
      if (byKey.has(key)) twice.add(key);
      byKey.set(key, partition.digests[index]!);
    });
    return { byKey, twice };
  });
  const [reference, ...others] = digests;
  const keys = new Set<KeyText>(reference!.byKey.keys());
  for (const other of others) for (const key of other.byKey.keys()) keys.add(key);
  const differences: KeyDifference[] = [];
  for (const key of keys) {
    const mine = reference!.byKey.get(key);
    const on = new Map<string, KeyStanding>();
    others.forEach((other, index) => {
      const theirs = other.byKey.get(key);
      const standing: KeyStanding | undefined = other.twice.has(key) ? 'duplicated'
        : mine === undefined ? (theirs === undefined ? undefined : 'extra')
          : theirs === undefined ? 'missing' : theirs === mine ? undefined : 'different';
      if (standing) on.set(dbs[index + 1]!, standing);
    });
    if (on.size > 0) differences.push({ key, on });
  }
  return differences;
}
