import { BucardoError, formatTable, type TableShape } from '@bucardo/plugin-sdk';
import type { RunSessions } from '../run/sessions.js';
import { isPureFullcopy, sourcesOf, type SyncPlan } from '../run/sync-plan.js';

/**
 * For `bucardo validate`, as Bucardo's validate does: on each source whose capture of the sync's tables
 * stopped working (a trigger dropped or disabled by hand), capture is installed again. Each repair is
 * said as a warning, with what it cannot bring back: the changes made there meanwhile, which `compare`
 * shows. Checkpoints are not touched.
 */
export async function repairCapture(plan: SyncPlan, sessions: RunSessions, shapes: readonly TableShape[]): Promise<BucardoError[]> {
  if (isPureFullcopy(plan) || shapes.length === 0) return [];
  const repaired: BucardoError[] = [];
  for (const source of sourcesOf(plan)) {
    const session = sessions.source(source.name);
    const problems = (await session.captureProblems?.(shapes.map((shape) => shape.table))) ?? [];
    if (problems.length === 0) continue;
    await session.installCapture(shapes);
    for (const problem of problems) {
      const table = formatTable(problem.table);
      repaired.push(new BucardoError('CAPTURE_FAILED',
        `Capture of table "${table}" on database "${source.name}" was not working (its trigger ${problem.trigger} was ${problem.state === 'missing' ? 'dropped' : 'disabled'}) and is installed again; changes made there meanwhile were not captured: bucardo compare ${plan.name} ${table} shows them`,
        { sync: plan.name, db: source.name, table }));
    }
  }
  return repaired;
}
