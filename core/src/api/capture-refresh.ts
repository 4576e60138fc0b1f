import { RunSessions } from '../run/sessions.js';
import { sourcesOf } from '../run/sync-plan.js';
import { resolveTableShapes } from '../run/table-shapes.js';
import type { BucardoContext } from './context.js';
import { loadSyncPlan } from './sync-plan-loader.js';

/**
 * Re-installs capture on every source of these syncs (idempotent), after a change to what capture
 * records, such as a table's additive columns. Checkpoints are not touched: nothing pending is lost.
 */
export async function refreshCapture(ctx: BucardoContext, syncs: readonly string[]): Promise<void> {
  for (const name of syncs) {
    const plan = await loadSyncPlan(ctx.control.catalog, name);
    const sessions = await RunSessions.open(plan, ctx.engine.registry, ctx.engine.log, 'bucardo refresh capture', new AbortController().signal);
    try {
      const shapes = await resolveTableShapes(plan, sessions);
      for (const source of sourcesOf(plan)) await sessions.source(source.name).installCapture(shapes);
    } finally {
      await sessions.close();
    }
  }
}
