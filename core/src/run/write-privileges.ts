import { BucardoError, type TableShape } from '@bucardo/plugin-sdk';
import type { RunSessions } from './sessions.js';
import { sourcesOf, type SyncPlan } from './sync-plan.js';

/**
 * What the sync's role may not do on the databases it writes (`TargetSession.missingPrivileges`): said by
 * `bucardo validate` and before `add sync` installs anything, naming the database, the role, the table and
 * the privileges, where every run would otherwise fail on its first write there, in the server's words.
 * The first source is written too when there are several sources. Plugins that cannot say, say nothing.
 */
export async function writePrivilegeProblems(plan: SyncPlan, sessions: RunSessions, shapes: readonly TableShape[]): Promise<BucardoError[]> {
  if (shapes.length === 0) return [];
  const severalSources = sourcesOf(plan).length > 1;
  const written = plan.databases.filter((db) => db.role !== 'source' || severalSources);
  const found = await Promise.all(written.map(async (db) => {
    const session = sessions.target(db.name);
    if (!session.missingPrivileges) return [];
    const { role, missing } = await session.missingPrivileges(shapes);
    return shapes.flatMap((shape, index) => {
      const lacking = missing[index] ?? [];
      if (lacking.length === 0) return [];
      const table = sessions.tableOn(db.name, shape.table);
      return [new BucardoError('PERMISSION_DENIED',
        `Role "${role}" may not write table "${table}" on database "${db.name}" as the sync does: it lacks ${lacking.join(', ')} there. Grant ${lacking.length === 1 ? 'it' : 'them'} to the role, or every run fails on its first write to the table`,
        { sync: plan.name, db: db.name, table, item: role })];
    });
  }));
  return found.flat();
}
