/** readAhead: the copy's source is asked for its next batch while the caller works on the current one. */
import { describe, expect, it } from 'vitest';
import { readAhead } from '../src/run/read-ahead.js';

/** A source of `count` items that records what was asked of it; item `failAt` fails. */
function source(count: number, failAt?: number) {
  const log: string[] = [];
  async function* items(): AsyncGenerator<number> {
    try {
      for (let item = 1; item <= count; item++) {
        log.push(`read ${item}`);
        if (item === failAt) throw new Error(`read ${item} failed`);
        yield item;
      }
    } finally {
      log.push('closed');
    }
  }
  return { items: items(), log };
}

describe('readAhead', () => {
  it('yields every item in order, the next one read before the caller has finished with the current', async () => {
    const { items, log } = source(3);
    const seen: number[] = [];
    for await (const item of readAhead(items)) {
      seen.push(item);
      log.push(`use ${item}`);
    }
    expect(seen).toEqual([1, 2, 3]);
    // the source has ended (closed) while the caller still uses the last item
    expect(log).toEqual(['read 1', 'read 2', 'use 1', 'read 3', 'use 2', 'closed', 'use 3']);
  });

  it('a caller that stops early calls stop, lets the read in flight end, then closes the source', async () => {
    const { items, log } = source(5);
    for await (const item of readAhead(items, () => log.push('stop'))) if (item === 2) break;
    expect(log).toEqual(['read 1', 'read 2', 'read 3', 'stop', 'closed']);
  });

  it('a caller that reads to the end does not call stop', async () => {
    const { items, log } = source(2);
    for await (const item of readAhead(items, () => log.push('stop'))) log.push(`use ${item}`);
    expect(log).not.toContain('stop');
  });

  it('a failed read reaches the caller at that item, not before, and none unhandled', async () => {
    const { items } = source(3, 2);
    const seen: number[] = [];
    await expect((async () => { for await (const item of readAhead(items)) seen.push(item); })()).rejects.toThrow('read 2 failed');
    expect(seen).toEqual([1]);
  });
});
