import { BucardoError, displayKey, formatTable, parseTableName, type KeyText, type RowSummary, type TableRef, type TableShape, type TargetSession } from '@bucardo/plugin-sdk';
import { databaseError } from '../run/database-error.js';
import { RunSessions } from '../run/sessions.js';
import { sourcesOf, type SyncPlan } from '../run/sync-plan.js';
import { describeAll, inspectTableShapes } from '../run/table-shapes.js';
import type { BucardoContext } from './context.js';
import { loadSyncPlan } from './sync-plan-loader.js';

/** How a key stands on one database against the reference. */
export type KeyStanding = 'missing' | 'extra' | 'different';

/** A key that is not the same everywhere: per database that differs from the reference, how. */
export interface KeyDifference {
  readonly key: KeyText;
  readonly on: ReadonlyMap<string, KeyStanding>;
}

/** How many keys stand each way on one database. */
export type StandingCounts = Readonly<Record<KeyStanding, number>>;

/** One table compared on every database of the sync that can read its rows back. */
export interface TableComparison {
  readonly table: string;
  /** Rows on each compared database, in the sync's order. */
  readonly rows: ReadonlyMap<string, number>;
  /** How many keys differ in all. */
  readonly differing: number;
  /** Per database that differs from the reference, how many keys stand each way. */
  readonly counts: ReadonlyMap<string, StandingCounts>;
  /** The first `keys` differing keys in key order for people (numbers in numeric order). */
  readonly differences: readonly KeyDifference[];
}

/** What `compare` is asked for. */
export interface CompareOptions {
  /** Compare only these tables (`t` or `public.t`); all of the sync's when empty or absent. */
  readonly tables?: readonly string[];
  /** How many differing keys to return per table, the first in key order (default 20). */
  readonly keys?: number;
}

export interface SyncComparison {
  readonly sync: string;
  /** The first source: every other database is compared with it. */
  readonly reference: string;
  /** The databases compared, in the sync's order (the reference among them). */
  readonly databases: readonly string[];
  /** Databases left out, and why (a writer that cannot read rows back). */
  readonly leftOut: ReadonlyArray<{ readonly db: string; readonly reason: string }>;
  readonly tables: readonly TableComparison[];
}

/** Keys fall into this many partitions; a partition whose summary differs is read row by row. */
const PARTITIONS = 1024;
/** At most this many rows per database are read row by row at once: what bounds the memory of a compare. */
const ROWS_PER_READ = 100_000;
const INTEGER = /^-?\d+$/;

/**
 * `bucardo compare SYNC [TABLE…]`: the rows of the sync's tables on every database, against its first
 * source. Each server sums up its rows per key partition; only partitions whose sums differ are read row by
 * row, so databases that agree cost one scan each and no rows over the network. Reads only.
 */
