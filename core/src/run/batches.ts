import { classifyConflict, tableId, type Candidate, type ChangeSet, type Conflict, type KeyText, type TableBatch, type TableShape } from '@bucardo/plugin-sdk';

/**
 * Splits a change set into transactions of at most `batchSize` keys, each a list of table batches in
 * table order. A key changed on one source is "clean" and belongs to that source; a key changed on two
 * or more is a conflict. Work per key is a set lookup: no per-key objects for clean keys.
 */
export function* planTransactions(changeSet: ChangeSet, shapes: readonly TableShape[], batchSize: number): Generator<TableBatch[]> {
  let transaction: TableBatch[] = [];
  let room = batchSize;
  for (const shape of shapes) {
    const { clean, conflicts } = splitTable(changeSet, shape);
    const cursor = new TableCursor(clean, conflicts);
    while (!cursor.done) {
      const taken = cursor.take(room, shape);
      transaction.push(taken);
      room -= sizeOf(taken);
      if (room <= 0) {
        yield transaction;
        transaction = [];
        room = batchSize;
      }
    }
  }
  if (transaction.length > 0) yield transaction;
}

export function sizeOf(batch: TableBatch): number {
  let size = batch.conflicts.length;
  for (const keys of batch.clean.values()) size += keys.length;
  return size;
}

function splitTable(changeSet: ChangeSet, shape: TableShape): { clean: Map<string, KeyText[]>; conflicts: Conflict[] } {
  const id = tableId(shape.table);
  const changed = changeSet.sources
    .map((source) => ({ db: source.db, changes: source.tables.get(id)?.changes }))
    .filter((source): source is { db: string; changes: NonNullable<typeof source.changes> } => source.changes !== undefined && source.changes.size > 0)
    .sort((a, b) => (a.db < b.db ? -1 : a.db > b.db ? 1 : 0));
  const clean = new Map<string, KeyText[]>();
  const conflicts: Conflict[] = [];
  if (changed.length === 1) {
    clean.set(changed[0]!.db, [...changed[0]!.changes.keys()]);
    return { clean, conflicts };
  }
  for (const [index, source] of changed.entries()) {
    const mine: KeyText[] = [];
    for (const [key, change] of source.changes) {
      // The conflict is built once, by the first source (in name order) that changed the key.
      let earlier = false;
      let others: Candidate[] | undefined;
      for (let o = 0; o < changed.length; o++) {
        if (o === index) continue;
        const other = changed[o]!.changes.get(key);
        if (other === undefined) continue;
        if (o < index) { earlier = true; break; }
        (others ??= []).push({ db: changed[o]!.db, change: other });
      }
      if (earlier) continue;
      if (!others) { mine.push(key); continue; }
      const candidates: Candidate[] = [{ db: source.db, change }, ...others];
      conflicts.push({ table: shape.table, key, kind: classifyConflict(candidates), candidates });
    }
    if (mine.length > 0) clean.set(source.db, mine);
  }
  return { clean, conflicts };
}

/** Hands out a table's keys in slices that fit the room left in the current transaction. */
class TableCursor {
  readonly #clean: Array<[string, KeyText[]]>;
  readonly #conflicts: Conflict[];
  #source = 0;
  #offset = 0;
  #conflictOffset = 0;

  constructor(clean: Map<string, KeyText[]>, conflicts: Conflict[]) {
    this.#clean = [...clean];
    this.#conflicts = conflicts;
  }

  get done(): boolean {
    return this.#source >= this.#clean.length && this.#conflictOffset >= this.#conflicts.length;
  }

  take(room: number, shape: TableShape): TableBatch {
    const clean = new Map<string, KeyText[]>();
    while (room > 0 && this.#source < this.#clean.length) {
      const [db, keys] = this.#clean[this.#source]!;
      const slice = keys.slice(this.#offset, this.#offset + room);
      clean.set(db, slice);
      room -= slice.length;
      this.#offset += slice.length;
      if (this.#offset >= keys.length) { this.#source++; this.#offset = 0; }
    }
    const conflicts = this.#conflicts.slice(this.#conflictOffset, this.#conflictOffset + Math.max(room, 0));
    this.#conflictOffset += conflicts.length;
    return { shape, clean, conflicts };
  }
}
