import { formatTable, tableId, toBucardoError, type TableShape } from '@bucardo/plugin-sdk';
import type { CopyContext } from './copy-phases.js';
import type { PendingRecords } from './partitions.js';
import { deltaDatabasesOf, sourcesOf } from './sync-plan.js';
import { copyTable } from './table-copy.js';

/**
 * `refreshAbove`: the tables of a one-source sync whose pending change records reach that fraction of
 * their rows (a bulk UPDATE, a reload). Copying such a table whole (TRUNCATE, then COPY in key order)
 * costs the targets a fraction of deleting and re-inserting every key: the rows go into an empty table and
 * index instead of beside their deleted versions, and the run reads neither the change records nor the
 * rows by key. With several sources the rows of one are not the sync's state, so such syncs never
 * refresh; nor do runs whose source cannot count or estimate, or whose targets cannot be emptied.
 */
export async function chooseRefreshes(ctx: CopyContext, pending: PendingRecords | undefined, above: number | undefined): Promise<TableShape[]> {
  const { plan, sessions, log } = ctx;
  const sources = sourcesOf(plan);
  if (above === undefined || !pending || sources.length !== 1) return [];
  const from = sources[0]!.name;
  const source = sessions.source(from);
  const to = receiversOf(ctx);
  if (!source.estimateRows || !source.readTable || to.some((db) => !sessions.target(db).truncate)) return [];
  const records = pending.get(from) ?? new Map<string, number>();
  const candidates = ctx.shapes.filter((shape) => (records.get(tableId(shape.table)) ?? 0) > 0);
  if (candidates.length === 0) return [];
  let rows: Map<string, number>;
  try {
    rows = await source.estimateRows(candidates.map((shape) => shape.table));
  } catch (error) {
    throw toBucardoError(error, 'CAPTURE_FAILED', { db: from, sync: plan.name });
  }
  return candidates.filter((shape) => {
    const id = tableId(shape.table);
    const estimate = rows.get(id);
    const changed = records.get(id)!;
    if (estimate === undefined || changed < above * estimate) return false;
    log.log('normal', `Table ${formatTable(shape.table)} has ${changed} change records on ${from} for about ${estimate} rows (refreshAbove ${above}): copying it whole to ${to.join(', ')}`);
    return true;
  });
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
    const rows = await copyTable(ctx.sessions, { shape, from, to, empty: true, chunked: false }, { batchRows: ctx.batchRows, signal: ctx.signal, status: ctx.status });
    ctx.counts.addCopy(formatTable(shape.table), rows, to);
  }
}

function receiversOf(ctx: CopyContext): string[] {
  return deltaDatabasesOf(ctx.plan).filter((db) => db.role === 'target').map((db) => db.name);
}
