import { describe, expect, it } from 'vitest';
import { RowBatch, defaultTargetCapabilities, tableId, type ChangeSet, type KeyChange, type TableShape } from '@bucardo/plugin-sdk';
import { planTransactions, sizeOf } from '../src/run/batches.js';
import { foreignKeyLayout, foreignKeysChecked } from '../src/run/foreign-key-layout.js';
import { writeOrder } from '../src/run/write-order.js';
import type { SyncPlan } from '../src/run/sync-plan.js';
import { buildApplyPlan } from '../src/run/apply-plan.js';
import { settle } from '../src/run/settle.js';

const shape: TableShape = {
  table: { schema: 'public', name: 't' },
  columns: [{ name: 'id', type: 'integer' }, { name: 'v', type: 'text' }],
  key: [{ name: 'id', type: 'integer' }],
  keySource: 'primary key',
};
const change = (changedAt: number, lastOp: KeyChange['lastOp'] = 'update'): KeyChange => ({ firstOp: 'update', lastOp, changedAt });
const source = (db: string, keys: Record<string, KeyChange>) => ({
  db, checkpoint: `cp-${db}`, tables: new Map([[tableId(shape.table), { table: shape.table, changes: new Map(Object.entries(keys)) }]]),
});

describe('planTransactions', () => {
  it('splits keys changed on one source (clean) from keys changed on several (conflicts)', () => {
    const changeSet: ChangeSet = { sources: [source('b', { 1: change(5), 2: change(6) }), source('a', { 2: change(7), 3: change(8) })] };
    const [transaction, ...more] = [...planTransactions(changeSet, [shape], 100)];
    expect(more).toEqual([]);
    expect(transaction).toHaveLength(1);
    const batch = transaction![0]!;
    expect(Object.fromEntries(batch.clean)).toEqual({ a: ['3'], b: ['1'] });
    expect(batch.conflicts).toHaveLength(1);
    expect(batch.conflicts[0]).toMatchObject({ key: '2', kind: 'update/update' });
    expect(batch.conflicts[0]!.candidates.map((c) => c.db)).toEqual(['a', 'b']);
  });

  it('bounds every transaction by the batch size, splitting a table across transactions', () => {
    const keys = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [String(i), change(i)]));
    const transactions = [...planTransactions({ sources: [source('a', keys)] }, [shape], 10)];
    expect(transactions.map((t) => t.reduce((n, batch) => n + sizeOf(batch), 0))).toEqual([10, 10, 5]);
    expect(transactions.flat().flatMap((batch) => batch.clean.get('a'))).toHaveLength(25);
  });

  it('yields nothing for an empty change set', () => {
    expect([...planTransactions({ sources: [source('a', {})] }, [shape], 10)]).toEqual([]);
  });
});

