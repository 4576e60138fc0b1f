/** describeAll: the core's one way to describe a sync's tables on a database, batched or one by one. */
import { describe, expect, it } from 'vitest';
import type { TableRef, TableShape } from '@bucardo/plugin-sdk';
import { describeAll } from '../src/run/table-shapes.js';

const a: TableRef = { schema: 'public', name: 'a' };
const b: TableRef = { schema: 'public', name: 'b' };
const c: TableRef = { schema: 'other', name: 'c' };
const shapeOf = (table: TableRef): TableShape => ({ table, columns: [{ name: 'id', type: 'integer' }], key: [{ name: 'id', type: 'integer' }], keySource: 'primary key' });

describe('describeAll', () => {
  it('asks describeTables once when the session has it', async () => {
    const calls: TableRef[][] = [];
    const session = {
      describeTable: () => Promise.reject(new Error('not this one')),
      describeTables: (tables: readonly TableRef[]) => { calls.push([...tables]); return Promise.resolve(tables.map((t) => (t.name === 'b' ? undefined : shapeOf(t)))); },
    };
    expect(await describeAll(session, [a, b, c], 'db1')).toEqual([shapeOf(a), undefined, shapeOf(c)]);
    expect(calls).toEqual([[a, b, c]]);
  });

  it('asks describeTable table by table otherwise, and gives undefined everywhere without either', async () => {
    const asked: string[] = [];
    const session = { describeTable: (t: TableRef) => { asked.push(t.name); return Promise.resolve(t.name === 'c' ? undefined : shapeOf(t)); } };
    expect(await describeAll(session, [a, b, c], 'db1')).toEqual([shapeOf(a), shapeOf(b), undefined]);
    expect(asked).toEqual(['a', 'b', 'c']);
    expect(await describeAll({}, [a, b], 'db1')).toEqual([undefined, undefined]);
  });

  it('refuses an answer that does not line up with the tables, naming the database', async () => {
    const short = { describeTables: () => Promise.resolve([shapeOf(a)]) };
    await expect(describeAll(short, [a, b], 'db1')).rejects.toMatchObject({
      code: 'PLUGIN_ERROR', db: 'db1', message: 'describeTables on database "db1" did not answer table by table: 1 answers for 2 tables',
    });
    const swapped = { describeTables: () => Promise.resolve([shapeOf(b), shapeOf(a)]) };
    await expect(describeAll(swapped, [a, b], 'db2')).rejects.toMatchObject({
      code: 'PLUGIN_ERROR', message: 'describeTables on database "db2" did not answer table by table: 2 answers for 2 tables, the answer for "public.a" describes "public.b"',
    });
  });
});
