import { describe, expect, it } from 'vitest';
import { Bucardo } from '../src/index.js';
import { badRunSize } from '../src/run/run-sizes.js';

describe('run sizes', () => {
  it.each([
    [{ batchSize: 0 }, { field: 'batchSize', value: 0, rule: 'a whole number above 0' }],
    [{ batchSize: -1 }, { field: 'batchSize', value: -1, rule: 'a whole number above 0' }],
    [{ partitionSize: 2.5 }, { field: 'partitionSize', value: 2.5, rule: 'a whole number above 0' }],
    [{ partitionSize: '1000' }, { field: 'partitionSize', value: '1000', rule: 'a whole number above 0' }],
    [{ batchSize: 10, partitionSize: Number.NaN }, { field: 'partitionSize', value: Number.NaN, rule: 'a whole number above 0' }],
    [{ refreshAbove: 0 }, { field: 'refreshAbove', value: 0, rule: "a number above 0 (a fraction of a table's rows, such as 0.5)" }],
    [{ refreshAbove: -0.5 }, { field: 'refreshAbove', value: -0.5, rule: "a number above 0 (a fraction of a table's rows, such as 0.5)" }],
    [{ refreshAbove: Number.POSITIVE_INFINITY }, { field: 'refreshAbove', value: Number.POSITIVE_INFINITY, rule: "a number above 0 (a fraction of a table's rows, such as 0.5)" }],
    [{ refreshAbove: '0.5' }, { field: 'refreshAbove', value: '0.5', rule: "a number above 0 (a fraction of a table's rows, such as 0.5)" }],
  ])('%j is refused, naming the field', (sizes, bad) => {
    expect(badRunSize(sizes)).toEqual(bad);
  });

  it('accepts whole numbers above 0, a refreshAbove fraction, and no sizes at all', () => {
    expect(badRunSize({ batchSize: 1, partitionSize: 500_000 })).toBeUndefined();
    expect(badRunSize({ refreshAbove: 0.5 })).toBeUndefined();
    expect(badRunSize({ refreshAbove: 2 })).toBeUndefined();
    expect(badRunSize({})).toBeUndefined();
  });

  it('Bucardo.open refuses a bad size before anything is opened (API users have no config file to check it)', async () => {
    await expect(Bucardo.open({ plugins: [], batchSize: -1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT', message: 'batchSize must be a whole number above 0, not -1',
    });
  });
});
