import { describe, expect, it } from 'vitest';
import { encodeKey, type PartitionDigests } from '@bucardo/plugin-sdk';
import { Differences, partitionDifferences } from '../src/compare/differences.js';
import { compareKeys } from '../src/compare/key-order.js';
import { inStep } from '../src/compare/partitions.js';

describe('compareKeys', () => {
  it('orders numbers by value, signs and decimals included, beyond a double\'s precision', () => {
    const keys = ['1.5', '-2', '10', '-10', '1.05', '0', '-0.5', '9007199254740993', '9007199254740992', '2'];
    expect([...keys].sort(compareKeys)).toEqual(['-10', '-2', '-0.5', '0', '1.05', '1.5', '2', '10', '9007199254740992', '9007199254740993']);
  });

  it('orders composite keys part by part, numbers before text, text as people sort it', () => {
    const keys = [encodeKey(['1', '-1']), encodeKey(['1', '-5']), encodeKey(['b', '2']), encodeKey(['a10', '1']), encodeKey(['a9', '1']), encodeKey(['10', 'x'])];
    expect([...keys].sort(compareKeys)).toEqual([encodeKey(['1', '-5']), encodeKey(['1', '-1']), encodeKey(['10', 'x']), encodeKey(['a9', '1']), encodeKey(['a10', '1']), encodeKey(['b', '2'])]);
  });

  it('is a total order: equal only for the same text', () => {
    expect(compareKeys('abc', 'abc')).toBe(0);
    expect(compareKeys('a', 'A')).not.toBe(0);
    expect(Math.sign(compareKeys('a', 'A'))).toBe(-Math.sign(compareKeys('A', 'a')));
  });
});

describe('Differences', () => {
  it('counts every difference and keeps the first `keep` keys in key order, whatever order they come in', () => {
    const found = new Differences(3);
    for (const key of ['50', '7', '-3', '12', '8', '100', '-40']) found.add({ key, on: new Map([['B', 'different']]) });
    expect(found.total).toBe(7);
    expect(found.first.map((d) => d.key)).toEqual(['-40', '-3', '7']);
    expect(found.counts.get('B')).toEqual({ missing: 0, extra: 0, different: 7, duplicated: 0 });
  });
});

describe('partitionDifferences', () => {
  it('sets every database against the first: missing, extra, different, and a key held twice as duplicated', () => {
    const part = (keys: string[], digests: string[]): PartitionDigests => ({ partition: 0, keys, digests });
    const differences = partitionDifferences(['A', 'B', 'C'], ['id', 'v'], [
      part(['1', '2', '3'], ['a', 'b', 'c']),
      part(['1', '3', '4'], ['a', 'x', 'd']),
      part(['1', '1', '2', '3'], ['a', 'a', 'b', 'c']),
    ]);
    expect(differences.map((d) => [d.key, Object.fromEntries(d.on)])).toEqual([
      ['1', { C: 'duplicated' }],
      ['2', { B: 'missing' }],
      ['3', { B: 'different' }],
      ['4', { B: 'extra' }],
    ]);
  });

  it('names the columns a different row differs in, where the writer gives column fingerprints', () => {
    const part = (keys: string[], digests: string[], columns: string[][]): PartitionDigests => ({ partition: 0, keys, digests, columns });
    const [difference] = partitionDifferences(['A', 'B', 'C'], ['id', 'v', 'w'], [
      part(['1'], ['a'], [['i1', 'v1', 'w1']]),
      part(['1'], ['b'], [['i1', 'v2', 'w1']]),
      part(['1'], ['c'], [['i1', 'v2', 'w2']]),
    ]);
    expect(Object.fromEntries(difference!.columns!)).toEqual({ B: ['v'], C: ['v', 'w'] });
    const found = new Differences(1);
    found.add(difference!);
    expect(Object.fromEntries([...found.columnCounts].map(([db, counts]) => [db, Object.fromEntries(counts)]))).toEqual({ B: { v: 1 }, C: { v: 1, w: 1 } });
  });
});

describe('inStep', () => {
  async function* stream(parts: number[]): AsyncGenerator<PartitionDigests> {
    for (const partition of parts) yield { partition, keys: [String(partition)], digests: ['d'] };
  }

  it('walks the streams partition by partition, absent where a stream has no rows', async () => {
    const steps: Array<[number, boolean[]]> = [];
    for await (const step of inStep([stream([1, 4, 9]), stream([4, 5]), stream([])])) steps.push([step.partition, step.rows.map((rows) => rows !== undefined)]);
    expect(steps).toEqual([[1, [true, false, false]], [4, [true, true, false]], [5, [false, true, false]], [9, [true, false, false]]]);
  });

  it('when one stream fails, calls stop before waiting for the others, whose pending read it ends', async () => {
    let release: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => { release = resolve; });
    async function* failing(): AsyncGenerator<PartitionDigests> {
      yield { partition: 1, keys: ['1'], digests: ['d'] };
      throw new Error('database A failed');
    }
    async function* slow(): AsyncGenerator<PartitionDigests> {
      yield { partition: 1, keys: ['1'], digests: ['d'] };
      await ended; // a read that only stopping ends
      yield { partition: 2, keys: ['2'], digests: ['d'] };
    }
    let stopped = false;
    const walk = (async () => {
      for await (const _ of inStep([failing(), slow()], () => { stopped = true; release(); })) { /* walk */ }
    })();
    await expect(walk).rejects.toThrow('database A failed');
    expect(stopped).toBe(true);
  });

  it('closes every stream when the walk is broken off', async () => {
    const closed: string[] = [];
    async function* closing(name: string): AsyncGenerator<PartitionDigests> {
      try {
        yield* stream([1, 2, 3]);
      } finally {
        closed.push(name);
      }
    }
    for await (const step of inStep([closing('A'), closing('B')])) if (step.partition === 1) break;
    expect(closed.sort()).toEqual(['A', 'B']);
  });
});
