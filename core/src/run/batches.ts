import { classifyConflict, tableId, type Candidate, type ChangeSet, type Conflict, type KeyChange, type KeyText, type TableBatch, type TableShape } from '@bucardo/plugin-sdk';
import type { ForeignKeyLayout } from './foreign-key-layout.js';

/**
 * Which keys of the tables foreign keys point at a plan holds (`ForeignKeyLayout`): a run in one part
 * plans both, a run cut into key partitions plans the others with its first partition and the lost ones
 * with its last.
 */
export interface PlanSections {
  readonly layout: ForeignKeyLayout;
  /** The keys those tables keep (new rows, updates), in write order with the other tables. */
  readonly kept: boolean;
  /** The keys those tables lose, after every other key, in reverse write order. */
  readonly lost: boolean;
  /**
   * Tables (by `tableId`, among those foreign keys point at) whose kept keys were written already in this
   * run, before a truncate's step (`pointed-at-first.ts`): left out of `kept`.
   */
  readonly keptWritten?: ReadonlySet<string>;
}

type Pick = 'all' | 'kept' | 'lost';

/**
 * Splits a change set into transactions of at most `batchSize` keys, each a list of table batches in
 * table order. A key changed on one source is "clean" and belongs to that source; a key changed on two
 * or more is a conflict. Work per key is a set lookup: no per-key objects for clean keys. With
 * `sections`, the keys tables foreign keys point at lose come after all others, and the tables of a
 * cycle of foreign keys (a tree) go whole into one transaction, their kept keys and their lost ones each.
 */
export function* planTransactions(changeSet: ChangeSet, shapes: readonly TableShape[], batchSize: number, sections?: PlanSections): Generator<TableBatch[]> {
  const pointedAt = sections?.layout.pointedAt ?? new Set<string>();
  const cycles = sections?.layout.cycles ?? new Map<string, number>();
  const steps: Array<{ shape: TableShape; pick: Pick }> = [];
  for (const shape of shapes) {
    if (!pointedAt.has(tableId(shape.table))) steps.push({ shape, pick: 'all' });
    else if (sections!.kept && !sections!.keptWritten?.has(tableId(shape.table))) steps.push({ shape, pick: 'kept' });
  }
  if (sections?.lost) for (const shape of [...shapes].reverse()) if (pointedAt.has(tableId(shape.table))) steps.push({ shape, pick: 'lost' });
  const cycleOf = (step: { shape: TableShape }) => cycles.get(tableId(step.shape.table));
  const planned = new Set<number>();
  let transaction: TableBatch[] = [];
  let room = batchSize;
  for (let i = 0; i < steps.length; i++) {
    if (planned.has(i)) continue;
    // a cycle's tables go together, uncut, where its first one comes
    const cycle = cycleOf(steps[i]!);
    const group = cycle === undefined ? [i] : steps.flatMap((step, j) => (step.pick === steps[i]!.pick && cycleOf(step) === cycle ? [j] : []));
    for (const j of group) {
      planned.add(j);
      const { shape, pick } = steps[j]!;
      const { clean, conflicts } = splitTable(changeSet, shape, pick);
      const cursor = new TableCursor(clean, conflicts);
      while (!cursor.done) {
        const taken = cursor.take(cycle === undefined ? room : Infinity, shape);
        transaction = withBatch(transaction, taken);
        room -= sizeOf(taken);
        if (room <= 0 && cycle === undefined) {
          yield transaction;
          transaction = [];
          room = batchSize;
        }
      }
    }
    // a cycle, taken uncut, may have filled the transaction past its room
    if (cycle !== undefined && room <= 0) {
      yield transaction;
      transaction = [];
      room = batchSize;
    }
  }
  if (transaction.length > 0) yield transaction;
}

/** `transaction` with `batch` added: to the table's batch when it has one (a table's lost keys after its kept ones). */
function withBatch(transaction: TableBatch[], batch: TableBatch): TableBatch[] {
  const index = transaction.findIndex((existing) => existing.shape === batch.shape);
  if (index < 0) return [...transaction, batch];
  const existing = transaction[index]!;
  const clean = new Map(existing.clean);
  for (const [db, keys] of batch.clean) clean.set(db, [...(clean.get(db) ?? []), ...keys]);
  const merged: TableBatch = { shape: existing.shape, clean, conflicts: [...existing.conflicts, ...batch.conflicts] };
  return transaction.map((each, i) => (i === index ? merged : each));
}

export function sizeOf(batch: TableBatch): number {
  let size = batch.conflicts.length;
  for (const keys of batch.clean.values()) size += keys.length;
  return size;
}

/** A key's change is a loss: the row is gone on its source. */
const lost = (change: KeyChange) => change.lastOp === 'delete';

/** Whether a key lost (or not) belongs to the keys `pick` takes. */
const takes = (pick: Pick, isLost: boolean) => pick === 'all' || isLost === (pick === 'lost');

function picked(changes: ReadonlyMap<KeyText, KeyChange>, pick: Pick): KeyText[] {
  if (pick === 'all') return [...changes.keys()];
  const keys: KeyText[] = [];
  for (const [key, change] of changes) if (takes(pick, lost(change))) keys.push(key);
  return keys;
}

function splitTable(changeSet: ChangeSet, shape: TableShape, pick: Pick): { clean: Map<string, KeyText[]>; conflicts: Conflict[] } {
  const id = tableId(shape.table);
  const changed = changeSet.sources
    .map((source) => ({ db: source.db, changes: source.tables.get(id)?.changes }))
    .filter((source): source is { db: string; changes: NonNullable<typeof source.changes> } => source.changes !== undefined && source.changes.size > 0)
    .sort((a, b) => (a.db < b.db ? -1 : a.db > b.db ? 1 : 0));
  const clean = new Map<string, KeyText[]>();
  const conflicts: Conflict[] = [];
  if (changed.length === 1) {
    const keys = picked(changed[0]!.changes, pick);
    if (keys.length > 0) clean.set(changed[0]!.db, keys);
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
      if (!others) {
        if (takes(pick, lost(change))) mine.push(key);
        continue;
      }
      const candidates: Candidate[] = [{ db: source.db, change }, ...others];
      // a key one source deleted is planned with the lost ones: where the delete wins, the children that
      // source deleted come first; where an update wins, the row is still written, only later
      if (!takes(pick, candidates.some((candidate) => lost(candidate.change)))) continue;
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
