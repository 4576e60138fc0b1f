import { tableId, type TableShape } from '@bucardo/plugin-sdk';
import { writeOrder } from './write-order.js';

/**
 * The tables among `emptied` (those still to be emptied in this run, never one copied already) whose foreign
 * keys point at `shape`, directly or through one another, children first. A copy that empties `shape`
 * empties them before it, in the same transaction: their rows would make emptying `shape` fail (a DELETE where a foreign key points at
 * it), as they did for `TRUNCATE parent CASCADE` on a source, after which every run of the sync failed.
 */
export function dependentsFirst(shape: TableShape, emptied: readonly TableShape[]): TableShape[] {
  const pointing = new Set([tableId(shape.table)]);
  for (let grew = true; grew;) {
    grew = false;
    for (const other of emptied) {
      const id = tableId(other.table);
      if (pointing.has(id) || !(other.references ?? []).some((table) => pointing.has(tableId(table)))) continue;
      pointing.add(id);
      grew = true;
    }
  }
  pointing.delete(tableId(shape.table));
  return writeOrder(emptied).filter((other) => pointing.has(tableId(other.table))).reverse();
}

/** The tables linked by foreign keys, one way or the other, directly or through one another: each group by `tableId`. */
export function linkedGroups(shapes: readonly TableShape[]): Array<Set<string>> {
  const groupOf = new Map(shapes.map((shape) => [tableId(shape.table), new Set([tableId(shape.table)])]));
  for (const shape of shapes) {
    for (const table of shape.references ?? []) {
      const mine = groupOf.get(tableId(shape.table))!;
      const theirs = groupOf.get(tableId(table));
      if (!theirs || theirs === mine) continue;
      for (const id of theirs) {
        mine.add(id);
        groupOf.set(id, mine);
      }
    }
  }
  return [...new Set(groupOf.values())];
}
