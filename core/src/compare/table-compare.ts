import { BucardoError, formatTable, type RowSummary, type TableShape, type TargetSession } from '@bucardo/plugin-sdk';
import type { BucardoContext } from '../api/context.js';
import { databaseError } from '../run/database-error.js';
import type { CompareProgress, TableComparison } from './comparison.js';
import { Differences, partitionDifferences } from './differences.js';
import { differingPartitions, inStep } from './partitions.js';

/** Keys fall into this many partitions; a partition whose summary differs is read row by row. */
const PARTITIONS = 1024;

/** A database compared: its session can sum up and digest its rows. */
export type Reader = { readonly db: string; readonly session: Required<Pick<TargetSession, 'summarizeRows' | 'rowDigests'>> };

/**
 * One table on every reader (the reference first), each with the table's shape in its own types: the
 * partitions' sums, then the rows of the partitions whose sums differ, walked in step.
 */
export async function compareTable(
  ctx: BucardoContext, sync: string, shape: TableShape, readers: readonly Reader[], local: readonly TableShape[], keep: number, stop: AbortController,
  onProgress: (progress: CompareProgress) => void = () => undefined,
): Promise<Omit<TableComparison, 'notCompared' | 'excluded'>> {
  const table = formatTable(shape.table);
  onProgress({ table, phase: 'summing', databases: readers.length });
  const failed = (db: string) => (error: unknown) => {
    throw databaseError(error, 'FETCH_FAILED', { db, table, sync });
  };
  const summaries = await Promise.all(readers.map(({ db, session }, index) => session.summarizeRows({ shape: local[index]!, partitions: PARTITIONS, signal: stop.signal }).catch(failed(db))));
  checkFormats(sync, table, readers, summaries);
  const rows = new Map(readers.map(({ db }, index) => [db, totalRows(summaries[index]!)]));
  if (shape.key.length === 0) {
    // every row in partition 0: the table as a whole, the same or not, per database
    const differ = readers.slice(1).filter((_, index) => differingPartitions([summaries[0]!, summaries[index + 1]!]).length > 0).map((reader) => reader.db);
    return { table, rows, unkeyed: new Map(), differing: 0, counts: new Map(), columnCounts: new Map(), differences: [], keyless: { differ } };
  }
  const unkeyed = new Map(readers.map(({ db }, index) => [db, summaries[index]!.unkeyed ?? 0] as const).filter(([, count]) => count > 0));
  const only = differingPartitions(summaries);
  const found = new Differences(keep);
  if (only.length > 0) {
    ctx.engine.log.log('normal', `Comparing ${table}: ${only.length} of ${PARTITIONS} key partitions differ, reading their rows`, { table, sync });
    const streams = readers.map(({ db, session }, index) => failing(session.rowDigests({ shape: local[index]!, partitions: PARTITIONS, only, signal: stop.signal }), failed(db)));
    const dbs = readers.map((reader) => reader.db);
    const columns = shape.columns.map((column) => column.name);
    let done = 0;
    onProgress({ table, phase: 'reading', done, of: only.length });
    for await (const step of inStep(streams, () => stop.abort())) {
      for (const difference of partitionDifferences(dbs, columns, step.rows)) found.add(difference);
      onProgress({ table, phase: 'reading', done: ++done, of: only.length });
    }
  }
  return { table, rows, unkeyed, differing: found.total, counts: found.counts, columnCounts: found.columnCounts, differences: found.first };
}

function checkFormats(sync: string, table: string, readers: readonly Reader[], summaries: readonly RowSummary[]): void {
  const [mine] = summaries;
  summaries.forEach((summary, index) => {
    if (summary.format === mine!.format) return;
    const db = readers[index]!.db;
    throw new BucardoError('SYNC_INVALID', `Cannot compare table "${table}" on database "${db}" with "${readers[0]!.db}": their writers digest rows differently (${summary.format}, ${mine!.format})`, { sync, table, db });
  });
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
