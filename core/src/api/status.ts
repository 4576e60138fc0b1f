import type { DbGroupRow, HerdRow, SyncRow } from '../control/catalog-rows.js';
import type { SyncRuns } from '../control/run-store.js';
import type { WorkerRow } from '../control/daemon-store.js';
import type { BucardoContext } from './context.js';

/** Everything `bucardo status` shows about one sync. */
export interface SyncStatusReport {
  readonly sync: SyncRow;
  readonly herd: HerdRow;
  readonly dbgroup: DbGroupRow;
  readonly runs: SyncRuns;
  /** `Good`, `Bad`, `No records found`, `Interrupted` (a run whose process ended), or the live phase of a running run. */
  readonly state: string;
  /** The daemon running the sync and how it goes, when one does. */
  readonly worker?: WorkerRow;
  /** Conflicts recorded in the audit for this sync; skipped ones wait for manual resolution. */
  readonly conflicts: { readonly total: number; readonly skipped: number };
}

export async function syncStatuses(ctx: BucardoContext, names?: readonly string[]): Promise<SyncStatusReport[]> {
  const [syncs, herds, dbgroups, runs, workers, conflicts] = await Promise.all([
    ctx.control.catalog.syncs(), ctx.control.catalog.herds(), ctx.control.catalog.dbgroups(), ctx.control.runs.syncRuns(),
    ctx.control.daemons.workers(), ctx.control.runs.conflictCounts(),
  ]);
  const wanted = names === undefined ? syncs : names.map((name) => syncs.find((sync) => sync.name === name) ?? ctx.control.catalog.sync(name));
  const resolved = await Promise.all(wanted);
  return resolved.map((sync) => {
    const syncRuns = runs.get(sync.name) ?? {};
    return {
      sync,
      herd: herds.find((herd) => herd.name === sync.herd)!,
      dbgroup: dbgroups.find((group) => group.name === sync.dbgroup)!,
      runs: syncRuns,
      state: stateOf(syncRuns),
      conflicts: conflicts.get(sync.name) ?? { total: 0, skipped: 0 },
      ...(workers.has(sync.name) ? { worker: workers.get(sync.name)! } : {}),
    };
  });
}

function stateOf(runs: SyncRuns): string {
  if (runs.current) return runs.current.status;
  if (runs.interrupted) return 'Interrupted';
  if (!runs.last) return 'No records found';
  return runs.last.outcome === 'bad' ? 'Bad' : 'Good';
}
