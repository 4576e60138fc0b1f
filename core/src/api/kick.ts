import { BucardoError, type RunReport } from '@bucardo/plugin-sdk';
import type { SyncRunRow } from '../control/run-store.js';
import type { BucardoContext } from './context.js';
import { loadSyncPlan } from './sync-plan-loader.js';
import type { RunSizes, SessionCache } from '../run/run-sync.js';

export interface KickOptions {
  /** Wait for the run to end (`kick SYNC 0` or `kick SYNC N`). */
  readonly wait: boolean;
  /** With `wait`: give up after this long (undefined or 0: wait as long as it takes). */
  readonly timeoutMs?: number;
  /** With `wait`: the caller's stop (Ctrl-C): waiting ends, and a run this process started is asked to stop. */
  readonly signal?: AbortSignal;
  readonly sizes: RunSizes;
}

/** What a run that served a kick did, whoever ran it. */
export interface KickedRun {
  readonly runId: string;
  readonly outcome: 'good' | 'empty' | 'bad';
  readonly startedAt: Date;
  readonly endedAt: Date;
  readonly inserts: number;
  readonly deletes: number;
  readonly conflicts: number;
  readonly error?: { readonly code: string; readonly message: string; readonly [field: string]: unknown };
}

export type KickResult =
  | {
    readonly status: 'done' | 'failed'; readonly run: KickedRun;
    /** The run that took the kick first and was interrupted (its process ended): this process ran the sync after it. */
    readonly interrupted?: string;
  }
  | { readonly status: 'queued' }
  | { readonly status: 'timeout'; readonly stuck?: true }
  /** The caller's signal ended the wait: `ranHere`, the run this process started was stopped (the next resumes it); else another process's run goes on. */
  | { readonly status: 'stopped'; readonly ranHere: boolean; readonly stuck?: true };

const POLL_MS = 100;
/**
 * How long a run this process started may take to stop once its kick's timeout passed. A run stops at
 * its next statement; one that does not (a plugin that ignores the signal) is given up on, still holding
 * the sync's lock, which goes with this process: the caller must then end it (`stuck`).
 */
const STOP_GRACE_MS = 5_000;

/**
 * `bucardo kick`: queues a run of the sync in the control database (the daemon that owns the sync picks
 * it up at once through NOTIFY). When waiting: if no daemon owns the sync (nobody holds its lock), this
 * process runs it itself; otherwise it waits for the run that serves the request. Should that run's
 * process end before it does (a daemon killed), nobody holds the lock any more: this process then runs
 * the sync, resuming where the interrupted run got to (a wait for a run nobody will finish never ended).
 */
