import { describe, expect, it } from 'vitest';
import { RowBatch, type TableShape } from '@bucardo/plugin-sdk';
import { addDecimal, mergeAdditive } from '../src/run/additive.js';

describe('addDecimal', () => {
  it('adds integers and decimals exactly, with signs', () => {
    expect(addDecimal('5', '-7')).toBe('-2');
    expect(addDecimal('1.50', '2.5')).toBe('4.00');
    expect(addDecimal('-0.1', '0.05')).toBe('-0.05');
    expect(addDecimal('99999999999999999999', '1')).toBe('100000000000000000000');
  });

  it('adds float text (as real and double precision print), NaN and infinities as PostgreSQL does; refuses anything else', () => {
    expect(addDecimal('1.5e-07', '0.5')).toBe('0.50000015');
    expect(addDecimal('1e+20', '1')).toBe('100000000000000000000');
    expect(addDecimal('NaN', '1')).toBe('NaN');
    expect(addDecimal('Infinity', '-5')).toBe('Infinity');
    expect(addDecimal('Infinity', '-Infinity')).toBe('NaN');
    expect(() => addDecimal('1,5', '1')).toThrow(new TypeError('addDecimal: "1,5" is not a number'));
    expect(() => addDecimal('', '1')).toThrow(TypeError);
  });
});

describe('mergeAdditive', () => {
  const shape: TableShape = {
    table: { schema: 'public', name: 'accounts' },
    columns: [{ name: 'id', type: 'integer' }, { name: 'balance', type: 'integer' }, { name: 'note', type: 'text' }],
    key: [{ name: 'id', type: 'integer' }],
    keySource: 'primary key',
    additive: ['balance'],
  };

  it('adds the other candidates\' deltas to the winner\'s value; deletes contribute nothing', () => {
    const winner = RowBatch.fromRows('a', shape, [['1', '110', 'from a'], ['2', '50', 'a2']]);
    const merged = mergeAdditive(winner, new Map([['1', 'a'], ['2', 'a']]), new Map([
      ['1', [{ db: 'a', additive: { balance: '10' } }, { db: 'b', additive: { balance: '-30' } }, { db: 'c', additive: { balance: '5' } }]],
      ['2', [{ db: 'a', additive: { balance: '50' } }, { db: 'b' }]],
    ]), ['balance']);
    expect([...merged.rows()]).toEqual([['1', '85', 'from a'], ['2', '50', 'a2']]);
  });
});
