import { dependencyOrder, tableId, type TableShape } from '@bucardo/plugin-sdk';
import { stronglyConnected } from './foreign-key-layout.js';

/**
 * The order a run writes tables in: each after the tables its foreign keys point at (`shape.references`,
 * as the first source describes them), so that a new child row finds its new parent, whatever order the
 * tables were added to the herd in (in name order, `order_items` comes before `orders`). Otherwise herd
 * order. The tables of a cycle of foreign keys come together, in herd order. The keys a parent loses are planned after every other key
 * (`foreign-key-layout.ts`), and the postgres target holds them until the transaction's tables are written. The run plans its transactions in this order
 * (`delta-phase.ts`), and a resume point records it.
 */
export function writeOrder(shapes: readonly TableShape[]): TableShape[] {
  if (!shapes.some((shape) => (shape.references?.length ?? 0) > 0)) return [...shapes];
  const index = new Map(shapes.map((shape, i) => [tableId(shape.table), i]));
  const pointsAt = shapes.map((shape) => [...new Set((shape.references ?? []).map((table) => index.get(tableId(table))).filter((i): i is number => i !== undefined))]);
  // a cycle's tables stay together (its keys go into one transaction): the order is over whole cycles,
  // each in herd order, and cycles and tables in herd order where nothing else decides
  const components = stronglyConnected(pointsAt).sort((a, b) => a[0]! - b[0]!);
  const componentOf: number[] = [];
  for (const [c, members] of components.entries()) for (const i of members) componentOf[i] = c;
  const waitsFor = components.map((members, c) => new Set(members.flatMap((i) => pointsAt[i]!.map((j) => componentOf[j]!)).filter((other) => other !== c)));
  return dependencyOrder(waitsFor).flatMap((c) => components[c]!.map((i) => shapes[i]!));
}
