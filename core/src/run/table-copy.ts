import { BucardoError, formatTable, tableId, type KeyText, type RowBatch, type SourceSession, type TableRef, type TableShape, type TargetSession, type TruncateOptions } from '@bucardo/plugin-sdk';
import { commitEverywhere } from './commit-everywhere.js';
import { databaseError } from './database-error.js';
import type { RunSessions } from './sessions.js';
import { readAhead } from './read-ahead.js';
import { settleAll } from './settle-all.js';

export interface CopyJob {
  readonly shape: TableShape;
  /** The database the rows are read from. */
  readonly from: string;
  /** The databases that receive them. */
  readonly to: readonly string[];
  /** Empty the table on every receiver first. */
  readonly empty: boolean;
  /** With `empty`: tables pointing at this one, emptied before it in the same transaction, children first (`dependentsFirst`). */
  readonly emptyFirst?: readonly TableShape[];
  /**
   * Commit after every batch (an initial copy of a big table, resumable from the last committed key);
   * otherwise one transaction per receiver for the whole table (fullcopy, truncate winners, keyless tables).
   */
  readonly chunked: boolean;
  /** Resume after this key: the first batch also deletes its keys, which a crash may have committed twice. */
  readonly after?: KeyText;
  /** Most of the table's rows changed since the last run (a refresh): passed on to the reader. */
  readonly mostlyChanged?: boolean;
  /** Why the table is copied, for errors (`the truncate on A`); a copy when absent. */
  readonly purpose?: string;
  /**
   * makedelta: the sync, and per table (by `tableId`) the receivers that record the copy as a truncate of
   * theirs (the table and, when emptied, `emptyFirst`), for the other syncs reading them, which copy the
   * table whole in turn. The rows copied are not recorded one by one: the truncate stands for them.
   */
  readonly makeDelta?: { readonly sync: string; readonly on: ReadonlyMap<string, ReadonlySet<string>> };
}

export interface CopyOptions {
  readonly batchRows: number;
  readonly signal: AbortSignal;
  /** Called after each committed batch (chunked copies) with the last key and the rows so far. */
  readonly onBatch?: (lastKey: KeyText | undefined, rows: number) => Promise<void>;
  readonly status?: (text: string) => Promise<void>;
  /** Rows an interrupted copy of this table already committed: the progress shown counts on from there. */
  readonly rowsBefore?: number;
  /**
   * The source's row estimates by `tableId`, asked beforehand: inside a reader's consistent read, a failed
   * statement would abort the transaction the copy reads in. Asked per table when absent.
   */
  readonly estimates?: ReadonlyMap<string, number>;
}

/**
 * Copies a whole table from one database to others, streamed in bounded batches (COPY out, COPY in): for
 * initial copies, fullcopy members and truncate winners. Nothing here compares rows; the receivers end
 * with exactly the source's rows.
 */
