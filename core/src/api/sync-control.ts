import { BucardoError, isLogLevel, logLevelsText } from '@bucardo/plugin-sdk';
import type { SyncRow } from '../control/catalog-rows.js';
import type { BucardoContext } from './context.js';

export type SyncAction = 'pause' | 'resume' | 'activate' | 'deactivate';

const transitions: Record<SyncAction, { from: readonly SyncRow['status'][]; to: SyncRow['status'] }> = {
  pause: { from: ['active', 'paused'], to: 'paused' },
  resume: { from: ['paused', 'active'], to: 'active' },
  activate: { from: ['inactive', 'active', 'stalled'], to: 'active' },
  deactivate: { from: ['active', 'paused', 'stalled', 'inactive'], to: 'inactive' },
};

/**
 * `bucardo pause|resume|activate|deactivate SYNC`: changes the sync's status in the control database and
 * tells the daemons (NOTIFY in the control database). A paused or inactive sync is not run and cannot be
 * kicked; the daemon owning it gives it up after its run in progress, if any.
 */
export async function changeSyncStatus(ctx: BucardoContext, name: string, action: SyncAction): Promise<SyncRow['status']> {
  const sync = await ctx.control.catalog.sync(name);
  const { from, to } = transitions[action];
  if (!from.includes(sync.status)) {
    throw new BucardoError('SYNC_INACTIVE', `Cannot ${action} sync "${name}" unless it is ${from.join(' or ')} (it is ${sync.status})`, { sync: name });
  }
  await ctx.control.catalog.setSyncStatus(name, to);
  return to;
}

/** Settings the daemon reads (`bucardo set name=value`), with their checks. */
const settingChecks: Record<string, (value: string) => string | undefined> = {
  log_level: (value) => (isLogLevel(value.toLowerCase()) ? undefined : `must be ${logLevelsText}`),
};

export async function setSetting(ctx: BucardoContext, name: string, value: string): Promise<void> {
  const check = settingChecks[name.toLowerCase()];
  if (!check) throw new BucardoError('INVALID_ARGUMENT', `Unknown setting "${name}" (known: ${Object.keys(settingChecks).join(', ')})`, { item: name });
  const problem = check(value);
  if (problem) throw new BucardoError('INVALID_ARGUMENT', `Setting ${name} ${problem}, not "${value}"`, { item: name });
  await ctx.control.catalog.setSetting(name.toLowerCase(), value.toLowerCase());
}