export async function kickSync(ctx: BucardoContext, name: string, options: KickOptions): Promise<KickResult> {
  const sync = await ctx.control.catalog.sync(name);
  if (sync.status !== 'active') throw new BucardoError('SYNC_INACTIVE', `Cannot kick ${sync.status} sync "${name}"`, { sync: name });
  const requestId = await ctx.control.daemons.requestKick(name, ctx.worker);
  if (!options.wait) return { status: 'queued' };
  const deadline = options.timeoutMs ? Date.now() + options.timeoutMs : Infinity;
  for (;;) {
    // stopped before a run of its own began: none begins
    if (options.signal?.aborted) return { status: 'stopped', ranHere: false };
    const servedBy = await ctx.control.daemons.servedBy(requestId);
    if (servedBy !== undefined) {
      const run = await ctx.control.runs.run(servedBy);
      if (run?.ended) return finished(fromRow(run));
      if (await ctx.control.tryLockSync(name)) {
        // it may have ended between the two reads, its lock let go just after
        const again = await ctx.control.runs.run(servedBy).catch(async (error: unknown) => {
          await ctx.control.unlockSync(name).catch(() => undefined);
          throw error;
        });
        if (again?.ended) {
          await ctx.control.unlockSync(name).catch(() => undefined);
          return finished(fromRow(again));
        }
        const result = await runHere(ctx, name, options, deadline);
        return result.status === 'done' || result.status === 'failed' ? { ...result, interrupted: servedBy } : result;
      }
    } else if (await ctx.control.tryLockSync(name)) {
      return runHere(ctx, name, options, deadline);
    }
    if (Date.now() >= deadline) return { status: 'timeout' };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Runs the sync in this process, whose lock the caller took, until `deadline`; the lock is let go when the run ends. */
async function runHere(ctx: BucardoContext, name: string, options: KickOptions, deadline: number): Promise<KickResult> {
  let locked = true;
  try {
    const timeout = deadline === Infinity ? undefined : AbortSignal.timeout(Math.max(1, deadline - Date.now()));
    const signals = [timeout, options.signal].filter((one): one is AbortSignal => one !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    const running = runLocked(ctx, name, options.sizes, signal);
    const report = await untilGivenUp(running, signal);
    // the caller's stop first: a Ctrl-C at the timeout is still the caller's
    const stopped = options.signal?.aborted === true;
    if (report === undefined) {
      // the run goes on here: the lock stays held (another run must not start beside it) until it
      // ends, or this process does (the CLI ends it)
      locked = false;
      void running.catch(() => undefined).finally(() => ctx.control.unlockSync(name).catch(() => undefined));
      return stopped ? { status: 'stopped', ranHere: true, stuck: true } : { status: 'timeout', stuck: true };
    }
    if (report.outcome === 'bad' && signal?.aborted) return stopped ? { status: 'stopped', ranHere: true } : { status: 'timeout' };
    return finished(fromReport(report));
  } finally {
    if (locked) await ctx.control.unlockSync(name).catch(() => undefined);
  }
}

/** Runs a sync once in this process, waiting for its lock (for the API and tests). */
export async function runSyncNow(ctx: BucardoContext, name: string, options: { sizes: RunSizes; signal?: AbortSignal; cache?: SessionCache }): Promise<RunReport> {
  const sync = await ctx.control.catalog.sync(name);
  if (sync.status !== 'active') throw new BucardoError('SYNC_INACTIVE', `Cannot kick ${sync.status} sync "${name}"`, { sync: name });
  await ctx.control.lockSync(name);
  try {
    return await runLocked(ctx, name, options.sizes, options.signal, options.cache);
  } finally {
    await ctx.control.unlockSync(name).catch(() => undefined);
  }
}

/** The run's report, or undefined once `signal` has been aborted for `STOP_GRACE_MS` and the run has not stopped. */
async function untilGivenUp(run: Promise<RunReport>, signal: AbortSignal | undefined): Promise<RunReport | undefined> {
  if (!signal) return run;
  let timer: NodeJS.Timeout | undefined;
  let wait: (() => void) | undefined;
  const givenUp = new Promise<undefined>((resolve) => {
    wait = () => { timer = setTimeout(() => resolve(undefined), STOP_GRACE_MS); };
    if (signal.aborted) wait();
    else signal.addEventListener('abort', wait, { once: true });
  });
  try {
    return await Promise.race([run, givenUp]);
  } finally {
    if (timer) clearTimeout(timer);
    if (wait) signal.removeEventListener('abort', wait);
  }
}

async function runLocked(ctx: BucardoContext, name: string, sizes: RunSizes, signal: AbortSignal | undefined, cache?: SessionCache): Promise<RunReport> {
  const plan = await loadSyncPlan(ctx.control.catalog, name);
  return ctx.engine.run(plan, ctx.control.runs, { ...sizes, worker: ctx.worker, ...(signal ? { signal } : {}), ...(cache ? { cache } : {}) });
}

function finished(run: KickedRun): KickResult {
  return { status: run.outcome === 'bad' ? 'failed' : 'done', run };
}

function fromReport(report: RunReport): KickedRun {
  return {
    runId: report.runId, outcome: report.outcome, startedAt: report.startedAt, endedAt: report.endedAt,
    inserts: report.inserts, deletes: report.deletes, conflicts: report.conflicts, ...(report.error ? { error: report.error } : {}),
  };
}

function fromRow(row: SyncRunRow): KickedRun {
  return {
    runId: row.id, outcome: row.outcome ?? 'bad', startedAt: row.started, endedAt: row.ended ?? new Date(),
    inserts: row.inserts, deletes: row.deletes, conflicts: row.conflicts, ...(row.error ? { error: row.error } : {}),
  };
}
