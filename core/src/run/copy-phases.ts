import { decodeKey, encodeKey, formatTable, tableId, type ChangeSet, type KeyText, type Logger, type SequenceState, type SourceChanges, type TableRef, type TableShape } from '@bucardo/plugin-sdk';
import { writeOrder } from './write-order.js';
import { dependentsFirst, linkedGroups } from './emptying-order.js';
import { databaseError } from './database-error.js';
import { sequenceMissing } from './sequence-missing.js';
import type { RunCounts } from './run-counts.js';
import type { CopyProgress, RunRecorder } from './run-sync.js';
import type { RunSessions } from './sessions.js';
import { sourcesOf, targetsOf, type SyncPlan } from './sync-plan.js';
import { copyTable, type CopyJob } from './table-copy.js';
import { keysOfOthers, truncateWinners, type TruncateWinner } from './truncate-winners.js';

/** What the whole-table phases of a run share. */
export interface CopyContext {
  readonly plan: SyncPlan;
  readonly sessions: RunSessions;
  readonly shapes: readonly TableShape[];
  readonly recorder: RunRecorder;
  readonly counts: RunCounts;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly batchRows: number;
  readonly status: (text: string) => Promise<void>;
}

/**
 * `onetimecopy`: copies every table from the first source to the targets (1: all of them, emptied first;
 * 2: only those where the table is empty; either limited to the targets `update sync … db=` chose), in
 * committed batches whose progress is recorded, so an interrupted copy goes on from its last committed key. Changes made during the copy are not lost: the
 * sources' checkpoints do not move, so the delta path delivers them after the copy. A copy asked for again
 * while this one runs (`update sync … onetimecopy=`) is the next run's: this one goes on (onetimecopy=2 may
 * count on the rows it copies) but records no more progress, and leaves onetimecopy as it was set.
 */
export async function initialCopy(ctx: CopyContext): Promise<void> {
  const { plan } = ctx;
  const from = sourcesOf(plan)[0]!.name;
  const targets = copyTargetsOf(plan);
  const progress = new Map(await ctx.recorder.copyProgress(plan.name));
  if (plan.onetimecopy !== 2) restartLinkedTables(ctx, progress);
  // under the request the plan was read with: a copy asked for since is the next run's, from the start
  const save = (table: TableRef, saved: CopyProgress) => ctx.recorder.saveCopyProgress(plan.name, table, saved, plan.copyRequest);
  // parents before the tables pointing at them: a copy into empty tables finds each row's parent there
  const ordered = writeOrder(ctx.shapes);
  // every table read as of one moment, where the source can: a child row copied finds its parent copied
  const reader = await ctx.sessions.reader(from);
  const consistently = (work: () => Promise<void>) => (reader.readConsistently ? reader.readConsistently(work) : work());
  // for the progress line, before the consistent read (a statement failing in it would abort it)
  const estimates = (await reader.estimateRows?.(ordered.map((shape) => shape.table)).catch(() => undefined)) ?? new Map<string, number>();
  await consistently(async () => {
    for (const [index, shape] of ordered.entries()) {
      const table = formatTable(shape.table);
      const known = progress.get(tableId(shape.table));
      if (known?.done) continue;
      // a target taken out of the sync since the copy began (update dbgroup … remove) is no longer copied to
      const to = known ? known.targets.filter((db) => targets.includes(db)) : plan.onetimecopy === 2 ? await emptyOnes(ctx, targets, shape) : targets;
      if (to.length === 0) {
        await save(shape.table, { targets: [], rows: 0, done: true });
        ctx.log.log('normal', `Initial copy of ${table}: no target needs it`);
        continue;
      }
      const resumeAt = known?.lastKey === undefined ? undefined : keyFromProgress(shape, known.lastKey);
      if (!known) await save(shape.table, { targets: to, rows: 0, done: false });
      ctx.log.log('normal', `Initial copy of ${table} from ${from} to ${ctx.sessions.receivers(to, shape.table)}${resumeAt === undefined ? '' : ` (resuming after ${known!.rows} rows)`}`);
      const keyed = shape.key.length > 0;
      const rows = await copyTable(ctx.sessions, {
        shape, from, to,
        // Emptied once, when the copy of this table begins; a resumed copy keeps what earlier batches wrote.
        empty: plan.onetimecopy !== 2 && resumeAt === undefined,
        // the tables pointing at it whose copy has not begun (later in the order, no progress): their rows
        // on the targets would refuse its emptying; one copied already is never emptied again
        emptyFirst: dependentsFirst(shape, ordered.slice(index + 1).filter((other) => !progress.has(tableId(other.table)))),
        chunked: keyed,
        ...(resumeAt === undefined ? {} : { after: resumeAt }),
        ...recordedAsTruncate(plan),
      }, {
        batchRows: ctx.batchRows, signal: ctx.signal, status: ctx.status, rowsBefore: known?.rows ?? 0, estimates,
        onBatch: (lastKey, done) => {
          ctx.counts.kept.copyCommitted(table, done, to, false);
          return save(shape.table, { targets: to, rows: (known?.rows ?? 0) + done, done: false, ...(lastKey === undefined ? {} : { lastKey: keyForProgress(shape, lastKey) }) });
        },
      });
      await save(shape.table, { targets: to, rows: (known?.rows ?? 0) + rows, done: true });
      ctx.counts.addCopy(table, rows, to);
    }
  });
}

