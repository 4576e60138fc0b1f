import {
  BucardoError, isBucardoError, toBucardoError,
  type Checkpoint, type Logger, type RunOutcome, type RunReport, type TableRef,
} from '@bucardo/plugin-sdk';
import type { CoreHooks } from '../hooks.js';
import type { Registry } from '../plugins/registry.js';
import { ApplyFailures } from './apply-failed.js';
import { deltaPhase } from './delta-phase.js';
import type { AuditChannel } from './conflict-audit.js';
import { RunCounts } from './run-counts.js';
import type { RunRegistry } from './run-registry.js';
import { RunSessions } from './sessions.js';
import { isPureFullcopy, refuseInactiveDatabases, type SyncPlan } from './sync-plan.js';
import { fullCopies, syncSequences, type CopyContext } from './copy-phases.js';
import { resolveTableShapes, shapesToCheckAfterCapture } from './table-shapes.js';

/** Where an interrupted run had got to, so the next run can go on from there. */
export interface ResumePoint {
  /** What the run was planned from: a resumed run must have the same sources, tables and batch size. */
  readonly fingerprint: string;
  /** Each source's capture checkpoint of the interrupted run: the resumed run reads exactly up to it. */
  readonly until: Readonly<Record<string, Checkpoint>>;
  /** Transactions it committed everywhere (in partition `partition`, when the capture was partitioned). */
  readonly committed: number;
  /** Into how many key partitions its capture was cut (absent: 1). A resumed run cuts the same way. */
  readonly partitions?: number;
  /** The partition it was in; the ones before were applied everywhere (absent: 0). */
  readonly partition?: number;
  /** The tables it copied whole instead of capturing (`refreshAbove`): a resumed run plans without them too. */
  readonly refreshed?: readonly TableRef[];
  /**
   * Each source's checkpoint the run started from. A run resumes only from the same ones: what it skips
   * must be what was committed, and a sync removed and added again under the same name starts afresh.
   */
  readonly from?: Readonly<Record<string, Checkpoint>>;
  /** The run that committed what the point records (a run that takes a point over and commits nothing keeps it). */
  readonly run?: string;
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
  /**
   * Records a new run; an unfinished earlier run of the sync is marked interrupted. When the sync's last
   * run was bad (interrupted, failed or stopped) and committed something, its resume point is returned,
   * and recorded as the new run's own until it saves another.
   */
  startRun(sync: string, worker: string): Promise<{ runId: string; resume?: ResumePoint }>;
  /** Saves where this run is, after each transaction it commits everywhere; undefined once its checkpoints moved. */
  saveResume(runId: string, resume: ResumePoint | undefined): Promise<void>;
  /** The initial copy's progress per table (by `tableId`). */
  copyProgress(sync: string): Promise<Map<string, CopyProgress>>;
  /**
   * Saves a table's progress in the copy of `request` (the plan's `copyRequest`); nothing once the sync's
   * copy request has changed, since the progress belongs to a copy no longer asked for.
   */
  saveCopyProgress(sync: string, table: TableRef, progress: CopyProgress, request?: string): Promise<void>;
  /**
   * The initial copy of `request` is done: `onetimecopy` goes back to 0 and the progress is forgotten,
   * unless a new copy was asked for meanwhile, which the next run makes.
   */
  finishCopy(sync: string, request?: string): Promise<void>;
  /**
   * A transaction of the conflict audit (`bucardo list conflicts`) of its own, on a connection of its own,
   * for the conflicts of one run transaction: written while the run applies, committed after it.
   */
  openAudit(sync: string, runId: string): Promise<AuditChannel>;
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

/** How a run cuts its work: into transactions, and a large backlog into key partitions. */
export interface RunSizes {
  /** The most keys per transaction per database. */
  readonly batchSize: number;
  /** The most change records captured and planned at once; a larger backlog is read in key partitions. */
  readonly partitionSize: number;
  /**
   * A table of a one-source sync whose pending change records reach this fraction of its rows is copied
   * whole to the targets (emptied first) instead of key by key. Unset: never.
   */
  readonly refreshAbove?: number;
}

export interface RunOptions extends RunSizes {
  /** Keep the connections open for the next run of this sync. */
  readonly cache?: SessionCache;
  /** Who runs it, for status (e.g. `kick 1234@host`). */
  readonly worker: string;
  readonly signal?: AbortSignal;
  /**
   * What the caller does when the run fails, said on the failure's log line (the daemon's `retrying in
   * 2 s (attempt 2)`), so that one failure is one line. Not said when the caller stopped the run.
   */
  readonly failureNote?: string;
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
  const runInfo = { sync: plan.name, runId, startedAt, tables: plan.tables };
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
    refuseInactiveDatabases(plan);
    await status('Connecting');
    sessions = await openSessions(parts, plan, log, controller.signal, options.cache);
    // remembered shapes are checked after the capture, for the tables it found changes for
    const checkLater = shapesToCheckAfterCapture(plan, sessions);
    const shapes = checkLater ?? await resolveTableShapes(plan, sessions, log, { ofRun: true });
    await sessions.beginRun(runInfo);
    log.log('debug', `connected${checkLater ? '' : ' and checked tables'} in ${(Date.now() - startedAt.getTime())} ms`);
    const copies: CopyContext = { plan, sessions, shapes, recorder, counts, log, signal: controller.signal, batchRows: options.batchSize, status };
    if (!isPureFullcopy(plan)) {
      const failures = new ApplyFailures(parts, plan, log);
      const work = { parts, plan, recorder, options, sessions, shapes, runId, log, counts, failures, status, signal: controller.signal, copies, checkShapes: checkLater !== undefined };
      await deltaPhase(work, resume);
    }
    // `copies` holds the shapes as first taken: the change path may check them again, but never for a sync
    // with fullcopy members (`shapesToCheckAfterCapture`), the only one this copies for
    await fullCopies(copies);
    await syncSequences(copies);
    const finished = counts.moved > 0 || counts.conflicts > 0 ? 'good' : 'empty';
    await sessions.endRun({ ...runInfo, outcome: finished });
    outcome = finished;
  } catch (error) {
    const abortedByCaller = options.signal?.aborted === true;
    controller.abort(error);
    failure = abortedByCaller
      ? new BucardoError('RUN_ABORTED', `The run was stopped before it finished (${describeReason(options.signal!.reason)}); ${keptText(counts)}`, { sync: plan.name, cause: error })
      : isBucardoError(error) ? error : toBucardoError(error, 'APPLY_FAILED', { sync: plan.name });
    await sessions?.endRun({ ...runInfo, outcome: 'bad' }).catch(() => undefined);
    // A run stopped on purpose (a kick's timeout, a daemon giving up its sync) is not a warning.
    const note = !abortedByCaller && options.failureNote ? `; ${options.failureNote}` : '';
    // the code as a field: the text logger ends the line with [CODE], as status shows it; pino has `code`
    log.log(abortedByCaller ? 'normal' : 'warn', `Sync "${plan.name}" failed: ${failure.message}${failedWhere(failure)}${note}`, { ...failure.subject, code: failure.code });
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

async function openSessions(parts: RunParts, plan: SyncPlan, log: Logger, signal: AbortSignal, cache: SessionCache | undefined): Promise<RunSessions> {
  const key = JSON.stringify(plan.databases);
  if (cache?.sessions && cache.key === key) return cache.sessions;
  await cache?.sessions?.close();
  const sessions = await RunSessions.open(plan, parts.registry, log, `bucardo ${plan.name}`, signal);
  if (cache) Object.assign(cache, { sessions, key });
  return sessions;
}

function keptText(counts: RunCounts): string {
  const kept = counts.kept.describe();
  return kept === undefined ? 'nothing it did was kept' : `what it had committed is kept (${kept}), and the next run does the rest`;
}

function describeReason(reason: unknown): string {
  if (reason instanceof Error) return reason.name === 'TimeoutError' ? 'timed out' : reason.message;
  return reason === undefined ? 'aborted' : String(reason);
}

function logReport(log: Logger, report: RunReport): void {
  const seconds = ((report.endedAt.getTime() - report.startedAt.getTime()) / 1000).toFixed(2);
  if (report.outcome === 'bad') return;
  log.log('normal', `Sync "${report.sync}" ${report.outcome}: ${report.inserts} inserts, ${report.deletes} deletes, ${report.conflicts} conflicts in ${seconds}s`);
  for (const table of report.tables) {
    log.log('verbose', `  ${table.table}: ${table.inserts} inserts, ${table.deletes} deletes, ${table.conflicts} conflicts`);
  }
}

/**
 * Where a failure happened, for the log line, where its message does not say: a server's own text
 * (`insert or update on table "store" violates …`) names neither the database nor the schema.
 */
function failedWhere(failure: BucardoError): string {
  const { db, table } = failure.subject;
  const parts = [
    ...(db !== undefined && !failure.message.includes(`"${db}"`) ? [`database "${db}"`] : []),
    ...(table !== undefined && !failure.message.includes(table) ? [`table ${table}`] : []),
  ];
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}
