import {
  formatTable, tableId,
  type Checkpoint, type ChangeSet, type Logger, type RunArgs, type TableBatch, type TableChanges, type TableShape,
} from '@bucardo/plugin-sdk';
import { writeOrder } from './write-order.js';
import { applyTransaction, type TransactionContext } from './apply-transaction.js';
import { databaseError } from './database-error.js';
import { applyTruncates, initialCopy, type CopyContext } from './copy-phases.js';
import { FetchAhead } from './fetch-ahead.js';
import { planTransactions } from './batches.js';
import { foreignKeyLayout, foreignKeysChecked, type ForeignKeyLayout } from './foreign-key-layout.js';
import { quiet } from './quiet.js';
import { resumeFingerprint, resumeMismatch } from './resume-fit.js';
import { canPartition, partitionCount, pendingRecords, type PendingRecords } from './partitions.js';
import { chooseRefreshes, refreshAboveOf, refreshTables } from './refresh.js';
import { withRetries } from './retries.js';
import type { ApplyFailures } from './apply-failed.js';
import { changedSinceChecked, checkingAgain, resolveTableShapes } from './table-shapes.js';
import { Progress } from './run-progress.js';
import { newestChanges } from './newest-changes.js';
import { writeChangesAfterTruncates } from './changes-after-truncates.js';
import type { RunCounts } from './run-counts.js';
import type { ResumePoint, RunOptions, RunParts, RunRecorder } from './run-sync.js';
import type { RunSessions } from './sessions.js';
import { deltaDatabasesOf, sourcesOf, type SyncPlan } from './sync-plan.js';

export interface DeltaWork {
  readonly parts: RunParts;
  readonly plan: SyncPlan;
  readonly recorder: RunRecorder;
  readonly options: RunOptions;
  readonly sessions: RunSessions;
  readonly shapes: readonly TableShape[];
  readonly runId: string;
  readonly log: Logger;
  readonly counts: RunCounts;
  /** The applyFailed hook's retries, counted per table over the whole run. */
  readonly failures: ApplyFailures;
  readonly status: (text: string) => Promise<void>;
  readonly signal: AbortSignal;
  readonly copies: CopyContext;
  /** The tables copied whole (`refreshAbove`) instead of captured; `shapes` are the others. */
  readonly refreshed?: readonly TableShape[];
  /** Whether this run's row holds a resume point (handed over, or saved): it is cleared once the checkpoints moved. */
  readonly point?: { saved: boolean };
  /**
   * The shapes were remembered from an earlier run, not read: the first capture reads the tables it found
   * changes for again (`checkCapturedShapes`), before anything is written with them.
   */
  readonly checkShapes?: boolean;
}

/**
 * The tables changed since the shapes were checked: the run checks them all again and captures the same
 * interval anew (`until`: the checkpoints of the capture thrown away).
 */
class ShapesChanged extends Error {
  constructor(changes: readonly string[], readonly until: ReadonlyMap<string, Checkpoint>) {
    super(checkingAgain(changes));
  }
}

/** One key partition of the run's capture: which one, how many, and where an interrupted run had got to in it. */
interface PartitionStep {
  readonly index: number;
  readonly count: number;
  /** Transactions of this partition an interrupted run already committed everywhere. */
  readonly committed: number;
  /** This is where an interrupted run had got to. */
  readonly resumed: boolean;
  /** The run whose committed transactions are skipped here (absent in points of older versions). */
  readonly resumedRun?: string;
}

/**
 * The change path: initial copy when asked for, tables most of which changed copied whole (`refreshAbove`),
 * then the captured changes, in one pass or, for a backlog larger than the partition size, in key
 * partitions read one after the other under the same snapshots (the first partition's checkpoints), each
 * applied before the next is read, so that memory is bounded by the partition, not the backlog.
 * Transactions an interrupted run of the same plan committed are skipped; the checkpoints move once every
 * partition is applied.
 */
