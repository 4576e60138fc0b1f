import {
  BucardoError, ChangeLog, formatTable, isBucardoError, tableId, toBucardoError,
  type Checkpoint, type ChangeSet, type Decisions, type Logger, type RunArgs, type RunOutcome, type RunReport, type TableBatch, type TableRef, type TableShape,
} from '@bucardo/plugin-sdk';
import type { CoreHooks } from '../hooks.js';
import type { Registry } from '../plugins/registry.js';
import { applyTransaction, type TransactionContext } from './apply-transaction.js';
import { FetchAhead } from './fetch-ahead.js';
import { planTransactions, sizeOf } from './batches.js';
import type { ConflictRecord } from './settle.js';
import { RunCounts } from './run-counts.js';
import type { RunRegistry } from './run-registry.js';
import { RunSessions } from './sessions.js';
import { deltaDatabasesOf, isPureFullcopy, sourcesOf, type SyncPlan } from './sync-plan.js';
import { applyTruncates, fullCopies, initialCopy, syncSequences, type CopyContext } from './copy-phases.js';
import { resolveTableShapes } from './table-shapes.js';

/** Where an interrupted run had got to, so the next run can go on from there. */
export interface ResumePoint {
  /** What the run was planned from: a resumed run must have the same sources, tables and batch size. */
  readonly fingerprint: string;
  /** Each source's capture checkpoint of the interrupted run: the resumed run reads exactly up to it. */
  readonly until: Readonly<Record<string, Checkpoint>>;
  /** Transactions it committed everywhere. */
  readonly committed: number;
}

/** How far an initial copy (onetimecopy) of one table has got. */
export interface CopyProgress {
  /** The receivers chosen when the copy of this table began (onetimecopy=2 picks the empty ones). */
  readonly targets: readonly string[];
  readonly lastKey?: string;
  readonly rows: number;
  readonly done: boolean;
}

/** Where runs are recorded and checkpoints kept (the control database). */
export interface RunRecorder {
  /** Records a new run; an unfinished earlier run of the sync is marked interrupted, and its resume point returned. */
  startRun(sync: string, worker: string): Promise<{ runId: string; resume?: ResumePoint }>;
  /** Saves where this run is, after each transaction it commits everywhere. */
  saveResume(runId: string, resume: ResumePoint): Promise<void>;
  /** The initial copy's progress per table (by `tableId`). */
  copyProgress(sync: string): Promise<Map<string, CopyProgress>>;
  saveCopyProgress(sync: string, table: TableRef, progress: CopyProgress): Promise<void>;
  /** The initial copy is done: `onetimecopy` goes back to 0 and the progress is forgotten. */
  finishCopy(sync: string): Promise<void>;
  /** The conflicts a committed transaction settled, for the audit (`bucardo list conflicts`). */
  recordConflicts(sync: string, runId: string, records: readonly ConflictRecord[]): Promise<void>;
  /** The live phase of a run, shown by `bucardo status`. */
  setRunStatus(runId: string, status: string): Promise<void>;
  endRun(report: RunReport): Promise<void>;
  checkpoints(sync: string): Promise<Map<string, Checkpoint>>;
  saveCheckpoints(sync: string, checkpoints: ReadonlyMap<string, Checkpoint>): Promise<void>;
}

export interface RunParts {
  readonly hooks: CoreHooks;
  readonly registry: Registry;
  readonly runs: RunRegistry;
  readonly log: Logger;
}

/**
 * Connections kept from one run to the next (a daemon's worker keeps one per sync), so that a run with
 * little to do costs milliseconds instead of a round of connection set-ups. Dropped after a failure.
 */
export interface SessionCache {
  sessions?: RunSessions;
  /** Which databases the cached sessions are for: a changed dbgroup or connection means new sessions. */
  key?: string;
}

export interface RunOptions {
  /** The most keys per transaction per database. */
  readonly batchSize: number;
  /** Keep the connections open for the next run of this sync. */
  readonly cache?: SessionCache;
  /** Who runs it, for status (e.g. `kick 1234@host`). */
  readonly worker: string;
  readonly signal?: AbortSignal;
}

