import { BucardoError, formatTable, type TableRef, type TableShape } from '@bucardo/plugin-sdk';
import { comparedSides } from '../compare/compared-sides.js';
import type { ComparedDatabases, ComparisonStart, CompareOptions, SyncComparison, TableComparison } from '../compare/comparison.js';
import { valuesOfDifferences } from '../compare/row-values.js';
import { compareSequence, type SequenceComparison } from '../compare/sequence-compare.js';
import { compareTable, type Reader } from '../compare/table-compare.js';
import { RunSessions } from '../run/sessions.js';
import { isPureFullcopy, sourcesOf, type SyncPlan } from '../run/sync-plan.js';
import { nameOn } from '../run/table-renames.js';
import { inspectTableShapes } from '../run/table-shapes.js';
import type { BucardoContext } from './context.js';
import { syncBacklog } from './sync-backlog.js';
import { loadSyncPlan } from './sync-plan-loader.js';
import { pickTable } from './table-names.js';

export type { KeyDifference, KeyStanding, StandingCounts } from '../compare/differences.js';
export type { ComparedDatabases, ComparisonStart, CompareOptions, CompareProgress, SyncComparison, TableComparison } from '../compare/comparison.js';
export type { SequenceComparison, SequenceField } from '../compare/sequence-compare.js';

/**
 * `bucardo compare SYNC [TABLE…]`: the rows of the sync's tables on every database, against its first
 * source. Each server sums up its rows per key partition; only partitions whose sums differ are read row by
 * row, in one pass, so databases that agree cost one scan each and send no rows. Reads only.
 */
