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
 * nothing of its parent's. Tables on a cycle of foreign keys (a tree, pointing at itself; two tables
 * pointing at each other, with a deferrable key) are not cut into transactions at all: their keys go
 * whole into one, as no order of keys says which row points at which.
 *
 * All of which costs memory and transaction size (a pointed-at table's backlog held whole, a tree's in one
 * transaction), so it is laid out only where a receiving database checks foreign keys as it writes
 * (`TargetCapabilities.foreignKeys`: not PostgreSQL with `applyAsReplica`, MongoDB, flat files).
 */
export interface ForeignKeyLayout {
  /** Tables a foreign key of the sync's tables points at, themselves included (by `tableId`). */
  readonly pointedAt: ReadonlySet<string>;
  /** Tables on a cycle of foreign keys (by `tableId`), each with its cycle's number: a cycle's keys go into one transaction. */
  readonly cycles: ReadonlyMap<string, number>;
}

export function foreignKeyLayout(shapes: readonly TableShape[], checked = true): ForeignKeyLayout {
  if (!checked) return { pointedAt: new Set(), cycles: new Map() };
  const ids = shapes.map((shape) => tableId(shape.table));
  const index = new Map(ids.map((id, i) => [id, i]));
  const pointsAt = shapes.map((shape) => (shape.references ?? []).map((table) => index.get(tableId(table))).filter((i): i is number => i !== undefined));
  const pointedAt = new Set(pointsAt.flat().map((i) => ids[i]!));
  const cycles = new Map<string, number>();
  const onCycles = stronglyConnected(pointsAt).filter((members) => members.length > 1 || pointsAt[members[0]!]!.includes(members[0]!));
  for (const [n, members] of onCycles.entries()) for (const i of members) cycles.set(ids[i]!, n);
  return { pointedAt, cycles };
}

/**
 * The strongly connected components of the graph `edges` (node → the nodes it points at), each in
 * ascending order, listed so that a component comes after every component it points at (Tarjan's).
 * A component of two or more, or of one pointing at itself, is a cycle.
 */
export function stronglyConnected(edges: ReadonlyArray<readonly number[]>): number[][] {
  const order: number[] = new Array(edges.length).fill(-1);
  const low: number[] = new Array(edges.length).fill(0);
  const onStack = new Set<number>();
  const stack: number[] = [];
  const found: number[][] = [];
  let next = 0;
  const visit = (v: number): void => {
    order[v] = low[v] = next++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges[v]!) {
      if (order[w] === -1) {
        visit(w);
        low[v] = Math.min(low[v]!, low[w]!);
      } else if (onStack.has(w)) low[v] = Math.min(low[v]!, order[w]!);
    }
    if (low[v] !== order[v]) return;
    const members: number[] = [];
    let w: number;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      members.push(w);
    } while (w !== v);
    found.push(members.sort((a, b) => a - b));
  };
  for (let v = 0; v < edges.length; v++) if (order[v] === -1) visit(v);
  return found;
}

/** Whether a database receiving the sync's changes checks foreign keys as it writes (a source receives only beside another). */
export function foreignKeysChecked(plan: SyncPlan, sessions: Pick<RunSessions, 'targetCapabilities'>): boolean {
  const sources = sourcesOf(plan).length;
  return deltaDatabasesOf(plan).some((db) => (db.role !== 'source' || sources > 1) && sessions.targetCapabilities(db.name).foreignKeys);
}