/** The targets this copy goes to: those `update sync … db=` chose that are targets still, else every target. */
function copyTargetsOf(plan: SyncPlan): string[] {
  const targets = targetsOf(plan).map((db) => db.name);
  return plan.copyTargets ? targets.filter((db) => plan.copyTargets!.includes(db)) : targets;
}

/**
 * Tables linked by foreign keys whose copy an earlier run left half done are copied again from the start,
 * all of them: the tables copied then were read as of another moment than those still to copy, whose rows
 * may point at parents written since, which the targets' foreign keys would refuse in every run after
 * (the change path that brings those parents comes only after the copy). Emptied again, they are read as
 * of one moment as a fresh copy is. A table linked to none resumes where it stopped. (`onetimecopy=2`
 * empties nothing, so it resumes as it stopped.)
 */
function restartLinkedTables(ctx: CopyContext, progress: Map<string, CopyProgress>): void {
  for (const group of linkedGroups(ctx.shapes)) {
    if (group.size < 2) continue;
    const states = [...group].map((id) => progress.get(id));
    if (!states.some((state) => state !== undefined) || states.every((state) => state?.done)) continue;
    for (const id of group) progress.delete(id);
    const names = ctx.shapes.filter((shape) => group.has(tableId(shape.table))).map((shape) => formatTable(shape.table));
    ctx.log.log('normal', `Initial copy of ${names.join(', ')} from the start again: an earlier run copied some of these tables linked by foreign keys, and they are read as of one moment`);
  }
}

/** Fullcopy members: every run makes each of their tables equal to the first source's (one transaction each). */
export async function fullCopies(ctx: CopyContext): Promise<void> {
  const members = ctx.plan.databases.filter((db) => db.role === 'fullcopy').map((db) => db.name);
  if (members.length === 0) return;
  const from = sourcesOf(ctx.plan)[0]!.name;
  const ordered = writeOrder(ctx.shapes);
  for (const [index, shape] of ordered.entries()) {
    const rows = await copyTable(ctx.sessions, {
      shape, from, to: members, empty: true, emptyFirst: dependentsFirst(shape, ordered.slice(index + 1)), chunked: false, ...recordedAsTruncate(ctx.plan),
    }, { batchRows: ctx.batchRows, signal: ctx.signal, status: ctx.status });
    ctx.counts.addCopy(formatTable(shape.table), rows, members);
  }
}

/**
 * TRUNCATE: when a table was truncated on one or more sources in the interval, the latest truncate wins:
 * every other database of the sync is made equal to that source's table (a full copy, so rows written on
 * it after the truncate survive). The keys other sources changed after that truncate were written into
 * the winner's table first (`writeChangesAfterTruncates`), so the copy carries them; the interval's other
 * changes to the table, made before the truncate, are dropped. Returns the change set without those
 * tables. A capture in key partitions sees the truncate in every partition: only the first
 * (`partition.index` 0) copies, the others just drop the table's changes.
 */
export async function applyTruncates(ctx: CopyContext, changeSet: ChangeSet, receivers: readonly string[], partition?: { readonly index: number; readonly count: number }): Promise<ChangeSet> {
  const copy = (partition?.index ?? 0) === 0;
  const truncated = truncateWinners(changeSet);
  if (truncated.size === 0) return changeSet;
  // parents first, as every write; a table's dependents truncated on the same source (TRUNCATE … CASCADE)
  // are emptied with it, children first
  const ordered = writeOrder(ctx.shapes).filter((shape) => truncated.has(tableId(shape.table)));
  for (const [index, shape] of (copy ? ordered : []).entries()) {
    const winner = truncated.get(tableId(shape.table))!;
    const to = receivers.filter((db) => db !== winner.db);
    // those not copied yet in this run, from the same source (so to the same receivers)
    const sameWinner = ordered.slice(index + 1).filter((other) => truncated.get(tableId(other.table))!.db === winner.db);
    ctx.log.log('normal', `Table ${formatTable(shape.table)} was truncated on ${winner.db}: copying it from there to ${ctx.sessions.receivers(to, shape.table)}`);
    const rows = await copyTable(ctx.sessions, {
      shape, from: winner.db, to, empty: true, emptyFirst: dependentsFirst(shape, sameWinner), chunked: false, purpose: `the truncate on ${winner.db}`,
      ...recordedAsTruncate(ctx.plan),
    }, { batchRows: ctx.batchRows, signal: ctx.signal, status: ctx.status });
    ctx.counts.addCopy(formatTable(shape.table), rows, to);
  }
  // once the copies are done: a run failing before them drops nothing (the next run reads the changes again)
  sayDroppedChanges(ctx, changeSet, truncated, partition);
  return {
    sources: changeSet.sources.map((source): SourceChanges => ({
      ...source, tables: new Map([...source.tables].filter(([id]) => !truncated.has(id))),
    })),
  };
}

