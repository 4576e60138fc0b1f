import { BucardoError, type RunReport } from '@bucardo/plugin-sdk';
import type { BucardoContext } from './context.js';
import { loadSyncPlan } from './sync-plan-loader.js';

export interface RunNowOptions {
  readonly batchSize: number;
  readonly signal?: AbortSignal;
}

/**
 * Runs a sync once, in this process, under the sync's lock in the control database (so two processes
 * never run the same sync at once; a second caller waits, then runs and usually finds nothing to do).
 */
export async function runSyncNow(ctx: BucardoContext, name: string, options: RunNowOptions): Promise<RunReport> {
  const sync = await ctx.control.catalog.sync(name);
  if (sync.status === 'inactive') throw new BucardoError('SYNC_INACTIVE', `Cannot kick inactive sync "${name}"`, { sync: name });
  const plan = await loadSyncPlan(ctx.control.catalog, name);
  await ctx.control.lockSync(name);
  try {
    return await ctx.engine.run(plan, ctx.control.runs, { batchSize: options.batchSize, worker: ctx.worker, ...(options.signal ? { signal: options.signal } : {}) });
  } finally {
    await ctx.control.unlockSync(name).catch(() => undefined);
  }
}