export async function compareSync(ctx: BucardoContext, name: string, options: CompareOptions = {}): Promise<SyncComparison> {
  const plan = await loadSyncPlan(ctx.control.catalog, name);
  const scoped: SyncPlan = { ...plan, ...chosenRelations(plan, options.tables ?? []) };
  const reference = sourcesOf(plan)[0];
  if (!reference) throw new BucardoError('SYNC_INVALID', `Sync "${name}" has no source database`, { sync: name });
  // stopped on the first failure, so that the other servers' reads end with it
  const stop = new AbortController();
  // a database that cannot be reached is left out, said, and makes the compare an error; the others are compared
  const { sessions, plan: reached, unreachable } = await RunSessions.openReachable(scoped, ctx.engine.registry, ctx.engine.log, 'bucardo compare', stop.signal);
  try {
    const referenceDown = unreachable.get(reference.name);
    // the sync is named: `compare all` goes on to the next one, and its error line must say which failed
    if (referenceDown) throw new BucardoError(referenceDown.code, `Cannot compare sync "${name}" without its first source: ${referenceDown.message}`, { ...referenceDown.subject, sync: name, cause: referenceDown });
    const { shapes: described, problems, found } = await inspectTableShapes(reached, sessions);
    const general = problems.filter((problem) => problem.table === undefined);
    if (general.length > 0) {
      const [first] = general;
      const more = general.length > 1 ? ` (and ${general.length - 1} more: bucardo validate ${name} lists them all)` : '';
      throw new BucardoError(first!.code, `Cannot compare sync "${name}": ${first!.message}${more}`, { ...first!.subject, sync: name, cause: first });
    }
    const { problemOf, excludedOf } = tableProblems(name, reference.name, problems, described, isPureFullcopy(plan));
    const shapes = described.filter((shape) => !problemOf.has(formatTable(shape.table)));
    const leftOut: Array<{ db: string; reason: string }> = [];
    const readers: Reader[] = [];
    for (const db of reached.databases) {
      const session = sessions.target(db.name);
      if (session.summarizeRows && session.rowDigests) readers.push({ db: db.name, session: session as Reader['session'] });
      else leftOut.push({ db: db.name, reason: `its writer (type ${db.type}) cannot read rows back` });
    }
    if (!readers.some((reader) => reader.db === reference.name)) {
      throw new BucardoError('SYNC_INVALID', `Cannot compare sync "${name}": the writer of its first source "${reference.name}" (type ${reference.type}) cannot read rows back`, { sync: name, db: reference.name });
    }
    if (readers.length < 2 && unreachable.size > 0) {
      const [first] = unreachable.values();
      const all = [...unreachable].map(([db, error]) => `"${db}" (${error.message})`).join('; ');
      throw new BucardoError(first!.code, `Cannot compare sync "${name}": no database but its first source could be reached: ${all}`, { ...first!.subject, sync: name, cause: first });
    }
    if (readers.length < 2) throw new BucardoError('SYNC_INVALID', `Cannot compare sync "${name}": no database but its first source can read rows back`, { sync: name });
    // the reference first: every other database is set against it
    readers.sort((a, b) => (a.db === reference.name ? -1 : b.db === reference.name ? 1 : 0));
    const databases = plan.databases.map((db) => db.name).filter((db) => readers.some((reader) => reader.db === db));
    const sequenceList = scoped.sequences ?? [];
    const scope: ComparedDatabases = { sync: name, reference: reference.name, databases, leftOut, unreachable };
    options.onStart?.({ ...scope, tableCount: scoped.tables.length, sequenceCount: sequenceList.length, pending: await pendingOf(ctx, reached, sessions) });
    const tables: TableComparison[] = [];
    for (const ref of scoped.tables) {
      const problem = problemOf.get(formatTable(ref));
      const index = shapes.findIndex((shape) => shape.table === ref || formatTable(shape.table) === formatTable(ref));
      const excluded = excludedOf.get(formatTable(ref)) ?? new Map<string, BucardoError>();
      // the databases this table is compared on: all but those with a problem of their own with it
      const here = readers.filter((reader) => !excluded.has(reader.db));
      let table: TableComparison;
      if (problem || index < 0 || here.length < 2) {
        const why = problem ?? [...excluded.values()][0];
        table = { ...nothingCompared(formatTable(ref)), ...(why ? { problem: why } : {}) };
      } else {
        const at = described.indexOf(shapes[index]!);
        const { sides, receivers, excluded: unselected } = await comparedSides({
          sync: name, sessions, shape: shapes[index]!, readers: here,
          planned: (db) => reached.databases.find((candidate) => candidate.name === db), found: (db) => found.get(db)?.[at],
        });
        const sideSession = (nth: number) => (nth === 0 ? Promise.resolve(here[0]!.session) : sessions.spareTarget(reference.name, nth) as Promise<Reader['session']>);
        const { compared, excluded: failed } = receivers.length === 0
          ? { compared: { ...nothingCompared(formatTable(ref)), problem: [...unselected.values()][0]! }, excluded: new Map<string, BucardoError>() }
          : await compareTable(ctx, name, reference.name, sides, sideSession, receivers, options.keys ?? 20, stop, options.onProgress);
        // in the sync's order, whichever check left them out
        const left = new Map([...excluded, ...unselected, ...failed].sort(([a], [b]) => databases.indexOf(a) - databases.indexOf(b)));
        const kept = receivers.filter((receiver) => !failed.has(receiver.db));
        const differences = await valuesOfDifferences(sessions, reference.name, sides, kept, compared.differences, stop.signal);
        const notCompared = new Map(kept.filter((receiver) => receiver.extra.length > 0).map((receiver) => [receiver.db, receiver.extra] as const));
        // where the first source was read through a receiver's customcols list: what it was set against there
        const selectedOn = new Map(kept.flatMap((receiver) => {
          const select = sides[receiver.side]!.select;
          return select ? [[receiver.db, { id: select.id, selectList: select.selectList }] as const] : [];
        }));
        table = { ...compared, differences, notCompared, excluded: compared.problem ? new Map() : left, ...(selectedOn.size > 0 ? { selectedOn } : {}) };
      }
      // what the user looks for on those databases: the name the table has there
      const namedOn = new Map(reached.databases.map((db) => [db.name, nameOn(db, ref)] as const).filter(([, there]) => there !== ref).map(([db, there]) => [db, formatTable(there)] as const));
      if (namedOn.size > 0) table = { ...table, namedOn };
      tables.push(table);
      options.onTable?.(table);
    }
    const sequences: SequenceComparison[] = [];
    for (const sequence of sequenceList) {
      const compared = await compareSequence(name, sequence, readers.map(({ db }) => ({ db, session: sessions.target(db) })));
      sequences.push(compared);
      options.onSequence?.(compared);
    }
    return { ...scope, tables, sequences };
  } catch (error) {
    stop.abort();
    throw error;
  } finally {
    await sessions.close();
  }
}