/**
 * One run of one sync: capture → (per transaction of bounded size: fetch → resolve → apply per table
 * batch, then commit everywhere) → advance checkpoints → report. Checkpoints move only after every
 * database committed every transaction; a failure before that replays the same changes next run, which
 * is safe because applying is delete-then-insert by key.
 */
export async function runSync(parts: RunParts, plan: SyncPlan, recorder: RunRecorder, options: RunOptions): Promise<RunReport> {
  const startedAt = new Date();
  const { runId, resume } = await recorder.startRun(plan.name, options.worker);
  const runInfo = { sync: plan.name, runId, startedAt };
  const log = parts.log.child({ sync: plan.name, run: runId });
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const counts = new RunCounts();
  const status = (text: string) => recorder.setRunStatus(runId, text).catch((error: unknown) => log.log('debug', `could not record run status: ${String(error)}`));
  let sessions: RunSessions | undefined;
  let outcome: RunOutcome = 'bad';
  let failure: BucardoError | undefined;
  try {
    await status('Connecting');
    sessions = await openSessions(parts, plan, log, controller.signal, options.cache);
    const shapes = await resolveTableShapes(plan, sessions);
    await sessions.beginRun(runInfo);
    log.log('debug', `connected and checked tables in ${(Date.now() - startedAt.getTime())} ms`);
    const copies: CopyContext = { plan, sessions, shapes, recorder, counts, log, signal: controller.signal, batchRows: options.batchSize, status };
    if (!isPureFullcopy(plan)) {
      const work = { parts, plan, recorder, options, sessions, shapes, runId, log, counts, status, signal: controller.signal, copies };
      await deltaPhase(work, resume);
    }
    await fullCopies(copies);
    await syncSequences(copies);
    const finished = counts.moved > 0 || counts.conflicts > 0 ? 'good' : 'empty';
    await sessions.endRun({ ...runInfo, outcome: finished });
    outcome = finished;
  } catch (error) {
    const abortedByCaller = options.signal?.aborted === true;
    controller.abort(error);
    failure = abortedByCaller
      ? new BucardoError('RUN_ABORTED', `The run was stopped before it finished (${describeReason(options.signal!.reason)}); nothing it did was kept`, { sync: plan.name, cause: error })
      : isBucardoError(error) ? error : toBucardoError(error, 'APPLY_FAILED', { sync: plan.name });
    await sessions?.endRun({ ...runInfo, outcome: 'bad' }).catch(() => undefined);
    // A run stopped on purpose (a kick's timeout, a daemon giving up its sync) is not a warning.
    log.log(abortedByCaller ? 'normal' : 'warn', `Sync "${plan.name}" failed: ${failure.message}`, { ...failure.subject });
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    parts.runs.delete(runId);
    if (!options.cache || failure) {
      await sessions?.close();
      if (options.cache) options.cache.sessions = undefined;
    }
  }
  const report: RunReport = {
    sync: plan.name, runId, outcome, startedAt, endedAt: new Date(),
    inserts: counts.inserts, deletes: counts.deletes, conflicts: counts.conflicts, deferred: counts.deferred.size, retries: counts.retries,
    tables: counts.tables(), databases: counts.databases(),
    ...(failure ? { error: failure.toJSON() as RunReport['error'] } : {}),
  };
  await recorder.endRun(report).catch((error: unknown) => log.log('warn', `could not record the end of run ${runId}: ${String(error)}`));
  logReport(log, report);
  await parts.hooks.report.promise(report);
  return report;
}

interface DeltaWork {
  readonly parts: RunParts;
  readonly plan: SyncPlan;
  readonly recorder: RunRecorder;
  readonly options: RunOptions;
  readonly sessions: RunSessions;
  readonly shapes: readonly TableShape[];
  readonly runId: string;
  readonly log: Logger;
  readonly counts: RunCounts;
  readonly status: (text: string) => Promise<void>;
  readonly signal: AbortSignal;
  readonly copies: CopyContext;
}

/**
 * The change path: initial copy when asked for, capture, truncates, then the transactions (skipping those
 * an interrupted run of the same plan already committed), and finally the new checkpoints.
 */
