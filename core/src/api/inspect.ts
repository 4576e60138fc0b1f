import { BucardoError, isBucardoError, tableId, toBucardoError, type ForeignKey, type SourceSession, type TableRef } from '@bucardo/plugin-sdk';
import type { HerdRow, RelationRow } from '../control/catalog-rows.js';
import { databaseError, lostConnection } from '../run/database-error.js';
import { sourcesOf, type SyncPlan } from '../run/sync-plan.js';
import type { BucardoContext } from './context.js';
import { foreignKeyGaps, gapWarning, type ForeignKeyGap } from './foreign-key-gaps.js';
import { withSource } from './source-session.js';
import { readSyncPlan } from './sync-plan-loader.js';
import { pickTable } from './table-names.js';

/** One herd a table is in, the syncs over it, and the table's foreign keys that leave it. */
export interface HerdInspection {
  readonly herd: string;
  readonly syncs: readonly string[];
  readonly gaps: readonly ForeignKeyGap[];
}

/** What `bucardo inspect` says of one table. */
export interface TableInspection {
  readonly table: TableRef;
  /** The database its foreign keys were read on: the one it was added from (null once that is removed). */
  readonly db: string | null;
  /** The herds it is in (for `inspect herd`/`sync`, those asked about only). */
  readonly herds: readonly HerdInspection[];
  /** Why its foreign keys were not read, when they were not: nothing is said of them then. */
  readonly unchecked?: string;
}

/** `bucardo inspect table T…`: each table against every herd it is in. */
export async function inspectTables(ctx: BucardoContext, names: readonly string[]): Promise<TableInspection[]> {
  const relations = (await ctx.control.catalog.relations()).filter((row) => row.kind === 'table');
  const rows = names.map((text) => {
    const row = pickTable(text, relations, (relation) => relation.table);
    if (!row) throw new BucardoError('TABLE_NOT_FOUND', `Table "${text}" has not been added: run "bucardo add table ${text}" first`, { table: text });
    return row;
  });
  return inspect(ctx, unique(rows), await ctx.control.catalog.herds());
}

/** `bucardo inspect herd H…`: the herds' tables, each against those herds. */
export async function inspectHerds(ctx: BucardoContext, names: readonly string[]): Promise<TableInspection[]> {
  const herds = new Map<string, HerdRow>();
  for (const name of names) {
    const herd = await ctx.control.catalog.herd(name);
    herds.set(herd.name, herd);
  }
  return inspectMembers(ctx, [...herds.values()]);
}

/** `bucardo inspect sync S…`: the tables of the syncs' herds, each against those herds. */
export async function inspectSyncs(ctx: BucardoContext, names: readonly string[]): Promise<TableInspection[]> {
  // two syncs over one herd: the herd once
  const herds = new Map<string, HerdRow>();
  for (const name of names) {
    const herd = (await ctx.control.catalog.sync(name)).herd;
    if (!herds.has(herd)) herds.set(herd, await ctx.control.catalog.herd(herd));
  }
  return inspectMembers(ctx, [...herds.values()]);
}

/**
 * The warnings of sync `plan` about its foreign keys that leave its herd, read on its first source (where
 * its tables' shapes are read): for `validate`, and after `add sync` and `update sync … add table`. A
 * source whose plugin cannot list foreign keys says nothing.
 */
export async function syncForeignKeyWarnings(plan: SyncPlan, firstSource: SourceSession): Promise<BucardoError[]> {
  if (!firstSource.foreignKeys || plan.tables.length === 0) return [];
  const gaps = foreignKeyGaps(await firstSource.foreignKeys(plan.tables), plan.tables);
  return gaps.map((gap) => gapWarning(plan.name, plan.herd, gap));
}

/** What `foreignKeyWarnings` found for one sync: its warnings, or why its foreign keys were not checked. */
export interface SyncForeignKeyWarnings {
  readonly sync: string;
  readonly warnings: readonly BucardoError[];
  readonly error?: BucardoError;
}

/**
 * The same for several syncs (after `add table T herd=H`, every sync over the herd): one session per
 * first source, and one read of the foreign keys there per set of tables, however many syncs share them.
 * A sync whose plan or source cannot be read gets the error, and the others their warnings.
 */
