import { BucardoError, formatTable, toBucardoError, type CaptureProblem, type TableShape } from '@bucardo/plugin-sdk';
import type { RunSessions } from '../run/sessions.js';
import { isPureFullcopy, sourcesOf, type SyncPlan } from '../run/sync-plan.js';

/**
 * For `bucardo validate`, as Bucardo's validate does: on each source whose capture of the sync's tables
 * stopped working (a trigger dropped or disabled by hand), capture is installed again. Each repair is
 * said as a warning, with what it cannot bring back: the changes made there meanwhile, which `compare`
 * shows. Checkpoints are not touched. Without `repair` (the sync has other problems, and its tables may
 * not be sound) the broken tables are only named, as problems.
 */
export async function repairCapture(plan: SyncPlan, sessions: RunSessions, shapes: readonly TableShape[], repair: boolean): Promise<{ repaired: BucardoError[]; broken: BucardoError[] }> {
  const repaired: BucardoError[] = [];
  const broken: BucardoError[] = [];
  if (isPureFullcopy(plan) || shapes.length === 0) return { repaired, broken };
  for (const source of sourcesOf(plan)) {
    const session = sessions.source(source.name);
    const problems = (await session.captureProblems?.(shapes.map((shape) => shape.table))) ?? [];
    if (problems.length === 0) continue;
    const state = (problem: CaptureProblem) => (problem.state === 'missing' ? 'missing (dropped, or never installed there)' : 'disabled');
    if (!repair) {
      // the tables must be sound to install capture: said, not repaired, while the sync has other problems
      for (const problem of problems) {
        const table = formatTable(problem.table);
        broken.push(new BucardoError('CAPTURE_FAILED',
          `Capture of table "${table}" on database "${source.name}" is not working (its trigger ${problem.trigger} was ${state(problem)}): validate installs it again once the problems above are fixed`,
          { sync: plan.name, db: source.name, table }));
      }
      continue;
    }
    // only the broken tables: installing takes each table's lock, which readers and writers would wait on
    const tables = new Set(problems.map((problem) => formatTable(problem.table)));
    await session.installCapture(shapes.filter((shape) => tables.has(formatTable(shape.table)))).catch((error: unknown) => {
      throw toBucardoError(error, 'CAPTURE_FAILED', { sync: plan.name, db: source.name });
    });
    for (const problem of problems) {
      const table = formatTable(problem.table);
      repaired.push(new BucardoError('CAPTURE_FAILED',
        `Capture of table "${table}" on database "${source.name}" was not working (its trigger ${problem.trigger} was ${state(problem)}) and is installed again; changes made there meanwhile were not captured: bucardo compare ${plan.name} ${table} shows them`,
        { sync: plan.name, db: source.name, table }));
    }
  }
  return { repaired, broken };
}
