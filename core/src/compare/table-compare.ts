import { BucardoError, formatTable, type KeyText, type RowSummary, type TargetSession } from '@bucardo/plugin-sdk';
import type { BucardoContext } from '../api/context.js';
import { databaseError } from '../run/database-error.js';
import type { CompareProgress, TableComparison } from './comparison.js';
import { customColsReadFailed } from '../run/custom-cols-reader.js';
import type { ReferenceSide, Receiver } from './compared-sides.js';
import { Differences, partitionDifferences, type KeyDifference, type KeyStanding } from './differences.js';
import { differingPartitions, inStep } from './partitions.js';

/** Keys fall into this many partitions; a partition whose summary differs is read row by row. */
const PARTITIONS = 1024;

/** A database compared: its session can sum up and digest its rows. */
export type Reader = { readonly db: string; readonly session: Required<Pick<TargetSession, 'summarizeRows' | 'rowDigests'>> };

/** Where the first source's side of a compare is read: its own session for the first side used, spare ones for the others. */
export type SideSession = (nth: number) => Promise<Reader['session']>;

/**
 * One table, every receiver set against its side of the first source (its own columns, or read through
 * the receiver's customcols list): the partitions' sums, then the rows of the partitions whose sums differ,
 * every side and receiver walked in step, so that a key is one difference whichever databases it differs
 * on. A list that fails on the first source's rows (`v::int` meeting 'abc') leaves its receivers out,
 * each with the error naming the clause; a failure anywhere else fails the compare.
 */
export async function compareTable(
  ctx: BucardoContext, sync: string, reference: string, sides: readonly ReferenceSide[], sideSession: SideSession, receivers: readonly Receiver[], keep: number, stop: AbortController,
  onProgress: (progress: CompareProgress) => void = () => undefined,
): Promise<{ compared: Omit<TableComparison, 'notCompared' | 'excluded'>; excluded: Map<string, BucardoError> }> {
  const shape = sides[0]!.shape;
  const table = formatTable(shape.table);
  const failed = (db: string) => (error: unknown): never => {
    throw databaseError(error, 'FETCH_FAILED', { db, table, sync });
  };
  const used = sides.map((side, index) => ({ side, index })).filter(({ index }) => receivers.some((receiver) => receiver.side === index));
  const sessions = await Promise.all(used.map((_, nth) => sideSession(nth)));
  onProgress({ table, phase: 'summing', databases: receivers.length + 1 });
  const request = (side: ReferenceSide) => ({ shape: side.shape, partitions: PARTITIONS, signal: stop.signal, ...(side.select ? { selectList: side.select.selectList } : {}) });
  const [sideSums, sums] = await Promise.all([
    Promise.all(used.map(({ side }, nth) => sessions[nth]!.summarizeRows(request(side)).catch((error: unknown) => {
      if (!side.select) return failed(reference)(error);
      return customColsReadFailed(error, side.select, reference, receivers.filter((receiver) => sides[receiver.side] === side).map((receiver) => receiver.db), sync);
    }))),
    Promise.all(receivers.map(({ db, session, shape: local }) => session.summarizeRows({ shape: local, partitions: PARTITIONS, signal: stop.signal }).catch(failed(db)))),
  ]);
  const excluded = new Map<string, BucardoError>();
  const summaryOf = new Map<number, RowSummary>();
  used.forEach(({ index }, nth) => {
    const sum = sideSums[nth]!;
    if (!(sum instanceof BucardoError)) summaryOf.set(index, sum);
    else for (const receiver of receivers.filter((candidate) => candidate.side === index)) excluded.set(receiver.db, sum);
  });
  const live = receivers.map((receiver, index) => ({ receiver, summary: sums[index]! })).filter(({ receiver }) => summaryOf.has(receiver.side));
  const [anySide] = summaryOf.values();
  if (!anySide) return { compared: { table, rows: new Map(), unkeyed: new Map(), differing: 0, counts: new Map(), columnCounts: new Map(), differences: [], problem: [...excluded.values()][0]! }, excluded };
  checkFormats(sync, table, reference, anySide, live.map(({ receiver, summary }) => ({ db: receiver.db, summary })));
  const rows = new Map([[reference, totalRows(anySide)], ...live.map(({ receiver, summary }) => [receiver.db, totalRows(summary)] as const)]);
  const pairs = live.map(({ receiver, summary }) => ({ receiver, differing: differingPartitions([summaryOf.get(receiver.side)!, summary]) }));
  if (shape.key.length === 0) {
    // every row in partition 0: the table as a whole, the same or not, per database
    const differ = pairs.filter((pair) => pair.differing.length > 0).map((pair) => pair.receiver.db);
    return { compared: { table, rows, unkeyed: new Map(), differing: 0, counts: new Map(), columnCounts: new Map(), differences: [], keyless: { differ } }, excluded };
  }
  const unkeyed = new Map([[reference, anySide.unkeyed ?? 0] as const, ...live.map(({ receiver, summary }) => [receiver.db, summary.unkeyed ?? 0] as const)].filter(([, count]) => count > 0));
  const only = [...new Set(pairs.flatMap((pair) => pair.differing))].sort((a, b) => a - b);
  const found = new Differences(keep);
  if (only.length > 0) {
    ctx.engine.log.log('normal', `Comparing ${table}: ${only.length} of ${PARTITIONS} key partitions differ, reading their rows`, { table, sync });
    const walked = used.filter(({ index }) => summaryOf.has(index));
    const streams = [
      ...walked.map(({ side, index }) => failing(sessions[used.findIndex((entry) => entry.index === index)]!.rowDigests({ ...request(side), only }), (error) => {
        throw side.select ? customColsReadFailed(error, side.select, reference, live.filter(({ receiver }) => receiver.side === index).map(({ receiver }) => receiver.db), sync) : failed(reference)(error);
      })),
      ...live.map(({ receiver }) => failing(receiver.session.rowDigests({ shape: receiver.shape, partitions: PARTITIONS, only, signal: stop.signal }), failed(receiver.db))),
    ];
    let done = 0;
    onProgress({ table, phase: 'reading', done, of: only.length });
    for await (const step of inStep(streams, () => stop.abort())) {
      const sideRows = step.rows.slice(0, walked.length);
      const receiverRows = step.rows.slice(walked.length);
      const perSide = walked.map(({ side, index }, nth) => {
        const mine = live.map((entry, position) => ({ ...entry, position })).filter(({ receiver }) => receiver.side === index);
        return partitionDifferences([reference, ...mine.map(({ receiver }) => receiver.db)], side.shape.columns.map((column) => column.name), [sideRows[nth], ...mine.map(({ position }) => receiverRows[position])]);
      });
      for (const difference of mergeByKey(perSide)) found.add(difference);
      onProgress({ table, phase: 'reading', done: ++done, of: only.length });
    }
  }
  return { compared: { table, rows, unkeyed, differing: found.total, counts: found.counts, columnCounts: found.columnCounts, differences: found.first }, excluded };
}

