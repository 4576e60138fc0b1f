import { BucardoError, formatTable, tableId, type TableRef } from '@bucardo/plugin-sdk';
import { databaseError } from '../run/database-error.js';
import { isPureFullcopy } from '../run/sync-plan.js';
import type { DatabaseRow } from '../control/catalog-rows.js';
import type { BucardoContext } from './context.js';
import { specOf } from './databases.js';

/**
 * Removes capture (triggers, change tables) for the tables a database no longer needs to capture: those
 * no remaining sync reads from it as a source. Bucardo left triggers behind (bucardo#191), so their change
 * tables kept growing; here removing the last sync that uses a table removes its capture.
 */
export async function removeUnusedCapture(ctx: BucardoContext, candidates: ReadonlyMap<string, readonly TableRef[]>): Promise<Map<string, TableRef[]>> {
  const [syncs, herds, groups, databases] = await Promise.all([
    ctx.control.catalog.syncs(), ctx.control.catalog.herds(), ctx.control.catalog.dbgroups(), ctx.control.catalog.databases(),
  ]);
  const stillCaptured = new Set<string>();
  for (const sync of syncs) {
    const group = groups.find((g) => g.name === sync.dbgroup);
    // a sync whose receivers are all fullcopy members reads no capture (add sync installs none)
    if (!group || isPureFullcopy({ databases: group.members })) continue;
    const herd = herds.find((h) => h.name === sync.herd);
    for (const member of group?.members ?? []) {
      if (member.role !== 'source') continue;
      for (const table of herd?.members ?? []) stillCaptured.add(`${member.db}\u0001${tableId(table)}`);
    }
  }
  const removed = new Map<string, TableRef[]>();
  for (const [db, tables] of candidates) {
    const unused = tables.filter((table) => !stillCaptured.has(`${db}\u0001${tableId(table)}`));
    const row = databases.find((candidate) => candidate.name === db);
    if (unused.length === 0 || !row) continue;
    // the server's bare words (`cannot drop function …`) named no database
    await removeOn(ctx, row, unused).catch((error: unknown) => {
      throw databaseError(error, 'CAPTURE_FAILED', { db, table: formatTable(unused[0]!) });
    });
    removed.set(db, unused);
  }
  return removed;
}

async function removeOn(ctx: BucardoContext, row: DatabaseRow, tables: readonly TableRef[]): Promise<void> {
  const source = ctx.engine.registry.database(row.type).source;
  if (!source) return;
  const session = await source.open(specOf(row), { log: ctx.engine.log, label: 'bucardo remove capture' });
  try {
    await session.removeCapture?.(tables);
  } finally {
    await session.close();
  }
}

/**
 * Capture a command installed before it failed (the next source refused it, a privilege missing there, a
 * table locked; a later check): removed again from the tables no sync reads there, or the triggers would
 * fill change tables that nothing reads nor purges. Returns the error to throw, saying what could not be
 * undone.
 */
export async function undoNewCapture(ctx: BucardoContext, installed: ReadonlyMap<string, readonly TableRef[]>, failure: BucardoError): Promise<BucardoError> {
  try {
    await removeUnusedCapture(ctx, installed);
    return failure;
  } catch (error) {
    const left = [...installed.keys()].map((db) => `"${db}"`).join(', ');
    return new BucardoError(failure.code, `${failure.message}; capture it had installed on ${left} could not be removed (${(error as Error).message}): run the command again once the problem is fixed (installing is idempotent), or drop the triggers bucardo_capture and bucardo_capture_truncate of the sync's tables there`, { ...failure.subject, cause: failure });
  }
}