async function deltaPhase(work: DeltaWork, resume: ResumePoint | undefined): Promise<void> {
  const { parts, plan, recorder, sessions, shapes, runId, log, counts } = work;
  const checkpoints = await startingCheckpoints(plan, sessions, recorder, shapes, log);
  parts.runs.add(runId, { plan, sessions, checkpoints });
  if (plan.onetimecopy) await initialCopy(work.copies);
  const fingerprint = JSON.stringify({ databases: plan.databases.map((db) => [db.name, db.role]), tables: shapes.map((shape) => shape.table), batch: work.options.batchSize });
  const resuming = resume && resume.fingerprint === fingerprint ? resume : undefined;
  const databases = deltaDatabasesOf(plan);
  const args: RunArgs = Object.freeze({ sync: plan.name, runId, databases, tables: shapes, log, signal: work.signal, ...(resuming ? { until: resuming.until } : {}) });
  await work.status('Capturing changes');
  const { guards, transactions, newest } = await captureAndPlan(work, args);
  const skip = resuming ? Math.min(resuming.committed, transactions.length) : 0;
  if (skip > 0) log.log('normal', `Resuming an interrupted run: ${skip} of ${transactions.length} transactions were already committed`);
  const progress = new Progress(transactions);
  const ahead = new FetchAhead(transactions.slice(skip), (batch) => parts.hooks.fetch.promise({ clean: new Map(), candidates: new Map() }, Object.freeze({ ...args, batch })));
  const context: TransactionContext = {
    parts, plan, sessions, args, guards, counts, status: (text) => work.status(progress.describe(text)), fetchRows: (batch) => ahead.rows(batch),
    newestChange: (table) => newest.get(tableId(table)) ?? new Map(),
  };
  try {
    for (const [index, transaction] of transactions.entries()) {
      if (index < skip) {
        progress.done(transaction);
        continue;
      }
      const records = await withRetries(counts, log, args.signal, () => applyTransaction(context, transaction));
      progress.done(transaction);
      if (transactions.length > 1) await recorder.saveResume(runId, { fingerprint, until: Object.fromEntries(guards), committed: index + 1 });
      if (records.length > 0) {
        await recorder.recordConflicts(plan.name, runId, records).catch((error: unknown) => log.log('warn', `could not record ${records.length} conflicts for the audit: ${String(error)}`));
      }
    }
  } finally {
    // a failed run closes its sessions next: no read may still be running on them
    await ahead.discard();
  }
  await recorder.saveCheckpoints(plan.name, guards);
  if (plan.onetimecopy) await recorder.finishCopy(plan.name);
}

/**
 * Captures every source, applies truncates and cuts the change set into transactions. The change set
 * (a map entry per changed key) is dropped when this returns: the transactions carry the keys, and the
 * newest change per table and source is kept for `latest_table`.
 */
async function captureAndPlan(work: DeltaWork, args: RunArgs): Promise<{ guards: Map<string, Checkpoint>; transactions: TableBatch[][]; newest: Map<string, Map<string, number>> }> {
  const capturing = performance.now();
  let changeSet = await work.parts.hooks.capture.promise({ sources: [] }, args);
  work.log.log('verbose', `${describeCapture(changeSet)} (${(performance.now() - capturing).toFixed(1)} ms)`);
  changeSet = await applyTruncates(work.copies, changeSet, args.databases.map((db) => db.name));
  const guards = new Map(changeSet.sources.map((source) => [source.db, source.checkpoint]));
  const transactions = [...planTransactions(changeSet, work.shapes, work.options.batchSize)];
  return { guards, transactions, newest: newestChanges(changeSet) };
}

/**
 * Per table (by `tableId`) and source, the source's newest change to the table in this run; only for
 * tables changed on several sources, the only ones with conflicts to settle.
 */
function newestChanges(changeSet: ChangeSet): Map<string, Map<string, number>> {
  const changedOn = new Map<string, number>();
  for (const source of changeSet.sources) for (const id of source.tables.keys()) changedOn.set(id, (changedOn.get(id) ?? 0) + 1);
  const newest = new Map<string, Map<string, number>>();
  for (const source of changeSet.sources) {
    for (const [id, table] of source.tables) {
      if ((changedOn.get(id) ?? 0) < 2) continue;
      let max = -Infinity;
      if (table.changes instanceof ChangeLog) max = table.changes.newestChangedAt;
      else for (const change of table.changes.values()) if (change.changedAt > max) max = change.changedAt;
      let perSource = newest.get(id);
      if (!perSource) newest.set(id, (perSource = new Map()));
      perSource.set(source.db, max);
    }
  }
  return newest;
}