/** One partition's differences against each side, a key differing on databases of several sides made one. */
function mergeByKey(perSide: ReadonlyArray<readonly KeyDifference[]>): KeyDifference[] {
  if (perSide.length === 1) return [...perSide[0]!];
  const byKey = new Map<KeyText, { on: Map<string, KeyStanding>; columns: Map<string, readonly string[]> }>();
  for (const difference of perSide.flat()) {
    const merged = byKey.get(difference.key) ?? { on: new Map(), columns: new Map() };
    for (const [db, standing] of difference.on) merged.on.set(db, standing);
    for (const [db, columns] of difference.columns ?? []) merged.columns.set(db, columns);
    byKey.set(difference.key, merged);
  }
  return [...byKey].map(([key, { on, columns }]) => ({ key, on, ...(columns.size > 0 ? { columns } : {}) }));
}

function checkFormats(sync: string, table: string, reference: string, mine: RowSummary, theirs: ReadonlyArray<{ db: string; summary: RowSummary }>): void {
  for (const { db, summary } of theirs) {
    if (summary.format === mine.format) continue;
    throw new BucardoError('SYNC_INVALID', `Cannot compare table "${table}" on database "${db}" with "${reference}": their writers digest rows differently (${summary.format}, ${mine.format})`, { sync, table, db });
  }
}

function totalRows(summary: RowSummary): number {
  let rows = summary.unkeyed ?? 0;
  for (const partition of summary.partitions.values()) rows += partition.rows;
  return rows;
}

/** The stream, with a failure of its own turned into the error that names its database. */
async function* failing<T>(stream: AsyncIterable<T>, failed: (error: unknown) => never): AsyncGenerator<T> {
  try {
    yield* stream;
  } catch (error) {
    failed(error);
  }
}