describe('planTransactions with foreign keys (ForeignKeyLayout)', () => {
  const table = (name: string, references: string[] = []): TableShape => ({
    ...shape, table: { schema: 'public', name }, ...(references.length ? { references: references.map((ref) => ({ schema: 'public', name: ref })) } : {}),
  });
  const grand = table('grand');
  const parent = table('parent', ['grand']);
  const child = table('child', ['parent']);
  const tree = table('tree', ['tree']);
  const shapes = [grand, parent, child, tree];
  const ops: Record<string, KeyChange['lastOp']> = { u: 'update', d: 'delete' };
  /** Per table, keys as `<key><u|d>`: updated or deleted. */
  const changeSetOf = (perDb: Record<string, Record<string, string>>): ChangeSet => ({
    sources: Object.entries(perDb).map(([db, tables]) => ({
      db, checkpoint: `cp-${db}`,
      tables: new Map(Object.entries(tables).map(([name, keys]) => [tableId({ schema: 'public', name }), {
        table: { schema: 'public', name },
        changes: new Map(keys.split(' ').map((key) => [key.slice(0, -1), change(1, ops[key.at(-1)!])])),
      }])),
    })),
  });
  /** Each transaction as `table:keys` (clean keys, then conflicts' keys in brackets). */
  const describePlan = (transactions: Iterable<ReturnType<typeof planTransactions> extends Generator<infer T> ? T : never>) =>
    [...transactions].map((transaction) => transaction.map((batch) => `${batch.shape.table.name}:${[...batch.clean.values()].flat().join(',')}${batch.conflicts.length ? `[${batch.conflicts.map((c) => c.key).join(',')}]` : ''}`).join(' '));
  const layout = foreignKeyLayout(shapes);

  it('lays nothing out where no receiving database checks foreign keys (a replica, a document store, a file)', () => {
    const none = foreignKeyLayout(shapes, false);
    expect([none.pointedAt.size, none.cycles.size]).toEqual([0, 0]);
    const plan = (roles: string[]) => ({ databases: roles.map((role, i) => ({ name: `d${i}`, role })) }) as unknown as SyncPlan;
    const checks = (names: string[]) => ({ targetCapabilities: (db: string) => ({ ...defaultTargetCapabilities, foreignKeys: names.includes(db) }) });
    expect(foreignKeysChecked(plan(['source', 'target']), checks(['d1']))).toBe(true);
    expect(foreignKeysChecked(plan(['source', 'target']), checks(['d0']))).toBe(false);
    // a lone source receives nothing; beside another, it does
    expect(foreignKeysChecked(plan(['source', 'source']), checks(['d0']))).toBe(true);
  });

  it('finds the tables pointed at, and the cycles among them: a tree, two tables pointing at each other', () => {
    expect([...layout.pointedAt].sort()).toEqual(['public.grand', 'public.parent', 'public.tree'].map((name) => tableId({ schema: 'public', name: name.slice(7) })).sort());
    expect([...layout.cycles]).toEqual([[tableId(tree.table), 0]]);
    const ca = table('ca', ['cb']);
    const cb = table('cb', ['ca', 'grand']);
    const both = foreignKeyLayout([grand, ca, parent, cb]);
    expect([...both.cycles].sort()).toEqual([[tableId(ca.table), 0], [tableId(cb.table), 0]]);
  });

  it('a cycle pointing at a table pointing at another cycle: every table after those it points at (from a review)', () => {
    const shapesInHerd = [table('a1', ['a2']), table('a2', ['a1', 'x']), table('x', ['p1']), table('p1', ['p2']), table('p2', ['p1'])];
    const ordered = writeOrder(shapesInHerd);
    const changes = changeSetOf({ a: { a1: '1u', a2: '1u', x: '1u 2u', p1: '1u', p2: '1u' } });
    expect(describePlan(planTransactions(changes, ordered, 2, { layout: foreignKeyLayout(ordered), kept: true, lost: true }))).toEqual(['p1:1 p2:1', 'x:1,2', 'a1:1 a2:1']);
  });

  it('plans the tables of a cycle together, uncut, where its first one comes', () => {
    const ca = table('ca', ['cb']);
    const cb = table('cb', ['ca']);
    const cycleShapes = [ca, child, cb];
    const changes = changeSetOf({ a: { ca: '1u 2u 3u', child: '1u 2u 3u 4u', cb: '1u 2u 3u 4d' } });
    expect(describePlan(planTransactions(changes, cycleShapes, 2, { layout: foreignKeyLayout(cycleShapes), kept: true, lost: true }))).toEqual([
      'ca:1,2,3 cb:1,2,3',
      'child:1,2',
      'child:3,4',
      'cb:4',
    ]);
  });

  it('plans the keys pointed-at tables lose after every other key, in reverse table order; a tree whole', () => {
    const changes = changeSetOf({ a: { grand: '1d 2u', parent: '1d 2u 3d', child: '1d 2d 3u', tree: '1d 2d 3d 4u' } });
    expect(describePlan(planTransactions(changes, shapes, 3, { layout, kept: true, lost: true }))).toEqual([
      'grand:2 parent:2 child:1',
      'child:2,3 tree:4',
      'tree:1,2,3',
      'parent:1,3 grand:1',
    ]);
    // without sections, as before: each table's keys in its place
    expect(describePlan(planTransactions(changes, shapes, 3))).toEqual(['grand:1,2 parent:1', 'parent:2,3 child:1', 'child:2,3 tree:1', 'tree:2,3,4']);
  });

  it('in a partitioned run, the first partition plans what they keep, the last what they lose', () => {
    const changes = changeSetOf({ a: { grand: '1d 2u', parent: '1d 2u' } });
    expect(describePlan(planTransactions(changes, shapes, 10, { layout, kept: true, lost: false }))).toEqual(['grand:2 parent:2']);
    expect(describePlan(planTransactions(changes, shapes, 10, { layout, kept: false, lost: true }))).toEqual(['parent:1 grand:1']);
  });

  it('a conflict is lost when a source deleted the key; a table\'s lost keys join its kept ones in a transaction', () => {
    const changes = changeSetOf({ a: { parent: '1d 2d 3u 5u' }, b: { parent: '1d 2u 4u 5u' } });
    expect(describePlan(planTransactions(changes, shapes, 10, { layout, kept: true, lost: true }))).toEqual(['parent:3,4[5,1,2]']);
    expect(describePlan(planTransactions(changes, shapes, 10, { layout, kept: true, lost: false }))).toEqual(['parent:3,4[5]']);
    expect(describePlan(planTransactions(changes, shapes, 10, { layout, kept: false, lost: true }))).toEqual(['parent:[1,2]']);
  });

  it('leaves out the kept keys of the tables written before a truncate\'s step (keptWritten), not the keys they lose', () => {
    const changes = changeSetOf({ a: { grand: '1d 2u', parent: '1d 2u', child: '1u' } });
    const keptWritten = new Set([tableId(grand.table), tableId(parent.table)]);
    expect(describePlan(planTransactions(changes, shapes, 10, { layout, kept: true, lost: true, keptWritten }))).toEqual(['child:1 parent:1 grand:1']);
  });
});

