import { describe, expect, it } from 'vitest';
import { tableId, type TableShape } from '@bucardo/plugin-sdk';
import { foreignKeyLayout } from '../src/run/foreign-key-layout.js';
import { pointedAtFirst } from '../src/run/pointed-at-first.js';
import { writeOrder } from '../src/run/write-order.js';

const table = (name: string, references: string[] = []): TableShape => ({
  table: { schema: 'public', name },
  columns: [{ name: 'id', type: 'integer' }],
  key: [{ name: 'id', type: 'integer' }],
  keySource: 'primary key',
  ...(references.length ? { references: references.map((ref) => ({ schema: 'public', name: ref })) } : {}),
});
const ids = (...names: string[]) => new Set(names.map((name) => tableId({ schema: 'public', name })));
const names = (shapes: readonly TableShape[]) => shapes.map((shape) => shape.table.name);

describe('pointedAtFirst', () => {
  // chi → par → gpar; chi → tree (pointing at itself); other → par; out → a table not in the sync
  const shapes = writeOrder([table('chi', ['par', 'tree']), table('gpar'), table('par', ['gpar']), table('tree', ['tree']), table('other', ['par']), table('out', ['elsewhere'])]);
  const layout = foreignKeyLayout(shapes);

  it('is the tables the late writes point at, directly or through one another, in write order; a cycle too', () => {
    expect(names(pointedAtFirst(shapes, ids('chi'), ids('chi'), layout))).toEqual(['gpar', 'par', 'tree']);
    // nothing points from other's late writes at chi or tree
    expect(names(pointedAtFirst(shapes, ids('other'), ids('other'), layout))).toEqual(['gpar', 'par']);
    expect(names(pointedAtFirst(shapes, ids('out', 'gpar'), ids('out', 'gpar'), layout))).toEqual([]);
  });

  it('leaves out a truncated table, and every table reaching one: its rows are on the other databases only after the truncates\' step', () => {
    expect(names(pointedAtFirst(shapes, ids('chi'), ids('chi', 'gpar'), layout))).toEqual(['tree']);
    expect(names(pointedAtFirst(shapes, ids('chi'), ids('chi', 'par'), layout))).toEqual(['gpar', 'tree']);
  });

  it('is empty where no receiving database checks foreign keys', () => {
    expect(pointedAtFirst(shapes, ids('chi'), ids('chi'), foreignKeyLayout(shapes, false))).toEqual([]);
  });
});
