import { BucardoError, formatTable, isBucardoError, parseTableName, type SourceSession, type TableRef, type TableShape } from '@bucardo/plugin-sdk';
import type { DatabaseRow, RelationRow } from '../control/catalog-rows.js';
import type { BucardoContext } from './context.js';
import { specOf } from './databases.js';
import { checkName } from './names.js';
import { refreshCapture } from './capture-refresh.js';
import { checkAdditiveColumns } from '../run/table-shapes.js';
import { isPureFullcopy } from '../run/sync-plan.js';
import { readSyncPlan } from './sync-plan-loader.js';
import { pickTable } from './table-names.js';
import { tableMakeDelta } from './makedelta.js';

export interface AddTablesOptions {
  /** Put the tables in this herd (relgroup), created when missing. */
  readonly herd?: string;
  /** Look the tables up on this database only (default: every source-capable database, by name). */
  readonly db?: string;
  /** Columns merged additively on conflict (base + every source's new - old), e.g. `['abalance']`. */
  readonly additive?: readonly string[];
  /** Accept tables without a key: they can only be in syncs whose receivers are all `fullcopy`. */
  readonly keyless?: boolean;
  /** makedelta of the tables, as given (`on`, `off`, database names comma-separated; empty: each database's own). */
  readonly makedelta?: string;
}

export interface AddTablesResult {
  readonly added: readonly { table: TableRef; db: string; shape: TableShape }[];
  readonly alreadyAdded: readonly TableRef[];
  /** `syncs`: the syncs over the herd, which now replicate the tables `added` to it (capture installed). */
  readonly herd?: { readonly name: string; readonly created: boolean; readonly added: readonly TableRef[]; readonly syncs: readonly string[] };
}

/**
 * `bucardo add table NAME… [herd=H] [db=D]`: finds each table on a database, reads its key (primary key,
 * else the smallest non-partial unique index), and records it. Every table is checked before anything is
 * stored, so a missing table or a table without a key changes nothing. Tables put into a herd that syncs
 * already use are checked on every database of those syncs and captured, as by `update sync S add table`;
 * a problem on any of them changes nothing.
 */
export async function addTables(ctx: BucardoContext, names: readonly string[], options: AddTablesOptions = {}): Promise<AddTablesResult> {
  if (names.length === 0) throw new BucardoError('INVALID_ARGUMENT', 'Name at least one table to add');
  if (options.herd !== undefined) checkName('herd', options.herd);
  const requested = names.map((text) => {
    try {
      return { text, ...parseTableName(text) };
    } catch (error) {
      throw new BucardoError('INVALID_ARGUMENT', `Invalid table name ${text}: ${(error as Error).message}`, { table: text });
    }
  });
  const databases = await candidateDatabases(ctx, options.db);
  return recordTables(ctx, await findTables(ctx, requested, databases, options.keyless === true), options);
}

/**
 * Records tables found and described on their databases (`addTables`, and `add all tables`, which has
 * described them already), with every check `addTables` makes once it has them.
 */
