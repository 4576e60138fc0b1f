import { formatTable, tableId, type Checkpoint, type SyncDatabase, type TableShape } from '@bucardo/plugin-sdk';
import type { CopyContext } from './copy-phases.js';
import { databaseError } from './database-error.js';
import type { PendingRecords } from './partitions.js';
import type { RunSizes } from './run-sync.js';
import { sourcesOf, targetsOf, type SyncPlan } from './sync-plan.js';
import { copyTable } from './table-copy.js';

/**
 * `refreshAbove`: the tables of a one-source sync whose pending change records reach that fraction of
 * their rows (a bulk UPDATE, a reload). Copying such a table whole (TRUNCATE, then COPY in key order)
 * costs the targets a fraction of deleting and re-inserting every key: the rows go into an empty table and
 * index instead of beside their deleted versions, and the run reads neither the change records nor the
 * rows by key. `minRecords` (the run's batch size) keeps small tables whose few rows change often on the
 * key path: below one transaction's worth of keys a refresh saves nothing, and would lock the table. Where
 * the source can count the keys the records are about (`pendingKeys`), both tests are of keys too.
 */
export async function chooseRefreshes(
  ctx: CopyContext, pending: PendingRecords | undefined, above: number | undefined, minRecords: number, checkpoints: ReadonlyMap<string, Checkpoint>,
): Promise<TableShape[]> {
  const { plan, sessions, log } = ctx;
  const sources = sourcesOf(plan);
  if (above === undefined || !pending) return [];
  const why = unableReason(ctx);
  const from = sources[0]?.name;
  const records = from === undefined ? undefined : pending.get(from);
  const large = ctx.shapes.filter((shape) => (records?.get(tableId(shape.table)) ?? 0) >= minRecords);
  // makedelta records each key written on a receiver for the syncs reading it; a refresh, a copy, would
  // record a truncate there instead (`recordTruncate`), and every sync reading the receiver would then copy
  // the whole table, emptying it on its own targets, for what was a batch of keys: those stay key by key
  const recorded = large.filter((shape) => receiversOf(ctx).some((db) => plan.makeDelta?.get(tableId(shape.table))?.has(db)));
  if (recorded.length > 0) log.log('verbose', `refreshAbove: ${recorded.map((shape) => formatTable(shape.table)).join(', ')} applied key by key: makedelta records their keys on the receivers, for the syncs reading them`);
  const candidates = large.filter((shape) => !recorded.includes(shape));
  if (candidates.length === 0) return [];
  if (why !== undefined) {
    log.log('verbose', `refreshAbove: ${candidates.map((shape) => formatTable(shape.table)).join(', ')} applied key by key: ${why}`);
    return [];
  }
  const source = sessions.source(from!);
  let rows: Map<string, number>;
  try {
    rows = await source.estimateRows!(candidates.map((shape) => shape.table));
  } catch (error) {
    throw databaseError(error, 'CAPTURE_FAILED', { db: from!, sync: plan.name });
  }
  const reaching = candidates.filter((shape) => {
    const estimate = rows.get(tableId(shape.table));
    return estimate !== undefined && records!.get(tableId(shape.table))! >= above * estimate;
  });
  if (reaching.length === 0) return [];
  // records count every change of a key: a few rows changed many times must not copy a large table whole
  let keys: Map<string, number> | undefined;
  try {
    keys = await source.pendingKeys?.({ tables: reaching, since: checkpoints.get(from!)!, records: records! });
  } catch (error) {
    throw databaseError(error, 'CAPTURE_FAILED', { db: from!, sync: plan.name });
  }
  const to = receiversOf(ctx);
  return reaching.filter((shape) => {
    const id = tableId(shape.table);
    const estimate = rows.get(id)!;
    const changed = records!.get(id)!;
    const changedKeys = keys?.get(id);
    const counted = changedKeys === undefined ? `${changed} change records` : `${changedKeys} changed keys (${changed} change records)`;
    if (changedKeys !== undefined && (changedKeys < above * estimate || changedKeys < minRecords)) {
      log.log('normal', `Table ${formatTable(shape.table)} has ${counted} on ${from} for about ${estimate} rows (refreshAbove ${above}): applying its keys, not copying it whole`);
      return false;
    }
    log.log('normal', `Table ${formatTable(shape.table)} has ${counted} on ${from} for about ${estimate} rows (refreshAbove ${above}): copying it whole to ${to.join(', ')}`);
    return true;
  });
}

/**
 * How many sources a sync has when that rules copying tables whole out, else undefined: only a sync with
 * one source copies whole, since with several, one source's rows are not the sync's state.
 */
export function sourcesBarringRefresh(databases: readonly Pick<SyncDatabase, 'role'>[]): number | undefined {
  const sources = databases.filter((db) => db.role === 'source').length;
  return sources === 1 ? undefined : sources;
}

/** The sync's own `refreshabove=` (0: never), else the config's; undefined when no table is to be copied whole. */
export function refreshAboveOf(plan: SyncPlan, sizes: RunSizes): number | undefined {
  const above = plan.refreshAbove ?? sizes.refreshAbove;
  return above === 0 ? undefined : above;
}

/**
 * Why this run copies nothing whole, or undefined. One source only: with several, one source's rows are
 * not the sync's state. Targets with transactions only: a copy cut short on a target without them would
 * leave its table half empty, and the next run, deciding afresh, might apply only the changed keys. Not
 * in a run that has just made its initial copy, which copied every table already.
 */
function unableReason(ctx: CopyContext): string | undefined {
  const { plan, sessions } = ctx;
  const barred = sourcesBarringRefresh(plan.databases);
  if (barred !== undefined) return `the sync has ${barred} sources`;
  if (plan.onetimecopy) return 'the run has just made its initial copy';
  const from = sourcesOf(plan)[0]!.name;
  const source = sessions.source(from);
  if (!source.estimateRows || !source.readTable) return `source ${from} cannot estimate rows or read whole tables`;
  for (const db of receiversOf(ctx)) {
    const can = sessions.targetCapabilities(db);
    if (!can.truncate || !can.transactions || !sessions.target(db).truncate) return `target ${db} cannot empty a table inside a transaction`;
  }
  return undefined;
}

/**
 * Copies the chosen tables whole from the source to the targets, each table in one transaction per
 * target. Called after the capture that consumes their change records, so that the copy reads at least
 * everything those records stood for: changes committed after it come again in the next run, and apply
 * the same rows a second time.
 */
export async function refreshTables(ctx: CopyContext, shapes: readonly TableShape[]): Promise<void> {
  if (shapes.length === 0) return;
  const from = sourcesOf(ctx.plan)[0]!.name;
  const to = receiversOf(ctx);
  for (const shape of shapes) {
    const rows = await copyTable(ctx.sessions, { shape, from, to, empty: true, chunked: false, mostlyChanged: true }, { batchRows: ctx.batchRows, signal: ctx.signal, status: ctx.status });
    ctx.counts.addCopy(formatTable(shape.table), rows, to);
  }
}

function receiversOf(ctx: CopyContext): string[] {
  return targetsOf(ctx.plan).map((db) => db.name);
}