/**
 * The changes other sources made to a truncated table before the truncate that wins, dropped with it, said
 * per table: a user would otherwise not know the run threw them away. Those made after it were written
 * into the winner's table before its copy (`writeChangesAfterTruncates`), which says so itself.
 */
function sayDroppedChanges(ctx: CopyContext, changeSet: ChangeSet, truncated: ReadonlyMap<string, TruncateWinner>, partition?: { readonly index: number; readonly count: number }): void {
  // a capture in key partitions drops each partition's own: said per partition
  const part = partition && partition.count > 1 ? ` in key partition ${partition.index + 1} of ${partition.count}` : '';
  for (const { table, winner, counts } of keysOfOthers(changeSet, truncated, (change, { at }) => change.changedAt <= at)) {
    ctx.log.log('normal', `Changes to table ${table} dropped for its truncate on ${winner.db}${part}: the keys other sources changed in it before the truncate (${counts})`, { table });
  }
}

/**
 * Sequences: every database's sequence is made equal to the one on the source whose value is highest
 * (value, increment, minimum, maximum, cycle), as Bucardo does.
 */
export async function syncSequences(ctx: CopyContext): Promise<void> {
  for (const sequence of ctx.plan.sequences ?? []) {
    const states = new Map<string, SequenceState>();
    for (const db of ctx.plan.databases) {
      const session = ctx.sessions.target(db.name);
      const state = await session.readSequence?.(sequence).catch(sequenceFailed(ctx, db.name, sequence));
      if (state) states.set(db.name, state);
      // not a failure of the run (the rows are in), but that database's sequence is left behind
      else if (session.readSequence) ctx.log.log('warn', `${sequenceMissing(ctx.plan.name, db.name, sequence).message}: not synced there`, { db: db.name, table: formatTable(sequence) });
    }
    let winner: string | undefined;
    for (const source of sourcesOf(ctx.plan)) {
      const state = states.get(source.name);
      if (state && (winner === undefined || BigInt(state.lastValue) > BigInt(states.get(winner)!.lastValue))) winner = source.name;
    }
    if (winner === undefined) continue;
    const best = states.get(winner)!;
    for (const db of ctx.plan.databases) {
      const state = states.get(db.name);
      if (db.name === winner || !state || JSON.stringify(state) === JSON.stringify(best)) continue;
      await ctx.sessions.target(db.name).setSequence?.(sequence, best).catch(sequenceFailed(ctx, db.name, sequence));
      ctx.log.log('verbose', `Sequence ${formatTable(sequence)} on ${db.name} set to ${best.lastValue} from ${winner}`);
    }
  }
}

function sequenceFailed(ctx: CopyContext, db: string, sequence: TableRef): (error: unknown) => never {
  return (error) => { throw databaseError(error, 'APPLY_FAILED', { db, item: formatTable(sequence), sync: ctx.plan.name, plugin: ctx.sessions.pluginOf(db) }); };
}

/**
 * makedelta for a whole-table copy (an initial copy, fullcopy members, a truncate's winner): recorded as a
 * truncate on the receivers that record the table, so that the syncs reading them (a cascade's next sync)
 * copy it whole in turn, as the capture's truncate trigger would have them do.
 */
function recordedAsTruncate(plan: SyncPlan): Pick<CopyJob, 'makeDelta'> {
  return plan.makeDelta?.size ? { makeDelta: { sync: plan.name, on: plan.makeDelta } } : {};
}

/**
 * A composite key joins its parts with NUL, which a PostgreSQL text column refuses: saving the progress of
 * a copy of such a table failed the run after its first batch. Its parts are kept as a JSON array instead;
 * a one-column key is kept as it is, as copies in progress before this change have it.
 */
function keyForProgress(shape: TableShape, key: KeyText): string {
  return shape.key.length > 1 ? JSON.stringify(decodeKey(key, shape.key.length)) : key;
}

function keyFromProgress(shape: TableShape, saved: string): KeyText {
  return shape.key.length > 1 ? encodeKey(JSON.parse(saved) as string[]) : saved;
}

async function emptyOnes(ctx: CopyContext, targets: readonly string[], shape: TableShape): Promise<string[]> {
  const empty: string[] = [];
  for (const db of targets) {
    const session = ctx.sessions.target(db);
    const isEmpty = await session.isEmpty?.(shape.table).catch((error: unknown): never => {
      throw databaseError(error, 'FETCH_FAILED', { db, table: formatTable(shape.table), sync: ctx.plan.name });
    });
    if (isEmpty) empty.push(db);
  }
  return empty;
}