/** What the sync had not delivered when the compare began, per source (a source it could not count is left out). */
async function pendingOf(ctx: BucardoContext, plan: SyncPlan, sessions: RunSessions): Promise<ComparisonStart['pending']> {
  const backlog = await syncBacklog(ctx, plan, sessions.sources);
  return backlog.flatMap((source) => {
    if (!source.counted) return [];
    const tables = source.tables.filter((table) => table.records > 0).map((table) => ({ table: formatTable(table.table), records: table.records }));
    const records = tables.reduce((sum, table) => sum + table.records, 0);
    return records > 0 ? [{ db: source.db, records, tables }] : [];
  });
}

/**
 * The problems `validate` would report, by table: one on the first source (missing there, no key) keeps
 * the table out of the compare (`problemOf`); one on another database (the table or a column missing
 * there) keeps only that database out of that table's compare (`excludedOf`). The other tables, and the
 * other databases, are still compared.
 */
function tableProblems(sync: string, reference: string, problems: readonly BucardoError[], shapes: readonly TableShape[], keylessAllowed: boolean): { problemOf: Map<string, BucardoError>; excludedOf: Map<string, Map<string, BucardoError>> } {
  const problemOf = new Map<string, BucardoError>();
  const excludedOf = new Map<string, Map<string, BucardoError>>();
  for (const problem of problems) {
    if (problem.table === undefined) continue;
    if (problem.db === undefined || problem.db === reference) {
      if (!problemOf.has(problem.table)) problemOf.set(problem.table, problem);
      continue;
    }
    const excluded = excludedOf.get(problem.table) ?? new Map<string, BucardoError>();
    if (!excluded.has(problem.db)) excluded.set(problem.db, problem);
    excludedOf.set(problem.table, excluded);
  }
  for (const shape of shapes) {
    const table = formatTable(shape.table);
    // a fullcopy sync's table may have no key: it is compared as a whole
    if (shape.key.length > 0 || problemOf.has(table) || keylessAllowed) continue;
    problemOf.set(table, new BucardoError('TABLE_NO_KEY', `Table "${table}" has no primary key or unique index over NOT NULL columns on database "${reference}", the first source: its rows cannot be matched by key`, { sync, table, db: reference }));
  }
  return { problemOf, excludedOf };
}

function nothingCompared(table: string): TableComparison {
  return { table, rows: new Map(), unkeyed: new Map(), differing: 0, counts: new Map(), columnCounts: new Map(), differences: [], notCompared: new Map(), excluded: new Map() };
}

/** The herd's tables and sequences the user named (all when none), in herd order; a name the herd lacks, or that fits two, is an error. */
function chosenRelations(plan: SyncPlan, names: readonly string[]): { tables: TableRef[]; sequences: TableRef[] } {
  const sequences = plan.sequences ?? [];
  if (names.length === 0) return { tables: [...plan.tables], sequences: [...sequences] };
  const chosen = new Set<TableRef>();
  for (const text of names) {
    const relation = pickTable(text, [...plan.tables, ...sequences], (ref) => ref);
    if (!relation) throw new BucardoError('TABLE_NOT_FOUND', `Table "${text}" is not in sync "${plan.name}"`, { sync: plan.name, table: text });
    chosen.add(relation);
  }
  return { tables: plan.tables.filter((table) => chosen.has(table)), sequences: sequences.filter((sequence) => chosen.has(sequence)) };
}