export async function compareSync(ctx: BucardoContext, name: string, options: CompareOptions = {}): Promise<SyncComparison> {
  const plan = await loadSyncPlan(ctx.control.catalog, name);
  const wanted = chosenTables(plan, options.tables ?? []);
  const reference = sourcesOf(plan)[0];
  if (!reference) throw new BucardoError('SYNC_INVALID', `Sync "${name}" has no source database`, { sync: name });
  const scoped: SyncPlan = { ...plan, tables: wanted };
  const signal = new AbortController().signal;
  const sessions = await RunSessions.open(scoped, ctx.engine.registry, ctx.engine.log, 'bucardo compare', signal);
  try {
    const { shapes, problems } = await inspectTableShapes(scoped, sessions);
    if (problems.length > 0) {
      const [first] = problems;
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more: bucardo validate ${name} lists them all)` : '';
      throw new BucardoError(first!.code, `Cannot compare sync "${name}": ${first!.message}${more}`, { ...first!.subject, sync: name, cause: first });
    }
    await checkKeysElsewhere(scoped, sessions, shapes, reference.name);
    const leftOut: Array<{ db: string; reason: string }> = [];
    const compared: Array<{ db: string; session: Required<Pick<TargetSession, 'summarizeRows' | 'rowDigests'>> }> = [];
    for (const db of plan.databases) {
      const session = sessions.target(db.name);
      if (session.summarizeRows && session.rowDigests) compared.push({ db: db.name, session: session as Required<Pick<TargetSession, 'summarizeRows' | 'rowDigests'>> });
      else leftOut.push({ db: db.name, reason: `its writer (type ${db.type}) cannot read rows back` });
    }
    if (compared.length < 2 || !compared.some((entry) => entry.db === reference.name)) {
      throw new BucardoError('SYNC_INVALID', `Cannot compare sync "${name}": fewer than two of its databases can read rows back`, { sync: name });
    }
    // the reference first: every other database is set against it
    compared.sort((a, b) => (a.db === reference.name ? -1 : b.db === reference.name ? 1 : 0));
    const tables: TableComparison[] = [];
    for (const shape of shapes) {
      if (shape.key.length === 0) throw new BucardoError('TABLE_NO_KEY', `Cannot compare table "${formatTable(shape.table)}": it has no primary key or unique index on database "${reference.name}"`, { sync: name, table: formatTable(shape.table), db: reference.name });
      tables.push(await compareTable(ctx, shape, compared, options.keys ?? 20, signal));
    }
    const order = plan.databases.map((db) => db.name);
    return { sync: name, reference: reference.name, databases: order.filter((db) => compared.some((entry) => entry.db === db)), leftOut, tables };
  } finally {
    await sessions.close();
  }
}

/**
 * Rows are set against each other by the first source's key: a database whose table is not unique on
 * (some of) those columns may hold two rows of one key, which a digest per key would fold into one.
 * Runs do not need it (`validate` does not ask for it), a compare does.
 */
async function checkKeysElsewhere(plan: SyncPlan, sessions: RunSessions, shapes: readonly TableShape[], reference: string): Promise<void> {
  for (const db of plan.databases) {
    if (db.name === reference) continue;
    const session = sessions.target(db.name);
    if (!session.describeTable && !session.describeTables) continue;
    const found = await describeAll(session, shapes.map((shape) => shape.table), db.name);
    shapes.forEach((shape, index) => {
      const wanted = new Set(shape.key.map((column) => column.name));
      const key = found[index]?.key ?? [];
      if (key.length > 0 && key.every((column) => wanted.has(column.name))) return;
      const table = formatTable(shape.table);
      const columns = shape.key.map((column) => column.name).join(', ');
      throw new BucardoError('TABLE_NO_KEY', `Cannot compare table "${table}" on database "${db.name}": it has no primary key or unique index on (${columns}), the first source's key, so it may hold several rows of one key`, { sync: plan.name, db: db.name, table });
    });
  }
}

/** The herd's tables the user named (all when none), in herd order; a name the herd lacks is an error. */
function chosenTables(plan: SyncPlan, names: readonly string[]): TableRef[] {
  if (names.length === 0) return [...plan.tables];
  const chosen = new Set<TableRef>();
  for (const text of names) {
    const { schema, name } = parseTableName(text);
    const matches = plan.tables.filter((table) => table.name === name && (schema === undefined || table.schema === schema));
    if (matches.length === 0) throw new BucardoError('TABLE_NOT_FOUND', `Table "${text}" is not in sync "${plan.name}"`, { sync: plan.name, table: text });
    for (const table of matches) chosen.add(table);
  }
  return plan.tables.filter((table) => chosen.has(table));
}

type Reader = { db: string; session: Required<Pick<TargetSession, 'summarizeRows' | 'rowDigests'>> };

async function compareTable(ctx: BucardoContext, shape: TableShape, readers: readonly Reader[], keep: number, signal: AbortSignal): Promise<TableComparison> {
  const table = formatTable(shape.table);
  const request = { shape, partitions: PARTITIONS, signal };
  const summaries = await Promise.all(readers.map(({ db, session }) => session.summarizeRows(request).catch((error: unknown) => {
    throw databaseError(error, 'FETCH_FAILED', { db, table });
  })));
  const [mine] = summaries;
  summaries.forEach((summary, index) => {
    if (summary.format !== mine!.format) {
      throw new BucardoError('SYNC_INVALID', `Cannot compare table "${table}" on database "${readers[index]!.db}" with "${readers[0]!.db}": their writers digest rows differently (${summary.format}, ${mine!.format})`, { table, db: readers[index]!.db });
    }
  });
  const rows = new Map(readers.map(({ db }, index) => [db, totalRows(summaries[index]!)]));
  const differing = differingPartitions(summaries);
  if (differing.length > 0) ctx.engine.log.log('normal', `Comparing ${table}: ${differing.length} of ${PARTITIONS} key partitions differ, reading their rows`, { table });
  const found = new Differences(keep);
  for (const chunk of chunks(differing, summaries)) {
    const digests = await Promise.all(readers.map(({ db, session }) => session.rowDigests({ ...request, only: chunk }).catch((error: unknown) => {
      throw databaseError(error, 'FETCH_FAILED', { db, table });
    })));
    for (const difference of differingKeys(readers, digests)) found.add(difference);
  }
  return { table, rows, differing: found.total, counts: found.counts, differences: found.first };
}

