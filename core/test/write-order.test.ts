/** writeOrder: tables after those their foreign keys point at, herd order otherwise, a cycle kept as given. */
import { describe, expect, it } from 'vitest';
import type { TableShape } from '@bucardo/plugin-sdk';
import { writeOrder } from '../src/run/write-order.js';

const shape = (name: string, ...references: string[]): TableShape => ({
  table: { schema: 'public', name }, columns: [], key: [], keySource: 'primary key',
  ...(references.length > 0 ? { references: references.map((ref) => ({ schema: 'public', name: ref })) } : {}),
});
const names = (shapes: readonly TableShape[]) => shapes.map((s) => s.table.name);

describe('writeOrder', () => {
  it('keeps herd order where no table points at another', () => {
    expect(names(writeOrder([shape('b'), shape('a'), shape('c')]))).toEqual(['b', 'a', 'c']);
  });

  it('puts a three-level chain parents first, the rest in herd order', () => {
    expect(names(writeOrder([shape('items', 'orders'), shape('other'), shape('orders', 'customers'), shape('customers')])))
      .toEqual(['other', 'customers', 'orders', 'items']);
  });

  it('ignores tables outside the herd and a table pointing at itself; keeps a cycle in herd order', () => {
    expect(names(writeOrder([shape('tree', 'tree', 'elsewhere'), shape('x', 'y'), shape('y', 'x')]))).toEqual(['tree', 'x', 'y']);
  });

  it('a table waiting on a cycle comes after the whole cycle, whose tables stay together (their keys go into one transaction)', () => {
    expect(names(writeOrder([shape('c', 'x'), shape('x', 'y'), shape('y', 'x')]))).toEqual(['x', 'y', 'c']);
    // from a review: a cycle pointing (through x) at another cycle; broken at its first table, a2 came before x
    expect(names(writeOrder([shape('a1', 'a2'), shape('a2', 'a1', 'x'), shape('x', 'p1'), shape('p1', 'p2'), shape('p2', 'p1')]))).toEqual(['p1', 'p2', 'x', 'a1', 'a2']);
  });
});