describe('buildApplyPlan', () => {
  it('sends each key to every database except its winner, with the winner\'s image', () => {
    const changeSet: ChangeSet = { sources: [source('a', { 1: change(1), 2: change(9) }), source('b', { 2: change(3), 3: change(4, 'delete') })] };
    const batch = [...planTransactions(changeSet, [shape], 100)][0]![0]!;
    const rows = {
      clean: new Map([['a', RowBatch.fromRows('a', shape, [['1', 'from a']])], ['b', RowBatch.empty('b', shape)]]),
      candidates: new Map([['a', RowBatch.fromRows('a', shape, [['2', 'a wins']])], ['b', RowBatch.fromRows('b', shape, [['2', 'b loses']])]]),
    };
    const databases = [{ name: 'a', type: 'postgres', role: 'source' as const }, { name: 'b', type: 'postgres', role: 'source' as const }, { name: 'c', type: 'postgres', role: 'target' as const }];
    const settlement = settle(batch.conflicts, new Map([['2', { winner: 'a' }]]), databases, 's', 'latest', false);
    const plan = buildApplyPlan(batch, rows, settlement, new Map(), databases, new Map([['a', 'ga'], ['b', 'gb']]), new AbortController().signal);
    const rowsFor = (db: string) => plan.perDatabase.get(db)!.rows.flatMap((rowBatch) => [...rowBatch.rows()]);
    expect(plan.perDatabase.get('a')!.deletes).toEqual(['3']);
    expect(rowsFor('a')).toEqual([]);
    expect(plan.perDatabase.get('a')!.guard).toBe('ga');
    expect([...plan.perDatabase.get('b')!.deletes].sort()).toEqual(['1', '2']);
    expect(rowsFor('b')).toEqual([['1', 'from a'], ['2', 'a wins']]);
    expect([...plan.perDatabase.get('c')!.deletes].sort()).toEqual(['1', '2', '3']);
    expect(plan.perDatabase.get('c')!.guard).toBeUndefined();
    expect(plan.rowsMoved).toBe(2);
  });
});

describe('settle', () => {
  const databases = [{ name: 'a', type: 'postgres', role: 'source' as const }, { name: 'b', type: 'postgres', role: 'source' as const }];
  const conflicts = [...planTransactions({ sources: [source('a', { 1: change(1), 2: change(2) }), source('b', { 1: change(3), 2: change(4) })] }, [shape], 100)][0]![0]!.conflicts;

  it('records every decision for the audit, skipped ones without a winner', () => {
    const settlement = settle(conflicts, new Map<string, import('@bucardo/plugin-sdk').Decision>([['1', { winner: 'b', by: 'latest' }], ['2', { skip: true }]]), databases, 's', 'latest', false);
    expect([...settlement.winners]).toEqual([['1', 'b']]);
    expect([...settlement.skipped]).toEqual(['2']);
    expect(settlement.records.map((r) => [r.key, r.winner, r.outcome, r.decidedBy])).toEqual([['1', 'b', 'applied', 'latest'], ['2', null, 'skipped', 'latest']]);
  });

  it('fails on abort naming the keys, and on a missing decision or a foreign winner', () => {
    expect(() => settle(conflicts, new Map([['1', { abort: 'x' }], ['2', { winner: 'a' }]]), databases, 's', 'abort', false))
      .toThrow(expect.objectContaining({ code: 'CONFLICT_ABORT', key: '1' }));
    expect(() => settle(conflicts, new Map([['1', { winner: 'a' }]]), databases, 's', 'latest', false))
      .toThrow(expect.objectContaining({ code: 'CONFLICT_UNRESOLVED', key: '2' }));
    expect(() => settle(conflicts, new Map([['1', { winner: 'z' }], ['2', { winner: 'a' }]]), databases, 's', 'latest', false))
      .toThrow(expect.objectContaining({ code: 'CONFLICT_UNRESOLVED', db: 'z' }));
  });
});
