import { RowBatch, type ApplyBatch, type Checkpoint, type FetchedRows, type KeyText, type SyncDatabase, type TableBatch } from '@bucardo/plugin-sdk';
import { mergeAdditive } from './additive.js';
import type { Settlement } from './settle.js';

export interface BatchPlan {
  /** What each receiving database gets; databases that receive nothing are absent. */
  readonly perDatabase: ReadonlyMap<string, ApplyBatch>;
  /** Rows copied out of sources (each once, however many databases receive it). */
  readonly rowsMoved: number;
}

/**
 * Turns a fetched and settled batch into per-database writes. Every key goes to every database except
 * its winner (the single source that changed it, or the conflict's winner): delete the key there, then
 * write the winner's image if the row still exists on the winner. Skipped conflicts go nowhere. On a
 * table with additive columns, a conflict's merged image goes to every database, the winner included.
 * `extra` holds the images of winners that were not candidates (read after resolve). `makeDelta`: the
 * databases where the table's rows are recorded as changes (makedelta), and the sync to mark them with.
 */
export function buildApplyPlan(
  batch: TableBatch, rows: FetchedRows, settlement: Settlement, extra: ReadonlyMap<string, RowBatch>,
  databases: readonly SyncDatabase[], guards: ReadonlyMap<string, Checkpoint>, signal: AbortSignal,
  makeDelta?: { readonly sync: string; readonly on: ReadonlySet<string> },
): BatchPlan {
  const additive = batch.shape.additive ?? [];
  const wonBy = new Map<string, Set<KeyText>>();
  for (const [key, winner] of settlement.winners) {
    let keys = wonBy.get(winner);
    if (!keys) wonBy.set(winner, (keys = new Set()));
    keys.add(key);
  }
  const images = new Map<string, RowBatch[]>();
  for (const [db, batchRows] of rows.clean) images.set(db, [batchRows]);
  const mergedKeys: KeyText[] = [];
  const deltas = additive.length > 0 ? candidateDeltas(batch) : undefined;
  let merged: RowBatch | undefined;
  for (const [winner, keys] of wonBy) {
    // A winner's images come from its candidate rows (keys it changed) and from `extra` (keys it won
    // without changing them, e.g. `source`): one winner can have both kinds of keys in one batch.
    const sources = [rows.candidates.get(winner), extra.get(winner)].filter((batchRows): batchRows is RowBatch => batchRows !== undefined);
    if (sources.length === 0) continue;
    const won = sources.map((batchRows) => batchRows.filter(keys)).reduce((a, b) => concat(a, b));
    if (deltas) {
      merged = concat(merged, mergeAdditive(won, settlement.winners, deltas, additive));
      mergedKeys.push(...keys);
    } else {
      images.set(winner, [...(images.get(winner) ?? []), won]);
    }
  }
  let rowsMoved = merged?.rowCount ?? 0;
  for (const list of images.values()) for (const batchRows of list) rowsMoved += batchRows.rowCount;

  // Keys by the database their image comes from; each database deletes every key but its own.
  const keysByOrigin: Array<[string, readonly KeyText[]]> = [...batch.clean];
  if (additive.length === 0) for (const [winner, keys] of wonBy) keysByOrigin.push([winner, [...keys]]);
  const perDatabase = new Map<string, ApplyBatch>();
  for (const db of databases) {
    const deletes = mergedKeys.concat(...keysByOrigin.filter(([origin]) => origin !== db.name).map(([, keys]) => keys));
    if (deletes.length === 0) continue;
    const incoming: RowBatch[] = merged && merged.rowCount > 0 ? [merged] : [];
    for (const [origin, list] of images) if (origin !== db.name) incoming.push(...list.filter((batchRows) => batchRows.rowCount > 0));
    const guard = guards.get(db.name);
    const record = makeDelta?.on.has(db.name) ? { makeDelta: { sync: makeDelta.sync } } : {};
    perDatabase.set(db.name, { shape: batch.shape, deletes, rows: incoming, signal, ...(guard === undefined ? {} : { guard }), ...record });
  }
  return { perDatabase, rowsMoved };
}

function candidateDeltas(batch: TableBatch) {
  return new Map(batch.conflicts.map((conflict) => [conflict.key, conflict.candidates.map((candidate) => ({
    db: candidate.db,
    ...(candidate.change.lastOp !== 'delete' && candidate.change.additive ? { additive: candidate.change.additive } : {}),
  }))]));
}

function concat(a: RowBatch | undefined, b: RowBatch): RowBatch {
  if (!a) return b;
  const data = new Uint8Array(a.data.length + b.data.length);
  data.set(a.data, 0);
  data.set(b.data, a.data.length);
  return new RowBatch(a.origin, a.shape, data);
}
