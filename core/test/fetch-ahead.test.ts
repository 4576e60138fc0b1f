import { describe, expect, it } from 'vitest';
import type { FetchedRows, TableBatch, TableShape } from '@bucardo/plugin-sdk';
import { FetchAhead } from '../src/run/fetch-ahead.js';

const shape = { table: { schema: 'public', name: 't' }, columns: [], key: [], keySource: 'primary key' } as unknown as TableShape;
const batch = (): TableBatch => ({ shape, clean: new Map(), conflicts: [] });
const rows = (): FetchedRows => ({ clean: new Map(), candidates: new Map() });

describe('FetchAhead', () => {
  it('reads the next batch (across transactions) as soon as the current one is taken, and each batch once', async () => {
    const [a, b, c] = [batch(), batch(), batch()];
    const started: TableBatch[] = [];
    const ahead = new FetchAhead([[a, b], [c]], async (which) => { started.push(which); return rows(); });
    await ahead.rows(a);
    expect(started).toEqual([a, b]);
    await ahead.rows(b);
    expect(started).toEqual([a, b, c]);
    await ahead.rows(c);
    expect(started).toEqual([a, b, c]);
  });

  it('holds a failed read until its batch is taken; discarding drops it without an unhandled rejection', async () => {
    const [a, b] = [batch(), batch()];
    const ahead = new FetchAhead([[a], [b]], async (which) => {
      if (which === b) throw new Error('source gone');
      return rows();
    });
    await ahead.rows(a);
    await expect(ahead.rows(b)).rejects.toThrow('source gone');
    const again = new FetchAhead([[a], [b]], async (which) => {
      if (which === b) throw new Error('source gone');
      return rows();
    });
    await again.rows(a);
    await again.discard();
    let reads = 0;
    const fresh = new FetchAhead([[a], [b]], async () => { reads++; return rows(); });
    await fresh.rows(a);
    await fresh.discard();
    await fresh.rows(b);
    expect(reads).toBe(3);
  });

  it('reads a batch taken again (a retried transaction) once more, without reading ahead a second time', async () => {
    const [a, b, c] = [batch(), batch(), batch()];
    const started: TableBatch[] = [];
    const ahead = new FetchAhead([[a, b], [c]], async (which) => { started.push(which); return rows(); });
    await ahead.rows(a);
    await ahead.rows(b);
    expect(started).toEqual([a, b, c]);
    // the transaction [a, b] is retried: each is read again; c, already read ahead, is not read twice
    await ahead.rows(a);
    await ahead.rows(b);
    await ahead.rows(c);
    expect(started).toEqual([a, b, c, a, b]);
  });
});