async function openSessions(parts: RunParts, plan: SyncPlan, log: Logger, signal: AbortSignal, cache: SessionCache | undefined): Promise<RunSessions> {
  const key = JSON.stringify(plan.databases);
  if (cache?.sessions && cache.key === key) return cache.sessions;
  await cache?.sessions?.close();
  const sessions = await RunSessions.open(plan, parts.registry, log, `bucardo ${plan.name}`, signal);
  if (cache) Object.assign(cache, { sessions, key });
  return sessions;
}

/** Where a run is, for `bucardo status`: transaction i of n, keys done of the total. */
class Progress {
  readonly #total: number;
  readonly #count: number;
  #transactions = 0;
  #keys = 0;

  constructor(transactions: readonly (readonly TableBatch[])[]) {
    this.#count = transactions.length;
    this.#total = transactions.reduce((sum, transaction) => sum + transaction.reduce((n, batch) => n + sizeOf(batch), 0), 0);
  }

  describe(text: string): string {
    const batch = this.#count > 1 ? `batch ${this.#transactions + 1} of ${this.#count}, ` : '';
    return `${text} (${batch}${this.#keys} of ${this.#total} keys done)`;
  }

  done(transaction: readonly TableBatch[]): void {
    this.#transactions++;
    this.#keys += transaction.reduce((n, batch) => n + sizeOf(batch), 0);
  }
}

/** SQLSTATEs after which the same transaction may simply be tried again. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_RETRIES = 5;

/**
 * Runs one transaction, trying it again (with backoff: 50 ms, 100 ms, … ) after a serialization failure
 * or a deadlock, which roll back every database and can succeed on a second attempt.
 */
async function withRetries<T>(counts: RunCounts, log: Logger, signal: AbortSignal, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    const before = counts.snapshot();
    try {
      return await attempt();
    } catch (error) {
      const sqlstate = (error as { sqlstate?: string }).sqlstate;
      if (!sqlstate || !RETRYABLE.has(sqlstate) || tries >= MAX_RETRIES || signal.aborted) throw error;
      counts.restore(before);
      counts.retries++;
      const delay = 50 * 2 ** tries;
      log.log('normal', `${sqlstate === '40P01' ? 'Deadlock' : 'Serialization failure'} (${(error as Error).message}); retrying the transaction in ${delay} ms`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** Each source's checkpoint; a source without one (capture never installed for this sync) starts now. */
async function startingCheckpoints(plan: SyncPlan, sessions: RunSessions, recorder: RunRecorder, shapes: readonly TableShape[], log: Logger): Promise<Map<string, Checkpoint>> {
  const checkpoints = await recorder.checkpoints(plan.name);
  for (const source of sourcesOf(plan)) {
    if (checkpoints.has(source.name)) continue;
    log.log('warn', `Sync "${plan.name}" had no checkpoint for database "${source.name}": capture installed, changes are read from now on`, { db: source.name });
    checkpoints.set(source.name, await sessions.source(source.name).installCapture(shapes));
  }
  return checkpoints;
}

function describeReason(reason: unknown): string {
  if (reason instanceof Error) return reason.name === 'TimeoutError' ? 'timed out' : reason.message;
  return reason === undefined ? 'aborted' : String(reason);
}

function describeCapture(changeSet: ChangeSet): string {
  const parts = changeSet.sources.map((source) => {
    let keys = 0;
    for (const table of source.tables.values()) keys += table.changes.size;
    return `${source.db}: ${keys}`;
  });
  return `Changed keys per source: ${parts.join(', ') || 'none'}`;
}

function logReport(log: Logger, report: RunReport): void {
  const seconds = ((report.endedAt.getTime() - report.startedAt.getTime()) / 1000).toFixed(2);
  if (report.outcome === 'bad') return;
  log.log('normal', `Sync "${report.sync}" ${report.outcome}: ${report.inserts} inserts, ${report.deletes} deletes, ${report.conflicts} conflicts in ${seconds}s`);
  for (const table of report.tables) {
    log.log('verbose', `  ${table.table}: ${table.inserts} inserts, ${table.deletes} deletes, ${table.conflicts} conflicts`);
  }
}