export async function copyTable(sessions: RunSessions, job: CopyJob, options: CopyOptions): Promise<number> {
  const table = formatTable(job.shape.table);
  const reader = await sessions.reader(job.from);
  if (!reader.readTable) {
    throw new BucardoError('DB_ROLE_UNSUPPORTED', `Database "${job.from}" cannot read whole tables, so it cannot copy "${table}"`, { db: job.from, table });
  }
  const targets = job.to.map((db) => [db, sessions.target(db)] as const);
  for (const [db, target] of targets) {
    if (job.empty && !target.truncate) {
      throw new BucardoError('DB_ROLE_UNSUPPORTED', `Database "${db}" cannot empty table "${table}" for ${job.purpose ?? 'a copy'}: its target has no truncate(). Give its plugin truncate(), or take "${db}" out of the sync; until then every run stops here`, { db, table });
    }
  }
  // every target at once (or some of them); a failure names its database and the table
  const onSome = <T>(some: ReadonlyArray<readonly [string, TargetSession]>, work: (target: TargetSession, db: string) => Promise<T>) => settleAll(some.map(([db, target]) => work(target, db).catch((error: unknown) => {
    throw databaseError(error, 'APPLY_FAILED', { db, table: sessions.tableOn(db, job.shape.table), plugin: sessions.pluginOf(db) });
  })));
  const onTargets = <T>(work: (target: TargetSession, db: string) => Promise<T>) => onSome(targets, work);
  const begin = () => onTargets((target) => target.begin(options.signal));
  const commit = () => commitEverywhere(onTargets, options.signal);
  const emptied = [...(job.emptyFirst ?? []), job.shape];
  const truncates = makeDeltaTruncates(job, job.empty ? emptied : [job.shape]);
  // a target that cannot record a truncate apart records it as it empties the table
  const emptyAll = () => onTargets(async (target, db) => {
    for (const shape of emptied) await target.truncate!(shape, options.signal, target.recordTruncate ? undefined : truncates.of(db, shape));
  });
  const recorders = targets.filter(([db, target]) => target.recordTruncate && truncates.on(db));
  const recordAll = () => onSome(recorders, async (target, db) => {
    for (const shape of job.empty ? emptied : [job.shape]) {
      const makeDelta = truncates.of(db, shape).makeDelta;
      if (makeDelta) await target.recordTruncate!(shape, options.signal, makeDelta);
    }
  });
  // once per table, before its read begins: a figure for the progress line, not a query per batch
  const estimate = options.estimates ? options.estimates.get(tableId(job.shape.table)) : options.status ? await estimatedRows(reader, job.shape.table) : undefined;
  let open = false;
  // the transaction open is the makedelta record's own, on the receivers that record it
  let apart = false;
  let rows = 0;
  let first = true;
  try {
    if (!job.chunked) { await begin(); open = true; }
    // a copy that fails on a target stops the source's read in flight instead of waiting for its batch
    const reading = new AbortController();
    const signal = AbortSignal.any([options.signal, reading.signal]);
    const read = reader.readTable({
      shape: job.shape, batchRows: options.batchRows, signal,
      ...(job.after === undefined ? {} : { after: job.after }),
      ...(job.mostlyChanged ? { mostlyChanged: true } : {}),
    });
    const batches = readAhead(naming(read, job.from, table), () => reading.abort());
    for await (const batch of batches) {
      if (job.chunked) { await begin(); open = true; }
      if (first && job.empty) await emptyAll();
      const deletes = first && job.after !== undefined ? keysOf(batch) : [];
      await onTargets((target) => target.apply({ shape: job.shape, deletes, rows: [batch], signal: options.signal }));
      rows += batch.rowCount;
      first = false;
      if (job.chunked) {
        await commit();
        open = false;
        await options.onBatch?.(lastKey(batch), rows);
      }
      await options.status?.(`Copying ${table} from ${job.from} to ${sessions.receivers(job.to, job.shape.table)} (${copied((options.rowsBefore ?? 0) + rows, estimate)})`);
    }
    if (first && job.empty) {
      if (!open) { await begin(); open = true; }
      await emptyAll();
    }
    // makedelta: the truncate recorded with the copy's last transaction, or, after the last of a copy
    // committed batch by batch, in one of its own on the receivers that record it: a sync reading them
    // meanwhile would copy half a table and never learn of the rest
    if (recorders.length > 0) {
      if (open) await recordAll();
      else {
        await onSome(recorders, (target) => target.begin(options.signal));
        open = true;
        apart = true;
        await recordAll();
        await commitEverywhere((work) => onSome(recorders, work), options.signal);
        open = false;
      }
    }
    if (open) { await commit(); open = false; }
    return rows;
  } catch (error) {
    if (open) await Promise.allSettled((apart ? recorders : targets).map(([, target]) => target.rollback()));
    throw error;
  }
}

/**
 * About how many rows the source's statistics say the table holds (`estimateRows`), or undefined: a
 * source without the method, a table it has no figure for, or a failure, since the figure is only shown,
 * and a copy is not to fail for want of it (a broken connection fails the read that follows anyway).
 */
async function estimatedRows(reader: SourceSession, table: TableRef): Promise<number | undefined> {
  if (!reader.estimateRows) return undefined;
  const estimates = await reader.estimateRows([table]).catch(() => undefined);
  return estimates?.get(tableId(table));
}

/** `1300 of about 3000 rows`; just `1300 rows` without an estimate, or once the copy has passed it (stale statistics). */
function copied(rows: number, estimate: number | undefined): string {
  return estimate !== undefined && rows <= estimate ? `${rows} of about ${estimate} rows` : `${rows} rows`;
}

/** The source's batches, a failure to read them named by its database and the table. */
async function* naming(batches: AsyncIterable<RowBatch>, db: string, table: string): AsyncGenerator<RowBatch> {
  try {
    yield* batches;
  } catch (error) {
    throw databaseError(error, 'FETCH_FAILED', { db, table });
  }
}

function keysOf(batch: RowBatch): KeyText[] {
  return [...batch.keys()];
}

function lastKey(batch: RowBatch): KeyText | undefined {
  const row = batch.shape.key.length === 0 ? undefined : batch.lastRow();
  return row && batch.keyOf(row);
}

/**
 * makedelta's truncates of a copy: per receiver and table, the `TruncateOptions` that record it there
 * (empty where the receiver does not record the table).
 */
function makeDeltaTruncates(job: CopyJob, shapes: readonly TableShape[]): { of(db: string, shape: TableShape): TruncateOptions; on(db: string): boolean } {
  const of = (db: string, shape: TableShape): TruncateOptions => (job.makeDelta?.on.get(tableId(shape.table))?.has(db) ? { makeDelta: { sync: job.makeDelta.sync } } : {});
  return { of, on: (db) => shapes.some((shape) => of(db, shape).makeDelta !== undefined) };
}