/**
 * The differences of one table: counted in full, but only the first `keep` keys (in key order) held, so
 * that a table that differs everywhere costs the memory of its counts, not of its keys.
 */
class Differences {
  readonly counts = new Map<string, Record<KeyStanding, number>>();
  readonly first: KeyDifference[] = [];
  total = 0;
  readonly #keep: number;
  readonly #collator = new Intl.Collator('en', { numeric: true });

  constructor(keep: number) {
    this.#keep = keep;
  }

  /** Integer keys by value (the collator's numeric order ignores a minus sign), others as people sort text. */
  #order(a: KeyText, b: KeyText): number {
    if (INTEGER.test(a) && INTEGER.test(b)) {
      const difference = BigInt(a) - BigInt(b);
      return difference < 0n ? -1 : difference > 0n ? 1 : 0;
    }
    return this.#collator.compare(displayKey(a), displayKey(b));
  }

  add(difference: KeyDifference): void {
    this.total++;
    for (const [db, standing] of difference.on) {
      let counts = this.counts.get(db);
      if (!counts) this.counts.set(db, (counts = { missing: 0, extra: 0, different: 0 }));
      counts[standing]++;
    }
    const order = (a: KeyDifference, b: KeyDifference) => this.#order(a.key, b.key);
    if (this.first.length === this.#keep && (this.#keep === 0 || order(difference, this.first.at(-1)!) >= 0)) return;
    let low = 0;
    let high = this.first.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (order(difference, this.first[middle]!) < 0) high = middle;
      else low = middle + 1;
    }
    this.first.splice(low, 0, difference);
    if (this.first.length > this.#keep) this.first.pop();
  }
}

function totalRows(summary: RowSummary): number {
  let rows = 0;
  for (const partition of summary.partitions.values()) rows += partition.rows;
  return rows;
}

/** Partitions whose rows or digest differ between the reference (first) and any other database. */
function differingPartitions(summaries: readonly RowSummary[]): number[] {
  const differing = new Set<number>();
  const [reference, ...others] = summaries;
  for (const other of others) {
    for (const [partition, mine] of reference!.partitions) {
      const theirs = other.partitions.get(partition);
      if (!theirs || theirs.rows !== mine.rows || theirs.digest !== mine.digest) differing.add(partition);
    }
    for (const partition of other.partitions.keys()) if (!reference!.partitions.has(partition)) differing.add(partition);
  }
  return [...differing].sort((a, b) => a - b);
}

/** Groups partitions so that no database holds more than ROWS_PER_READ rows of one group (one partition may). */
function* chunks(partitions: readonly number[], summaries: readonly RowSummary[]): Generator<number[]> {
  let chunk: number[] = [];
  let most = 0;
  for (const partition of partitions) {
    const rows = Math.max(...summaries.map((summary) => summary.partitions.get(partition)?.rows ?? 0));
    if (chunk.length > 0 && most + rows > ROWS_PER_READ) {
      yield chunk;
      chunk = [];
      most = 0;
    }
    chunk.push(partition);
    most += rows;
  }
  if (chunk.length > 0) yield chunk;
}

function differingKeys(readers: readonly Reader[], digests: ReadonlyArray<ReadonlyMap<KeyText, string>>): KeyDifference[] {
  const [reference, ...others] = digests;
  const keys = new Set<KeyText>(reference!.keys());
  for (const other of others) for (const key of other.keys()) keys.add(key);
  const differences: KeyDifference[] = [];
  for (const key of keys) {
    const mine = reference!.get(key);
    const on = new Map<string, KeyStanding>();
    others.forEach((other, index) => {
      const theirs = other.get(key);
      const standing: KeyStanding | undefined = mine === undefined ? (theirs === undefined ? undefined : 'extra')
        : theirs === undefined ? 'missing' : theirs === mine ? undefined : 'different';
      if (standing) on.set(readers[index + 1]!.db, standing);
    });
    if (on.size > 0) differences.push({ key, on });
  }
  return differences;
}
