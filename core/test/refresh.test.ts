/**
 * chooseRefreshes: which tables a run copies whole (`refreshAbove`). The sessions are stand-ins for the
 * SDK interfaces (the PostgreSQL side runs end to end in test/e2e/refresh.test.ts): what matters here is
 * the core's rule and when it refuses.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger, type SourceSession, type TableShape, type TargetCapabilities, type TargetSession } from '@bucardo/plugin-sdk';
import type { CopyContext } from '../src/run/copy-phases.js';
import { chooseRefreshes } from '../src/run/refresh.js';
import type { RunSessions } from '../src/run/sessions.js';
import type { SyncPlan } from '../src/run/sync-plan.js';

const shape = (name: string) => ({ table: { schema: 'public', name }, columns: [], key: [{ name: 'id', type: 'integer' }], keySource: 'primary key' }) as unknown as TableShape;
const [big, small, fresh] = [shape('big'), shape('small'), shape('fresh')];

interface Stand {
  readonly sources?: readonly string[];
  readonly estimates?: Record<string, number>;
  readonly canEstimate?: boolean;
  readonly targetCan?: TargetCapabilities;
  readonly onetimecopy?: number;
  /** Distinct changed keys per table (the source's `pendingKeys`); absent: the source cannot count them. */
  readonly keys?: Record<string, number>;
}

function context(stand: Stand = {}): { ctx: CopyContext; asked: string[][]; askedKeys: Array<{ tables: string[]; since: string }> } {
  const sources = stand.sources ?? ['a'];
  const plan = {
    name: 's', onetimecopy: stand.onetimecopy ?? 0,
    databases: [...sources.map((name) => ({ name, role: 'source' })), { name: 't1', role: 'target' }, { name: 't2', role: 'target' }],
  } as unknown as SyncPlan;
  const asked: string[][] = [];
  const askedKeys: Array<{ tables: string[]; since: string }> = [];
  const source = {
    readTable: () => undefined,
    ...(stand.keys === undefined ? {} : {
      pendingKeys: async (args: { tables: TableShape[]; since: string }) => {
        askedKeys.push({ tables: args.tables.map((table) => table.table.name), since: args.since });
        return new Map(Object.entries(stand.keys!).map(([name, n]) => [`public\u0000${name}`, n]));
      },
    }),
    ...(stand.canEstimate === false ? {} : {
      estimateRows: async (tables: Array<{ name: string }>) => {
        asked.push(tables.map((table) => table.name));
        return new Map(Object.entries(stand.estimates ?? { big: 1_000, small: 10 }).map(([name, rows]) => [`public\u0000${name}`, rows]));
      },
    }),
  } as unknown as SourceSession;
  const sessions = {
    source: () => source,
    target: () => ({ truncate: async () => undefined }) as unknown as TargetSession,
    targetCapabilities: () => ({ transactions: true, truncate: true, localChangeGuard: false, schema: true, ...stand.targetCan }),
  } as unknown as RunSessions;
  return { ctx: { plan, sessions, shapes: [big, small, fresh], log: silentLogger } as unknown as CopyContext, asked, askedKeys };
}

/** Pending records of source `a` (and `b`, when a second source is given). */
const pending = (records: Record<string, number>) => new Map(['a', 'b'].map((db) => [db, new Map(Object.entries(records).map(([name, n]) => [`public\u0000${name}`, n]))]));
const names = (shapes: TableShape[]) => shapes.map((chosen) => chosen.table.name);
/** Each source's checkpoint the run starts from. */
const checkpoints = new Map([['a', 'snapshot-a'], ['b', 'snapshot-b']]);