export async function recordTables(ctx: BucardoContext, found: ReadonlyArray<{ db: string; shape: TableShape }>, options: AddTablesOptions = {}): Promise<AddTablesResult> {
  for (const { shape, db } of found) checkAdditiveColumns(shape, options.additive ?? [], db);
  const makedelta = options.makedelta === undefined ? undefined : await tableMakeDelta(ctx, options.makedelta);
  const known = await ctx.control.catalog.relations();
  const herdUsers = options.herd === undefined ? [] : (await ctx.control.catalog.herds(options.herd))[0]?.syncs ?? [];
  if (options.herd !== undefined) {
    await refuseKeylessInTrackedSyncs(ctx, options.herd, herdUsers, found.filter((entry) => entry.shape.key.length === 0).map((entry) => entry.shape.table));
  }
  const result = await ctx.control.transaction(async () => {
    const fresh = found.filter((entry) => !known.some((row) => sameTable(row.table, entry.shape.table)));
    const { ids } = await ctx.control.catalog.upsertRelations(found.map(({ db, shape }) => ({
      table: shape.table, kind: 'table' as const, db, keyColumns: shape.key.map((c) => c.name), keyTypes: shape.key.map((c) => c.type), keySource: shape.keySource,
    })));
    if (options.additive) for (const id of ids) await ctx.control.catalog.setAdditive(id, options.additive);
    if (makedelta !== undefined) for (const id of ids) await ctx.control.catalog.setMakeDelta(id, makedelta);
    let herd: AddTablesResult['herd'];
    if (options.herd !== undefined) {
      const created = await ctx.control.catalog.ensureHerd(options.herd);
      const addedIds = new Set(await ctx.control.catalog.addHerdMembers(options.herd, ids));
      herd = { name: options.herd, created, added: found.filter((_, index) => addedIds.has(ids[index]!)).map((entry) => entry.shape.table), syncs: addedIds.size > 0 ? herdUsers : [] };
      // Inside the transaction: the syncs' plans see the new members, and a table missing or different on
      // one of their databases rolls everything back. Without this a live sync would read a delta table
      // that was never made, and fail every run from then on.
      if (addedIds.size > 0) for (const sync of herdUsers) await refreshCapture(ctx, [sync]).catch((error: unknown) => { throw inSync(error, options.herd!, sync); });
    }
    return {
      added: fresh.map(({ db, shape }) => ({ table: shape.table, db, shape })),
      alreadyAdded: found.filter((entry) => !fresh.includes(entry)).map((entry) => entry.shape.table),
      ...(herd ? { herd } : {}),
    };
  });
  // New additive columns on tables that syncs already capture: their delta tables and triggers must
  // record the deltas before the next run reads them.
  if (options.additive) {
    const refreshed = result.herd?.syncs ?? [];
    const users = known.filter((row) => found.some((entry) => sameTable(row.table, entry.shape.table))).flatMap((row) => row.syncs);
    await refreshCapture(ctx, [...new Set(users)].filter((sync) => !refreshed.includes(sync)));
  }
  return result;
}

/**
 * `bucardo update table NAME additive=col,… makedelta=…`: changes a table's additive columns (empty to
 * clear), and re-installs capture on the sources of the syncs that use it; and its makedelta.
 */
export async function updateTable(ctx: BucardoContext, name: string, options: { additive?: readonly string[]; makedelta?: string }): Promise<RelationRow> {
  const relation = pickTable(name, await ctx.control.catalog.relations(), (row) => row.table);
  if (!relation) throw new BucardoError('TABLE_NOT_FOUND', `Table "${name}" has not been added`, { table: name });
  // checked before anything changes, stored after the additive columns pass: a refusal of either changes nothing
  const makedelta = options.makedelta === undefined ? undefined : await tableMakeDelta(ctx, options.makedelta);
  if (options.additive !== undefined) {
    const row = await ctx.control.catalog.database(relation.db);
    const session = await ctx.engine.registry.database(row.type).source!.open(specOf(row), { log: ctx.engine.log, label: 'bucardo update table' });
    try {
      const shape = await session.describeTable(relation.table);
      if (!shape) throw new BucardoError('TABLE_MISSING', `Table "${formatTable(relation.table)}" does not exist on database "${relation.db}"`, { table: formatTable(relation.table), db: relation.db });
      checkAdditiveColumns(shape, options.additive, relation.db);
    } finally {
      await session.close();
    }
    await ctx.control.catalog.setAdditive(relation.id, options.additive);
    await refreshCapture(ctx, relation.syncs);
  }
  // read by each run's plan: nothing to install (the marks table comes with capture, or with the first record)
  if (makedelta !== undefined) await ctx.control.catalog.setMakeDelta(relation.id, makedelta);
  return (await ctx.control.catalog.relations()).find((row) => row.id === relation.id)!;
}

/**
 * A keyless table cannot be in a sync that tracks changes (one with a target, or several sources): every
 * run of that sync would fail with TABLE_NO_KEY, and its other tables would stop replicating with it.
 */
export async function refuseKeylessInTrackedSyncs(ctx: BucardoContext, herd: string, syncs: readonly string[], keyless: readonly TableRef[]): Promise<void> {
  if (keyless.length === 0) return;
  for (const sync of syncs) {
    const plan = await readSyncPlan(ctx.control.catalog, sync);
    if (isPureFullcopy(plan)) continue;
    const targets = plan.databases.filter((db) => db.role === 'target').map((db) => db.name);
    const why = targets.length > 0 ? `target ${targets.map((db) => `"${db}"`).join(', ')}` : `${plan.databases.filter((db) => db.role === 'source').length} sources`;
    const table = formatTable(keyless[0]!);
    throw new BucardoError('TABLE_NO_KEY',
      `Table "${table}" has no primary key or unique index over NOT NULL columns, and herd "${herd}" is used by sync "${sync}", which has ${why}: a keyless table can only be in syncs whose receivers are all fullcopy`,
      { table, herd, sync, ...(targets.length > 0 ? { db: targets[0]! } : {}) });
  }
}

