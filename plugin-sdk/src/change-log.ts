import type { ChangeOp, KeyChange } from './changes.js';
import type { KeyText } from './keys.js';

const OP_CODES: Record<ChangeOp, number> = { insert: 0, update: 1, delete: 2 };
const OPS: readonly ChangeOp[] = ['insert', 'update', 'delete'];

/**
 * The changed keys of one table on one source, in columns: a `ReadonlyMap<KeyText, KeyChange>` for the
 * core, at a fraction of the memory of a Map of objects (a backlog can hold millions of keys). A
 * `KeyChange` is made when asked for; the key index behind `get`/`has` is built on first use, which a
 * sync with one source never needs. Keys are appended once each, as a sorted change stream gives them; the change is copied, so one object can be reused for every append.
 */
export class ChangeLog implements ReadonlyMap<KeyText, KeyChange> {
  #keys: KeyText[] = [];
  #ops = new Uint8Array(64);
  #times = new Float64Array(64);
  #additive: Array<Readonly<Record<string, string>> | undefined> | undefined;
  #index: Map<KeyText, number> | undefined;
  #newest = -Infinity;

  /** The number of keys. */
  get size(): number {
    return this.#keys.length;
  }

  /** The latest change time of any key (µs), kept as keys are appended; -Infinity when empty. */
  get newestChangedAt(): number {
    return this.#newest;
  }

  /** Adds a key that is not in the log yet (a key already in it is refused once the key index exists). */
  append(key: KeyText, change: KeyChange): void {
    if (this.#index?.has(key)) throw new Error(`Key "${key}" is already in the change log`);
    const position = this.#keys.length;
    if (position === this.#ops.length) this.#grow();
    this.#keys.push(key);
    this.#index?.set(key, position);
    this.#write(position, change);
  }

  /** The change of a key (the first call builds the key index). */
  get(key: KeyText): KeyChange | undefined {
    const position = this.#lookup().get(key);
    return position === undefined ? undefined : this.#at(position);
  }

  /** Whether the key changed (the first call builds the key index). */
  has(key: KeyText): boolean {
    return this.#lookup().has(key);
  }

  /** The keys, in the order they were appended. */
  keys(): MapIterator<KeyText> {
    return this.#keys.values();
  }

  /** The changes, in key order of appending (each a new object). */
  *values(): MapIterator<KeyChange> {
    for (let position = 0; position < this.#keys.length; position++) yield this.#at(position);
  }

  /** `[key, change]` pairs, in the order the keys were appended. */
  *entries(): MapIterator<[KeyText, KeyChange]> {
    for (let position = 0; position < this.#keys.length; position++) yield [this.#keys[position]!, this.#at(position)];
  }

  /** The same as `entries()`. */
  [Symbol.iterator](): MapIterator<[KeyText, KeyChange]> {
    return this.entries();
  }

  /** Calls `callback` for each key, as `Map.prototype.forEach` does. */
  forEach(callback: (value: KeyChange, key: KeyText, map: ReadonlyMap<KeyText, KeyChange>) => void, thisArg?: unknown): void {
    for (let position = 0; position < this.#keys.length; position++) callback.call(thisArg, this.#at(position), this.#keys[position]!, this);
  }

  #write(position: number, change: KeyChange): void {
    this.#ops[position] = OP_CODES[change.firstOp] * 4 + OP_CODES[change.lastOp];
    this.#times[position] = change.changedAt;
    if (change.changedAt > this.#newest) this.#newest = change.changedAt;
    if (change.additive !== undefined || this.#additive !== undefined) (this.#additive ??= [])[position] = change.additive;
  }

  #at(position: number): KeyChange {
    const ops = this.#ops[position]!;
    const additive = this.#additive?.[position];
    const change = { firstOp: OPS[ops >> 2]!, lastOp: OPS[ops & 3]!, changedAt: this.#times[position]! };
    return additive === undefined ? change : { ...change, additive };
  }

  #lookup(): Map<KeyText, number> {
    if (!this.#index) {
      this.#index = new Map();
      this.#keys.forEach((key, position) => this.#index!.set(key, position));
    }
    return this.#index;
  }

  #grow(): void {
    const ops = new Uint8Array(this.#ops.length * 2);
    ops.set(this.#ops);
    this.#ops = ops;
    const times = new Float64Array(this.#times.length * 2);
    times.set(this.#times);
    this.#times = times;
  }
}