export async function deltaPhase(work: DeltaWork, resume: ResumePoint | undefined): Promise<void> {
  const { parts, plan, recorder, sessions, runId, log } = work;
  const recorded = await recorder.checkpoints(plan.name);
  // a source without a checkpoint gets capture installed here, before the capture: with checked shapes
  if (work.checkShapes && sourcesOf(plan).some((source) => !recorded.has(source.name))) work = await withCheckedShapes(work);
  const { shapes } = work;
  const checkpoints = await startingCheckpoints(plan, sessions, recorded, shapes, log);
  parts.runs.add(runId, { plan, sessions, checkpoints });
  if (plan.onetimecopy) await initialCopy(work.copies);
  const from = Object.fromEntries(checkpoints);
  // transactions are planned in write order (tables after those their foreign keys point at), the order
  // a resume point records: the tables copied whole are left out of it, the others keep their places
  const ordered = writeOrder(shapes);
  const { pointedAt } = layoutOf(work, ordered);
  const basis = {
    databases: plan.databases, tables: shapes.map((shape) => shape.table), order: ordered.map((shape) => shape.table),
    pointedAt: ordered.filter((shape) => pointedAt.has(tableId(shape.table))).map((shape) => shape.table), batchSize: work.options.batchSize, checkpoints: from,
  };
  work = { ...work, shapes: ordered };
  const fingerprint = resumeFingerprint(basis);
  const mismatch = resume && resumeMismatch(resume, basis);
  const resuming = resume && !mismatch ? resume : undefined;
  if (mismatch) log.log('normal', `Not resuming ${resume!.run === undefined ? 'the interrupted run' : `run ${resume!.run}`}: ${mismatch}; this run plans afresh from the sync's checkpoints`);
  work = { ...work, point: { saved: resume !== undefined } };
  const { refreshed, captured, partitions } = await captureLayout(work, checkpoints, resuming);
  if (refreshed.length > 0) work = { ...work, shapes: captured, refreshed };
  let guards = resuming ? new Map(Object.entries(resuming.until)) : undefined;
  let upcoming: Promise<Planned> | undefined;
  try {
    for (let index = resuming?.partition ?? 0; index < partitions; index++) {
      const resumed = resuming !== undefined && index === (resuming.partition ?? 0);
      const step: PartitionStep = { index, count: partitions, committed: resumed ? resuming.committed : 0, resumed, ...(resumed && resuming.run !== undefined ? { resumedRun: resuming.run } : {}) };
      await work.status(step.count > 1 ? `Capturing changes (partition ${index + 1} of ${step.count})` : 'Capturing changes');
      const planned = await (upcoming ?? capturePartition(work, step, guards)).catch(async (error: unknown) => {
        if (!(error instanceof ShapesChanged)) throw error;
        log.log('normal', error.message);
        work = await withCheckedShapes(work);
        // the same interval again, which ended before the tables were checked: nothing in it can miss a column
        return capturePartition(work, step, error.until);
      });
      // checked once, by the first capture (of every table when there are partitions): the others read the same snapshots
      if (work.checkShapes) work = { ...work, checkShapes: false };
      upcoming = undefined;
      guards = planned.guards;
      // The next partition is read while this one's last batch is applied: sources are idle then.
      const next: PartitionStep = { index: index + 1, count: partitions, committed: 0, resumed: false };
      const readNext = next.index < partitions ? () => { upcoming ??= quiet(capturePartition(work, next, planned.guards)); } : undefined;
      await applyPartition(work, step, planned, { fingerprint, from }, readNext);
    }
  } finally {
    // a failed run closes its sessions next: no capture may still be running on them
    await upcoming?.catch(() => undefined);
  }
  await recorder.saveCheckpoints(plan.name, guards!);
  // past the checkpoints, nothing of this run is to be resumed, even should a later phase fail
  if (work.point!.saved) await recorder.saveResume(runId, undefined);
  if (plan.onetimecopy) await recorder.finishCopy(plan.name, plan.copyRequest);
}

/**
 * How the run's capture is laid out: the tables copied whole instead of captured (`refreshAbove`), and
 * into how many key partitions the rest is cut. A resumed run keeps the interrupted run's layout, since the
 * transactions it skips must be the same ones.
 */
