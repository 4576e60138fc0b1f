import type { DbGroupRow, HerdRow, SyncRow } from '../control/catalog-rows.js';
import type { SyncRunRow, SyncRuns } from '../control/run-store.js';
import { resumeBatchSize, resumeMismatch } from '../run/resume-fit.js';
import type { WorkerRow } from '../control/daemon-store.js';
import { workerResponds } from '../daemon/daemon-liveness.js';
import type { BucardoContext } from './context.js';

/** Everything `bucardo status` shows about one sync. */
export interface SyncStatusReport {
  readonly sync: SyncRow;
  readonly herd: HerdRow;
  readonly dbgroup: DbGroupRow;
  readonly runs: SyncRuns;
  /** `Good`, `Bad`, `No records found`, `Interrupted` (a run whose process ended), or the live phase of a running run. */
  readonly state: string;
  /** The daemon recorded as running the sync and how it goes, when one is; a killed one's row stays (`responding` false). */
  readonly worker?: WorkerStatus;
  /** The daemon running the sync finds it stalled (a database it cannot reach or that is inactive), and still responds: see `stalledByDaemon`. */
  readonly stalled: boolean;
  /** Conflicts recorded in the audit for this sync; skipped ones wait for manual resolution. */
  readonly conflicts: { readonly total: number; readonly skipped: number };
  /** The resume point the next run finds (an interrupted run's, or the last run's when it failed or was stopped). */
  readonly resume?: ResumeOutlook;
}

export interface WorkerStatus extends WorkerRow {
  /** False when its daemon is gone: not registered, its process ended, its heartbeat expired, or the sync's run lock released. */
  readonly responding: boolean;
}

/** Whether the next run can take a resume point over, judged against the sync as the catalog has it now. */
export interface ResumeOutlook {
  /** The run that committed what the point records. */
  readonly run: string;
  readonly point: NonNullable<SyncRunRow['resume']>;
  /** The batch size it was planned with: a run given another starts afresh (status cannot know the next run's). */
  readonly batchSize?: number;
  /** Why the next run will not take it over (the sync's databases or tables changed, its checkpoints moved). */
  readonly mismatch?: string;
}

export async function syncStatuses(ctx: BucardoContext, names?: readonly string[]): Promise<SyncStatusReport[]> {
  const [syncs, herds, dbgroups, runs, workers, conflicts, checkpoints] = await Promise.all([
    ctx.control.catalog.syncs(), ctx.control.catalog.herds(), ctx.control.catalog.dbgroups(), ctx.control.runs.syncRuns(),
    ctx.control.daemons.workers(), ctx.control.runs.conflictCounts(), ctx.control.catalog.allCheckpoints(),
  ]);
  const wanted = names === undefined ? syncs : names.map((name) => syncs.find((sync) => sync.name === name) ?? ctx.control.catalog.sync(name));
  const resolved = await Promise.all(wanted);
  return Promise.all(resolved.map(async (sync) => {
    const syncRuns = runs.get(sync.name) ?? {};
    const herd = herds.find((row) => row.name === sync.herd)!;
    const dbgroup = dbgroups.find((group) => group.name === sync.dbgroup)!;
    const resume = resumeOutlook(syncRuns, herd, dbgroup, checkpoints.get(sync.name) ?? new Map());
    const worker = workers.get(sync.name);
    const status = worker && workerStatus(worker);
    return {
      sync,
      herd,
      dbgroup,
      runs: syncRuns,
      ...(resume ? { resume } : {}),
      state: stateOf(syncRuns),
      conflicts: conflicts.get(sync.name) ?? { total: 0, skipped: 0 },
      ...(status ? { worker: status } : {}),
      stalled: stalledByDaemon(status),
    };
  }));
}

function resumeOutlook(runs: SyncRuns, herd: HerdRow, dbgroup: DbGroupRow, positions: ReadonlyMap<string, string>): ResumeOutlook | undefined {
  const holder = runs.interrupted ?? (runs.last?.ended && runs.last.outcome === 'bad' ? runs.last : undefined);
  const point = holder?.resume;
  if (!holder || !point) return undefined;
  const checkpoints = Object.fromEntries(positions);
  const databases = dbgroup.members.map((member) => ({ name: member.db, role: member.role }));
  const mismatch = resumeMismatch(point, { databases, tables: herd.tables, checkpoints });
  const batchSize = resumeBatchSize(point);
  return { run: point.run ?? holder.id, point, ...(batchSize === undefined ? {} : { batchSize }), ...(mismatch ? { mismatch } : {}) };
}

/** The syncs their daemon finds stalled (`bucardo list syncs` shows them `[Stalled]`, as `status` does). */
export async function stalledSyncs(ctx: BucardoContext): Promise<Set<string>> {
  const workers = await ctx.control.daemons.workers();
  return new Set([...workers.values()].filter((worker) => stalledByDaemon(workerStatus(worker))).map((worker) => worker.sync));
}

/**
 * Whether a sync is stalled, as Bucardo would write into the sync's status: here the daemon running it
 * records it (its runs fail to reach a database, and it retries) in its worker row rather than in the
 * sync's own status, which stays what the user set. A gone daemon's last word is no news about the sync.
 */
export function stalledByDaemon(worker: WorkerStatus | undefined): boolean {
  return worker !== undefined && worker.responding && worker.state === 'stalled';
}

function workerStatus(worker: WorkerRow): WorkerStatus {
  return { ...worker, responding: workerResponds(worker) };
}

function stateOf(runs: SyncRuns): string {
  if (runs.current) return runs.current.status;
  if (runs.interrupted) return 'Interrupted';
  if (!runs.last) return 'No records found';
  return runs.last.outcome === 'bad' ? 'Bad' : 'Good';
}