export async function listTables(ctx: BucardoContext): Promise<RelationRow[]> {
  return ctx.control.catalog.relations();
}

export async function candidateDatabases(ctx: BucardoContext, db: string | undefined): Promise<DatabaseRow[]> {
  if (db !== undefined) {
    const row = await ctx.control.catalog.database(db);
    if (!ctx.engine.registry.database(row.type).source) {
      throw new BucardoError('DB_ROLE_UNSUPPORTED', `Database "${db}" (type ${row.type}) has no tables to read`, { db });
    }
    return [row];
  }
  const rows = (await ctx.control.catalog.databases())
    .filter((row) => row.status === 'active' && hasSource(ctx, row));
  if (rows.length === 0) throw new BucardoError('DB_NOT_FOUND', 'Add a database first (bucardo add db NAME dbname=…): there is none to find tables in');
  return rows;
}

function hasSource(ctx: BucardoContext, row: DatabaseRow): boolean {
  try {
    return ctx.engine.registry.database(row.type).source !== undefined;
  } catch {
    return false;
  }
}

async function findTables(
  ctx: BucardoContext,
  requested: readonly { text: string; schema?: string; name: string }[],
  databases: readonly DatabaseRow[],
  keyless: boolean,
): Promise<Array<{ db: string; shape: TableShape }>> {
  const found: Array<{ db: string; shape: TableShape } | undefined> = requested.map(() => undefined);
  const unreachable: string[] = [];
  for (const row of databases) {
    if (found.every(Boolean)) break;
    let session: SourceSession;
    try {
      session = await ctx.engine.registry.database(row.type).source!.open(specOf(row), { log: ctx.engine.log, label: 'bucardo add table' });
    } catch (error) {
      // One unreachable database (added with --force, or down) should not hide tables found on the others.
      if (!isBucardoError(error) || error.code !== 'CONNECTION_FAILED') throw error;
      ctx.engine.log.log('warn', `Skipping database "${row.name}" while looking for tables: ${error.message}`, { db: row.name });
      unreachable.push(row.name);
      continue;
    }
    try {
      for (const [index, wanted] of requested.entries()) {
        if (found[index]) continue;
        const table = await locate(session, wanted, row.name);
        if (!table) continue;
        const shape = await session.describeTable(table);
        if (!shape) continue;
        if (shape.key.length === 0 && !keyless) {
          throw new BucardoError('TABLE_NO_KEY', `Table "${formatTable(table)}" on database "${row.name}" has no primary key or unique index over NOT NULL columns, so its changes cannot be tracked: add a primary key, or add it with keyless=true for fullcopy syncs`, { table: formatTable(table), db: row.name });
        }
        found[index] = { db: row.name, shape };
      }
    } finally {
      await session.close();
    }
  }
  const missing = requested.filter((_, index) => !found[index]).map((wanted) => wanted.text);
  if (missing.length > 0) {
    const looked = databases.filter((d) => !unreachable.includes(d.name)).map((d) => d.name);
    const skipped = unreachable.length ? `; could not reach ${unreachable.join(', ')}` : '';
    throw new BucardoError('TABLE_NOT_FOUND', `Did not find matches for the following terms: ${missing.join(', ')} (looked in ${looked.join(', ') || 'no reachable database'}${skipped})`, { table: missing[0]! });
  }
  return found as Array<{ db: string; shape: TableShape }>;
}

async function locate(session: SourceSession, wanted: { text: string; schema?: string; name: string }, db: string): Promise<TableRef | undefined> {
  if (wanted.schema !== undefined) return { schema: wanted.schema, name: wanted.name };
  const matches = session.findTable ? await session.findTable(wanted.name) : [{ schema: 'public', name: wanted.name }];
  if (matches.length > 1) {
    throw new BucardoError('INVALID_ARGUMENT', `Table name "${wanted.text}" matches ${matches.map(formatTable).join(' and ')} on database "${db}": add the schema`, { table: wanted.text, db });
  }
  return matches[0];
}

/** A check of a sync over the herd failed: the message says which sync refused the tables, and the subject keeps its names. */
function inSync(error: unknown, herd: string, sync: string): unknown {
  if (!isBucardoError(error)) return error;
  return new BucardoError(error.code, `Herd "${herd}" is used by sync "${sync}", which cannot take the tables: ${error.message}`, { ...error.subject, herd, sync, cause: error });
}

function sameTable(a: TableRef, b: TableRef): boolean {
  return a.schema === b.schema && a.name === b.name;
}