export async function foreignKeyWarnings(ctx: BucardoContext, syncs: readonly string[]): Promise<SyncForeignKeyWarnings[]> {
  const results = new Map<string, SyncForeignKeyWarnings>();
  const bySource = new Map<string, SyncPlan[]>();
  for (const sync of syncs) {
    try {
      const plan = await readSyncPlan(ctx.control.catalog, sync);
      const first = sourcesOf(plan)[0];
      if (!first || plan.tables.length === 0) results.set(sync, { sync, warnings: [] });
      else bySource.set(first.name, [...(bySource.get(first.name) ?? []), plan]);
    } catch (error) {
      results.set(sync, { sync, warnings: [], error: toBucardoError(error, 'SYNC_INVALID', { sync }) });
    }
  }
  for (const [db, plans] of bySource) {
    try {
      const label = `bucardo ${plans.map((plan) => plan.name).join(',')} foreign keys`.slice(0, 63);
      await withSource(ctx, db, label, async (session) => {
        // a plugin that cannot list foreign keys says nothing (each sync gets no warning below)
        if (!session.foreignKeys) return;
        const read = new Map<string, ForeignKey[]>();
        for (const plan of plans) {
          // syncs over one herd ask about the same tables: asked once
          const key = plan.tables.map(tableId).join('\u0001');
          const keys = read.get(key) ?? await session.foreignKeys(plan.tables);
          read.set(key, keys);
          results.set(plan.name, { sync: plan.name, warnings: foreignKeyGaps(keys, plan.tables).map((gap) => gapWarning(plan.name, plan.herd, gap)) });
        }
      });
      for (const plan of plans) if (!results.has(plan.name)) results.set(plan.name, { sync: plan.name, warnings: [] });
    } catch (error) {
      for (const plan of plans) if (!results.has(plan.name)) results.set(plan.name, { sync: plan.name, warnings: [], error: unreadKeys(error, db, plan.name) });
    }
  }
  return syncs.map((sync) => results.get(sync)!);
}

/**
 * Why a sync's foreign keys were not read on `db`. Opening the session fails with the plugin's own
 * CONNECTION_FAILED, which stays; a connection lost later is CONNECTION_FAILED too; anything else (the
 * database refusing the read, a permission) is not the connection's fault: FETCH_FAILED naming the database.
 */
function unreadKeys(error: unknown, db: string, sync: string): BucardoError {
  if (isBucardoError(error)) return toBucardoError(error, error.code, { db, sync });
  if (lostConnection(error)) return databaseError(error, 'CONNECTION_FAILED', { db, sync });
  const failure = databaseError(error, 'FETCH_FAILED', { db, sync });
  return new BucardoError(failure.code, `Reading the foreign keys on database "${db}" failed: ${failure.message}`, { ...failure.subject, cause: error });
}

async function inspectMembers(ctx: BucardoContext, herds: readonly HerdRow[]): Promise<TableInspection[]> {
  const relations = (await ctx.control.catalog.relations()).filter((row) => row.kind === 'table');
  const rows = herds.flatMap((herd) => herd.tables.map((table) => relations.find((row) => sameTable(row.table, table))!));
  return inspect(ctx, unique(rows), herds);
}

async function inspect(ctx: BucardoContext, rows: readonly RelationRow[], herds: readonly HerdRow[]): Promise<TableInspection[]> {
  const keys = new Map<string | null, ForeignKey[] | string>();
  for (const db of new Set(rows.map((row) => row.db))) {
    keys.set(db, await readForeignKeys(ctx, db, rows.filter((row) => row.db === db).map((row) => row.table)));
  }
  return rows.map((row) => {
    const found = keys.get(row.db)!;
    const inspected = herds.filter((herd) => row.herds.includes(herd.name));
    return {
      table: row.table,
      db: row.db,
      herds: inspected.map((herd) => ({
        herd: herd.name, syncs: herd.syncs, gaps: typeof found === 'string' ? [] : foreignKeyGaps(found, herd.tables, [row.table]),
      })),
      ...(typeof found === 'string' ? { unchecked: found } : {}),
    };
  });
}

/** The foreign keys of these tables on `db`, or why they cannot be read there. */
async function readForeignKeys(ctx: BucardoContext, db: string | null, tables: readonly TableRef[]): Promise<ForeignKey[] | string> {
  if (db === null) return 'the database it was added from has been removed';
  const cannot = async () => `database "${db}" (type ${(await ctx.control.catalog.database(db)).type}) cannot list foreign keys`;
  const found = await withSource(ctx, db, 'bucardo inspect', async (session) => (session.foreignKeys ? session.foreignKeys(tables) : undefined));
  return found ?? cannot();
}

function unique(rows: readonly RelationRow[]): RelationRow[] {
  return rows.filter((row, index) => rows.findIndex((other) => other.id === row.id) === index);
}

function sameTable(a: TableRef, b: TableRef): boolean {
  return a.schema === b.schema && a.name === b.name;
}