describe('chooseRefreshes', () => {
  it('chooses the tables whose records reach the fraction of their rows, from at least a batch of records, and asks rows only for those', async () => {
    const { ctx, asked } = context({ estimates: { big: 1_000, small: 10, fresh: 50 } });
    // big: 600 records for 1,000 rows; small: 20 for 10 rows, but under the batch of 100; fresh: 400 for 50 rows
    expect(names(await chooseRefreshes(ctx, pending({ big: 600, small: 20, fresh: 400 }), 0.5, 100, checkpoints))).toEqual(['big', 'fresh']);
    expect(asked).toEqual([['big', 'fresh']]);
    expect(names(await chooseRefreshes(ctx, pending({ big: 499 }), 0.5, 100, checkpoints))).toEqual([]);
  });

  it('counts keys where the source can, only for the tables whose records reach the fraction: a few keys changed many times are applied key by key', async () => {
    // big: 600 records about 40 keys; fresh: 400 records about 400 keys; small is under the batch and not asked
    const { ctx, askedKeys } = context({ estimates: { big: 1_000, small: 10, fresh: 50 }, keys: { big: 40, fresh: 400 } });
    expect(names(await chooseRefreshes(ctx, pending({ big: 600, small: 20, fresh: 400 }), 0.5, 100, checkpoints))).toEqual(['fresh']);
    expect(askedKeys).toEqual([{ tables: ['big', 'fresh'], since: 'snapshot-a' }]);
    // keys under the batch: not copied whole, though they reach the fraction of a small table
    const { ctx: smallCtx } = context({ estimates: { small: 100 }, keys: { small: 60 } });
    expect(names(await chooseRefreshes(smallCtx, pending({ small: 300 }), 0.5, 100, checkpoints))).toEqual([]);
    // nothing reaches the fraction by records: no key is counted
    const { ctx: quiet, askedKeys: none } = context({ keys: { big: 1 } });
    expect(names(await chooseRefreshes(quiet, pending({ big: 499 }), 0.5, 100, checkpoints))).toEqual([]);
    expect(none).toEqual([]);
  });

  it('names the source when counting keys fails', async () => {
    const { ctx } = context({ keys: {} });
    (ctx.sessions.source('a') as { pendingKeys: unknown }).pendingKeys = async () => { throw new Error('connection reset'); };
    await expect(chooseRefreshes(ctx, pending({ big: 1_000 }), 0.5, 1, checkpoints)).rejects.toMatchObject({ code: 'CAPTURE_FAILED', subject: { db: 'a', sync: 's' } });
  });

  it('leaves out a table the source has no figure for', async () => {
    const { ctx } = context({ estimates: { big: 1_000 } });
    expect(names(await chooseRefreshes(ctx, pending({ big: 900, fresh: 900 }), 0.5, 1, checkpoints))).toEqual(['big']);
  });

  it.each<[string, Stand]>([
    ['two sources', { sources: ['a', 'b'] }],
    ['a target without transactions', { targetCan: { transactions: false } }],
    ['a target that cannot truncate', { targetCan: { truncate: false } }],
    ['a source that cannot estimate rows', { canEstimate: false }],
    ['a run that has just made its initial copy', { onetimecopy: 1 }],
  ])('chooses nothing, and asks nothing, with %s', async (_, stand) => {
    const { ctx, asked } = context(stand);
    expect(await chooseRefreshes(ctx, pending({ big: 1_000 }), 0.5, 1, checkpoints)).toEqual([]);
    expect(asked).toEqual([]);
  });

  it('chooses nothing without refreshAbove or without counts', async () => {
    const { ctx, asked } = context();
    expect(await chooseRefreshes(ctx, pending({ big: 1_000 }), undefined, 1, checkpoints)).toEqual([]);
    expect(await chooseRefreshes(ctx, undefined, 0.5, 1, checkpoints)).toEqual([]);
    expect(asked).toEqual([]);
  });

  it('names the source when estimating fails', async () => {
    const { ctx } = context();
    (ctx.sessions.source('a') as { estimateRows: unknown }).estimateRows = async () => { throw new Error('connection reset'); };
    await expect(chooseRefreshes(ctx, pending({ big: 1_000 }), 0.5, 1, checkpoints)).rejects.toMatchObject({ code: 'CAPTURE_FAILED', subject: { db: 'a', sync: 's' } });
  });
});
