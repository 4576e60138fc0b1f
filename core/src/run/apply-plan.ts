import type { ApplyBatch, Checkpoint, Decisions, FetchedRows, KeyText, RowBatch, SyncDatabase, TableBatch } from '@bucardo/plugin-sdk';

export interface BatchPlan {
  /** What each receiving database gets; databases that receive nothing are absent. */
  readonly perDatabase: ReadonlyMap<string, ApplyBatch>;
  /** Rows copied out of sources (each once, however many databases receive it). */
  readonly rowsMoved: number;
}

/**
 * Turns a fetched and resolved batch into per-database writes. Every key goes to every database except
 * its winner (the single source that changed it, or the conflict's winner): delete the key there, then
 * write the winner's image if the row still exists on the winner.
 */
export function buildApplyPlan(
  batch: TableBatch,
  rows: FetchedRows,
  decisions: Decisions,
  databases: readonly SyncDatabase[],
  guards: ReadonlyMap<string, Checkpoint>,
  signal: AbortSignal,
): BatchPlan {
  const wonBy = new Map<string, Set<KeyText>>();
  for (const conflict of batch.conflicts) {
    const winner = decisions.get(conflict.key)!.winner;
    let keys = wonBy.get(winner);
    if (!keys) wonBy.set(winner, (keys = new Set()));
    keys.add(conflict.key);
  }
  const images = new Map<string, RowBatch[]>();
  for (const [db, batchRows] of rows.clean) images.set(db, [batchRows]);
  for (const [winner, keys] of wonBy) {
    const candidateRows = rows.candidates.get(winner);
    if (candidateRows) images.set(winner, [...(images.get(winner) ?? []), candidateRows.filter(keys)]);
  }
  let rowsMoved = 0;
  for (const list of images.values()) for (const batchRows of list) rowsMoved += batchRows.rowCount;

  const perDatabase = new Map<string, ApplyBatch>();
  for (const db of databases) {
    const deletes: KeyText[] = [];
    for (const [origin, keys] of batch.clean) if (origin !== db.name) for (const key of keys) deletes.push(key);
    for (const [winner, keys] of wonBy) if (winner !== db.name) for (const key of keys) deletes.push(key);
    if (deletes.length === 0) continue;
    const incoming: RowBatch[] = [];
    for (const [origin, list] of images) if (origin !== db.name) incoming.push(...list.filter((batchRows) => batchRows.rowCount > 0));
    const guard = guards.get(db.name);
    perDatabase.set(db.name, { shape: batch.shape, deletes, rows: incoming, signal, ...(guard === undefined ? {} : { guard }) });
  }
  return { perDatabase, rowsMoved };
}
