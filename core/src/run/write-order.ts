import { dependencyOrder, tableId, type TableShape } from '@bucardo/plugin-sdk';

/**
 * The order a run writes tables in: each after the tables its foreign keys point at (`shape.references`,
 * as the first source describes them), so that a new child row finds its new parent, whatever order the
 * tables were added to the herd in (in name order, `order_items` comes before `orders`). Otherwise herd
 * order (`dependencyOrder`: a cycle broken at its first member another waits for). The keys a parent loses are planned after every other key
 * (`foreign-key-layout.ts`), and the postgres target holds them until the transaction's tables are written. The run plans its transactions in this order
 * (`delta-phase.ts`), and a resume point records it.
 */
export function writeOrder(shapes: readonly TableShape[]): TableShape[] {
  if (!shapes.some((shape) => (shape.references?.length ?? 0) > 0)) return [...shapes];
  const index = new Map(shapes.map((shape, i) => [tableId(shape.table), i]));
  const waitsFor = shapes.map((shape) => new Set((shape.references ?? [])
    .map((table) => index.get(tableId(table)))
    .filter((i): i is number => i !== undefined && tableId(shapes[i]!.table) !== tableId(shape.table))));
  return dependencyOrder(waitsFor).map((i) => shapes[i]!);
}
