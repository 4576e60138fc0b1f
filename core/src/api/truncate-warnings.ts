import { BucardoError, type SyncDatabase } from '@bucardo/plugin-sdk';
import type { Registry } from '../plugins/registry.js';

/**
 * The databases of sync `sync` that a run may have to empty a table on and whose target cannot
 * (`capabilities.truncate` unset): it receives a TRUNCATE made on another source of the sync, and the run
 * stops there (`DB_ROLE_UNSUPPORTED`, raised
 * by `copyTable`) until its plugin has truncate() or it leaves the sync. Nothing is lost meanwhile, but
 * nothing is delivered either: said when the database joins the sync (`add sync`, `update dbgroup`) and
 * by `validate`, as warnings, since a sync whose sources never truncate works. A type no loaded plugin
 * registers is left to the checks that refuse it.
 */
export function truncateWarnings(registry: Registry, sync: string, databases: ReadonlyArray<Pick<SyncDatabase, 'name' | 'role' | 'type'>>): BucardoError[] {
  const sources = databases.filter((member) => member.role === 'source').map((member) => member.name);
  const warnings: BucardoError[] = [];
  for (const member of databases) {
    if (canTruncate(registry, member.type)) continue;
    // a fullcopy member without truncate() is refused (fullcopyRefusal)
    if (member.role === 'fullcopy') continue;
    const others = sources.filter((db) => db !== member.name);
    if (others.length === 0) continue;
    const quoted = others.map((db) => `"${db}"`);
    const on = `source ${quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`}`;
    warnings.push(new BucardoError('DB_ROLE_UNSUPPORTED',
      `Database "${member.name}" (type ${member.type}) cannot empty a table: a TRUNCATE on ${on} will stop the runs of sync "${sync}" until its plugin has truncate() or "${member.name}" leaves the sync`,
      { sync, db: member.name, item: 'truncate' }));
  }
  return warnings;
}

/**
 * A fullcopy member is emptied at every run: one whose target cannot empty a table would stop every run,
 * so it is refused where it joins (`label`: `dbgroup "g"`, `sync "s"`) and by `validate`.
 */
export function fullcopyRefusal(registry: Registry, member: Pick<SyncDatabase, 'name' | 'role' | 'type'>, label: string): BucardoError | undefined {
  if (member.role !== 'fullcopy' || canTruncate(registry, member.type)) return undefined;
  return new BucardoError('DB_ROLE_UNSUPPORTED',
    `Database "${member.name}" (type ${member.type}) cannot be a fullcopy member of ${label}: a fullcopy run empties its tables, and its target has no truncate(). Make it a target, or give its plugin truncate()`,
    { db: member.name, item: 'truncate' });
}

/** Whether the type's target can empty a table; true for a type without a loaded plugin or a target (refused elsewhere). */
function canTruncate(registry: Registry, type: string): boolean {
  let target;
  try {
    target = registry.database(type).target;
  } catch {
    return true;
  }
  return target === undefined || target.capabilities.truncate === true;
}
