import type { BucardoContext } from './context.js';
import { loadSyncPlan } from './sync-plan-loader.js';
import { installCapture } from './syncs.js';

/**
 * Re-installs capture on every source of these syncs (idempotent), after a change to what capture
 * records, such as a table's additive columns. Checkpoints are not touched: nothing pending is lost.
 */
export async function refreshCapture(ctx: BucardoContext, syncs: readonly string[]): Promise<void> {
  for (const name of syncs) await installCapture(ctx, await loadSyncPlan(ctx.control.catalog, name), 'bucardo refresh capture');
}