async function captureLayout(work: DeltaWork, checkpoints: ReadonlyMap<string, Checkpoint>, resuming: ResumePoint | undefined): Promise<CaptureLayout> {
  const { plan, sessions, shapes, options } = work;
  if (resuming) {
    const { refreshed, captured } = split(shapes, (resuming.refreshed ?? []).map(tableId));
    if (refreshed.length > 0 && (resuming.partition ?? 0) === 0) {
      work.log.log('normal', `Copying ${refreshed.map((shape) => formatTable(shape.table)).join(', ')} whole again, as the interrupted run did`);
    }
    return { refreshed, captured, partitions: resuming.partitions ?? 1 };
  }
  const above = refreshAboveOf(plan, options);
  const wanted = canPartition(plan, sessions) || above !== undefined;
  const pending = wanted ? await pendingRecords(plan, sessions, shapes, checkpoints) : undefined;
  const chosen = await chooseRefreshes(work.copies, pending, above, options.batchSize, checkpoints);
  const { refreshed, captured, ids } = split(shapes, chosen.map((shape) => tableId(shape.table)));
  // the capture does not read the records of the tables copied whole, nor cut those foreign keys point at
  // (captured whole): they do not count for partitions
  const { pointedAt } = layoutOf(work, captured);
  const counted: PendingRecords | undefined = pending && new Map([...pending].map(([db, perTable]) => [db, new Map([...perTable].filter(([id]) => !ids.has(id) && !pointedAt.has(id)))]));
  return { refreshed, captured, partitions: partitionCount(plan, sessions, counted, options.partitionSize, work.log, pointedAt.size > 0) };
}

interface CaptureLayout {
  readonly refreshed: readonly TableShape[];
  /** The other tables, which the capture reads. */
  readonly captured: readonly TableShape[];
  readonly partitions: number;
}

/** The tables copied whole (by `tableId`) and the others. */
function split(shapes: readonly TableShape[], refreshed: readonly string[]): { refreshed: TableShape[]; captured: TableShape[]; ids: Set<string> } {
  const ids = new Set(refreshed);
  return { refreshed: shapes.filter((shape) => ids.has(tableId(shape.table))), captured: shapes.filter((shape) => !ids.has(tableId(shape.table))), ids };
}

/** A partition captured and cut into transactions. */
interface Planned {
  readonly args: RunArgs;
  readonly guards: Map<string, Checkpoint>;
  readonly transactions: TableBatch[][];
  readonly newest: Map<string, Map<string, number>>;
}

/**
 * Captures one partition (up to `until`, the first partition's checkpoints, when known) from every source,
 * applies truncates and cuts the change set into transactions. The change set (a map entry per changed
 * key) is dropped when this returns: the transactions carry the keys, and the newest change per table and
 * source is kept for `latest_table`.
 */
async function capturePartition(work: DeltaWork, step: PartitionStep, until: ReadonlyMap<string, Checkpoint> | undefined): Promise<Planned> {
  const { plan, runId, log } = work;
  const partitioned = step.count > 1;
  const args: RunArgs = Object.freeze({
    sync: plan.name, runId, databases: deltaDatabasesOf(plan), tables: work.shapes, log, signal: work.signal,
    ...(until ? { until: Object.fromEntries(until) } : {}),
    ...(partitioned ? { partition: { index: step.index, count: step.count } } : {}),
  });
  const capturing = performance.now();
  const layout = layoutOf(work);
  let changeSet = await captureSections(work, args, step, layout);
  log.log('verbose', `${describeCapture(changeSet, partitioned ? step : undefined)} (${(performance.now() - capturing).toFixed(1)} ms)`);
  if (work.checkShapes) await checkCapturedShapes(work, changeSet, step);
  // After the capture that consumed their records: the copy reads at least what they stood for.
  if (step.index === 0) await refreshTables(work.copies, work.refreshed ?? []);
  // A truncate is in every partition's capture; its table is copied once, with the first partition,
  // after the changes other sources made since that truncate were written (they are not lost with it).
  // The tables those changes may point at have their new rows and updates written before them: left out here.
  const keptWritten = step.index === 0 ? await writeChangesAfterTruncates(work, args, changeSet) : undefined;
  changeSet = await applyTruncates(work.copies, changeSet, args.databases.map((db) => db.name), step);
  const guards = new Map(changeSet.sources.map((source) => [source.db, source.checkpoint]));
  const sections = { layout, kept: step.index === 0, lost: step.index === step.count - 1, ...(keptWritten?.size ? { keptWritten } : {}) };
  const transactions = [...planTransactions(changeSet, work.shapes, work.options.batchSize, sections)];
  // fetch reads additive columns as of these checkpoints; the receiving sources' guards are the same
  const captured: RunArgs = Object.freeze({ ...args, captured: Object.fromEntries(guards) });
  return { args: captured, guards, transactions, newest: newestChanges(changeSet) };
}

