import { tableId, type TableShape } from '@bucardo/plugin-sdk';
import type { RunSessions } from './sessions.js';
import { deltaDatabasesOf, sourcesOf, type SyncPlan } from './sync-plan.js';

/**
 * How foreign keys between a sync's tables shape a run's plan, as the first source describes them
 * (`TableShape.references`). A table others point at gets its new rows and updates before the keys of
 * the tables pointing at it (`writeOrder`), and loses its deleted keys after every other key of the run,
 * so that the children that pointed at them were deleted or moved first, in whatever transaction of the
 * run they came. In a run cut into key partitions such tables are captured whole, with the first
 * partition (their new rows and updates) and the last (their deleted keys): a child's key partition says
 * nothing of its parent's. A table pointing at itself (a tree) is not cut into transactions at all: the
 * order of its own keys says nothing of which row points at which.
 *
 * All of which costs memory and transaction size (a pointed-at table's backlog held whole, a tree's in one
 * transaction), so it is laid out only where a receiving database checks foreign keys as it writes
 * (`TargetCapabilities.foreignKeys`: not PostgreSQL with `applyAsReplica`, MongoDB, flat files).
 */
export interface ForeignKeyLayout {
  /** Tables a foreign key of the sync's tables points at, themselves included (by `tableId`). */
  readonly pointedAt: ReadonlySet<string>;
  /** Tables pointing at themselves (by `tableId`). */
  readonly trees: ReadonlySet<string>;
}

export function foreignKeyLayout(shapes: readonly TableShape[], checked = true): ForeignKeyLayout {
  if (!checked) return { pointedAt: new Set(), trees: new Set() };
  const ids = new Set(shapes.map((shape) => tableId(shape.table)));
  const pointedAt = new Set<string>();
  const trees = new Set<string>();
  for (const shape of shapes) {
    const own = tableId(shape.table);
    for (const table of shape.references ?? []) {
      const id = tableId(table);
      if (!ids.has(id)) continue;
      pointedAt.add(id);
      if (id === own) trees.add(id);
    }
  }
  return { pointedAt, trees };
}

/** Whether a database receiving the sync's changes checks foreign keys as it writes (a source receives only beside another). */
export function foreignKeysChecked(plan: SyncPlan, sessions: Pick<RunSessions, 'targetCapabilities'>): boolean {
  const sources = sourcesOf(plan).length;
  return deltaDatabasesOf(plan).some((db) => (db.role !== 'source' || sources > 1) && sessions.targetCapabilities(db.name).foreignKeys);
}
