import type { TableShape } from '@bucardo/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { shapeChange } from '../src/run/table-shapes.js';

const shape = (columns: Array<[string, string]>, key = ['id'], keySource = 'primary key'): TableShape => {
  const list = columns.map(([name, type]) => ({ name, type }));
  return { table: { schema: 'public', name: 't' }, columns: list, key: list.filter((column) => key.includes(column.name)), keySource };
};
const base = shape([['id', 'integer'], ['v', 'text']]);

describe('shapeChange', () => {
  it('is undefined for the same columns, types and key, whatever their order', () => {
    expect(shapeChange(base, shape([['v', 'text'], ['id', 'integer']]))).toBeUndefined();
  });

  it('names added, dropped and retyped columns, and a new key', () => {
    expect(shapeChange(base, shape([['id', 'integer'], ['v', 'text'], ['w', 'text'], ['x', 'int']]))).toBe('gained columns "w", "x"');
    expect(shapeChange(base, shape([['id', 'integer']]))).toBe('lost column "v"');
    expect(shapeChange(base, shape([['id', 'bigint'], ['v', 'text'], ['w', 'date']]))).toBe('gained column "w" and changed the type of "id" (now bigint)');
    expect(shapeChange(base, shape([['id', 'integer'], ['v', 'text']], ['id', 'v'], 'unique index t_id_v'))).toBe('has a new key (id, v, unique index t_id_v)');
    expect(shapeChange(base, shape([['id', 'integer'], ['v', 'text']], [], 'none'))).toBe('lost its key (id, primary key)');
  });

  it('names a foreign key added or dropped: the tables it points at order the run', () => {
    const pointing = (...tables: string[]): TableShape => ({ ...base, references: tables.map((name) => ({ schema: 'public', name })) });
    expect(shapeChange(base, pointing('par'))).toBe('now points at public.par (a foreign key)');
    expect(shapeChange(pointing('par', 'other'), pointing('other'))).toBe('no longer points at public.par (a foreign key)');
    expect(shapeChange(pointing('par'), pointing('par'))).toBeUndefined();
  });

  it('says a table that is gone', () => {
    expect(shapeChange(base, undefined)).toBe('no longer exists');
  });
});