/**
 * The capture hook over the partition's tables. In a run cut into key partitions, the tables foreign keys
 * point at are not cut (`ForeignKeyLayout`): the first and the last partition capture them whole as well,
 * a second call of the hook (its `args.tables` those tables, no `partition`) up to the same checkpoints.
 */
async function captureSections(work: DeltaWork, args: RunArgs, step: PartitionStep, { pointedAt }: ForeignKeyLayout): Promise<ChangeSet> {
  if (step.count === 1 || pointedAt.size === 0) return work.parts.hooks.capture.promise({ sources: [] }, args);
  const cut = work.shapes.filter((shape) => !pointedAt.has(tableId(shape.table)));
  const partial = await work.parts.hooks.capture.promise({ sources: [] }, Object.freeze({ ...args, tables: cut }));
  if (step.index !== 0 && step.index !== step.count - 1) return partial;
  const { partition: _cut, ...unpartitioned } = args;
  const until = Object.fromEntries(partial.sources.map((source) => [source.db, source.checkpoint]));
  const whole = await work.parts.hooks.capture.promise({ sources: [] }, Object.freeze({
    ...unpartitioned, tables: work.shapes.filter((shape) => pointedAt.has(tableId(shape.table))), until,
  }));
  return mergeCaptures(partial, whole, pointedAt);
}

/** How the foreign keys between `shapes` shape the run's plan, where a receiving database checks them. */
function layoutOf(work: DeltaWork, shapes: readonly TableShape[] = work.shapes): ForeignKeyLayout {
  return foreignKeyLayout(shapes, foreignKeysChecked(work.plan, work.sessions));
}

/**
 * The partition's capture and the whole capture of the pointed-at tables (up to the same checkpoints), as
 * one: each keeps only its own tables, should a source return more than it was asked for.
 */
function mergeCaptures(partial: ChangeSet, whole: ChangeSet, pointedAt: ReadonlySet<string>): ChangeSet {
  const only = (tables: ReadonlyMap<string, TableChanges>, pointed: boolean) => [...tables].filter(([id]) => pointedAt.has(id) === pointed);
  const merged = new Map(partial.sources.map((source) => [source.db, { ...source, tables: new Map(only(source.tables, false)) }]));
  for (const source of whole.sources) {
    const first = merged.get(source.db) ?? { ...source, tables: new Map<string, TableChanges>() };
    merged.set(source.db, { ...first, tables: new Map([...first.tables, ...only(source.tables, true)]) });
  }
  return { sources: [...merged.values()] };
}

/**
 * Reads again, on the first source, the tables the capture found changes for or is to copy whole (every
 * table when the run is cut into partitions: a table may have changes only in a later one), and stops the
 * capture's work (before anything is written) when one changed since its shape was checked. A column a
 * captured change depends on was added before that change committed, so before the capture's snapshot:
 * this reading sees it.
 */
async function checkCapturedShapes(work: DeltaWork, changeSet: ChangeSet, step: PartitionStep): Promise<void> {
  const all = [...work.shapes, ...(work.refreshed ?? [])];
  let checked = all;
  if (step.count === 1) {
    const touched = new Set(changeSet.sources.flatMap((source) => [...source.tables.keys()]));
    checked = all.filter((shape) => touched.has(tableId(shape.table)) || work.refreshed?.includes(shape));
  }
  const changes = await changedSinceChecked(work.plan, work.sessions, checked);
  if (changes.length > 0) throw new ShapesChanged(changes, new Map(changeSet.sources.map((source) => [source.db, source.checkpoint])));
}

/** `work` with every table's shape checked again on every database (the tables copied whole stay so). */
async function withCheckedShapes(work: DeltaWork): Promise<DeltaWork> {
  const shapes = await resolveTableShapes(work.plan, work.sessions, work.log, { fresh: true, ofRun: true });
  const byId = new Map(shapes.map((shape) => [tableId(shape.table), shape]));
  const fresh = (old: readonly TableShape[]) => old.map((shape) => byId.get(tableId(shape.table))!);
  return {
    ...work, shapes: fresh(work.shapes), checkShapes: false, copies: { ...work.copies, shapes },
    ...(work.refreshed ? { refreshed: fresh(work.refreshed) } : {}),
  };
}

/**
 * Commits a partition's transactions everywhere, saving a resume point after each, and calls `readNext`
 * once the last batch has read everything it needs from the sources.
 */
