import { BucardoError, formatTable, type TableShape } from '@bucardo/plugin-sdk';
import type { RunSessions } from '../run/sessions.js';
import { isPureFullcopy, sourcesOf, type SyncPlan } from '../run/sync-plan.js';

/**
 * For `bucardo validate`: the tables whose capture on a source records changes by another key than the
 * sync's (the first source's): the key replaced outright since capture was installed, or a key column
 * renamed. Every run fails reading their changes (`CAPTURE_FAILED` from the capture), and validate said
 * OK. Compared by column names in any order, as the capture reads them: a key column widened (int to
 * bigint) is the same key.
 */
export async function replacedKeys(plan: SyncPlan, sessions: RunSessions, shapes: readonly TableShape[]): Promise<BucardoError[]> {
  if (isPureFullcopy(plan) || shapes.length === 0) return [];
  const problems: BucardoError[] = [];
  for (const source of sourcesOf(plan)) {
    const session = sessions.source(source.name);
    const captured = (await session.capturedKeys?.(shapes.map((shape) => shape.table))) ?? [];
    shapes.forEach((shape, index) => {
      const recorded = captured[index];
      const key = shape.key.map((column) => column.name);
      if (recorded === undefined || key.length === 0 || (recorded.length === key.length && key.every((name) => recorded.includes(name)))) return;
      const table = formatTable(shape.table);
      problems.push(new BucardoError('CAPTURE_FAILED',
        `The key of table "${table}" is now (${key.join(', ')}), its ${shape.keySource} on the first source, but its capture on database "${source.name}" records changes by (${recorded.join(', ')}): every run fails reading its changes. `
        + 'To lose nothing, give a renamed column its old name, or make the old key unique again on every database (CREATE UNIQUE INDEX on its columns, NOT NULL). '
        + `To move to the new key: bucardo remove table ${table} --force, then add it again and copy it anew (onetimecopy=1); the changes held for it are dropped with its capture`,
        { sync: plan.name, db: source.name, table }));
    });
  }
  return problems;
}