async function applyPartition(work: DeltaWork, step: PartitionStep, planned: Planned, identity: Pick<ResumePoint, 'fingerprint' | 'from'>, readNext: (() => void) | undefined): Promise<void> {
  const { parts, plan, recorder, sessions, runId, log, counts } = work;
  const { args, guards, transactions, newest } = planned;
  const partitioned = step.count > 1;
  const skip = Math.min(step.committed, transactions.length);
  const where = partitioned ? ` in partition ${step.index + 1} of ${step.count}` : '';
  // the run is named: it may have been killed, have failed, or been stopped, as its row in `status` says
  const resumedRun = step.resumedRun === undefined ? 'an interrupted run' : `run ${step.resumedRun}`;
  if (step.resumed) log.log('normal', `Resuming ${resumedRun}${where}: ${skip} of ${transactions.length} transactions were already committed`);
  const progress = new Progress(transactions, step);
  const last = skip < transactions.length ? transactions.at(-1)?.at(-1) : undefined;
  if (!last) readNext?.();
  const ahead = new FetchAhead(transactions.slice(skip), (batch) => parts.hooks.fetch.promise({ clean: new Map(), candidates: new Map() }, Object.freeze({ ...args, batch })));
  const context: TransactionContext = {
    parts, plan, sessions, args, guards, counts, status: (text) => work.status(progress.describe(text)), fetchRows: (batch) => ahead.rows(batch),
    newestChange: (table) => newest.get(tableId(table)) ?? new Map(),
    openAudit: () => recorder.openAudit(plan.name, runId),
    ...(readNext ? { readsDone: (batch: TableBatch) => { if (batch === last) readNext(); } } : {}),
  };
  const refreshed = work.refreshed?.map((shape) => shape.table);
  const resumePoint = (partition: number, committed: number): ResumePoint => ({
    ...identity, run: runId, until: Object.fromEntries(guards), committed, partitions: step.count, partition, ...(refreshed?.length ? { refreshed } : {}),
  });
  const save = async (point: ResumePoint) => {
    work.point!.saved = true;
    await recorder.saveResume(runId, point);
  };
  try {
    for (let index = 0; index < transactions.length; index++) {
      const transaction = transactions[index]!;
      // an applied transaction's keys are not needed any more: a partition holds only what is left of it
      transactions[index] = [];
      if (index < skip) {
        progress.done(transaction);
        continue;
      }
      await work.failures.attempt({ args, counts, beforeRetry: () => ahead.discard() }, () => withRetries(counts, log, args.signal, () => applyTransaction(context, transaction)));
      progress.done(transaction);
      if (transactions.length > 1 || partitioned) await save(resumePoint(step.index, index + 1));
    }
  } finally {
    // a failed run closes its sessions next: no read may still be running on them
    await ahead.discard();
  }
  if (partitioned && step.index + 1 < step.count) await save(resumePoint(step.index + 1, 0));
}

/** Each source's checkpoint; a source without one (capture never installed for this sync) starts now. */
async function startingCheckpoints(plan: SyncPlan, sessions: RunSessions, recorded: ReadonlyMap<string, Checkpoint>, shapes: readonly TableShape[], log: Logger): Promise<Map<string, Checkpoint>> {
  const checkpoints = new Map(recorded);
  for (const source of sourcesOf(plan)) {
    if (checkpoints.has(source.name)) continue;
    log.log('warn', `Sync "${plan.name}" had no checkpoint for database "${source.name}": capture installed, changes are read from now on`, { db: source.name });
    checkpoints.set(source.name, await sessions.source(source.name).installCapture(shapes).catch((error: unknown) => {
      throw databaseError(error, 'CAPTURE_FAILED', { db: source.name, sync: plan.name });
    }));
  }
  return checkpoints;
}

/** The capture's counts; in a run cut into partitions, which one they are of (each partition logs its own). */
function describeCapture(changeSet: ChangeSet, partition: PartitionStep | undefined): string {
  const parts = changeSet.sources.map((source) => {
    let keys = 0;
    for (const table of source.tables.values()) keys += table.changes.size;
    return `${source.db}: ${keys}`;
  });
  const which = partition ? ` (partition ${partition.index + 1} of ${partition.count})` : '';
  return `Changed keys per source${which}: ${parts.join(', ') || 'none'}`;
}
