/**
 * How many key partitions a run cuts its capture into, from what its sources say is pending. The source
 * sessions here are stand-ins for the SourceSession interface (the PostgreSQL side is tested end to end in
 * partitioned-run.test.ts): what matters is the core's rule.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger, type SourceCapabilities, type SourceSession, type TableShape } from '@bucardo/plugin-sdk';
import { canPartition, partitionCount, pendingRecords } from '../src/run/partitions.js';
import type { RunSessions } from '../src/run/sessions.js';
import type { SyncPlan } from '../src/run/sync-plan.js';

const shape = { table: { schema: 'public', name: 't' }, columns: [], key: [], keySource: 'primary key' } as unknown as TableShape;
const plan = {
  name: 's', databases: [
    { name: 'a', role: 'source', spec: { name: 'a', type: 'x', params: {} } },
    { name: 'b', role: 'source', spec: { name: 'b', type: 'x', params: {} } },
    { name: 'c', role: 'target', spec: { name: 'c', type: 'x', params: {} } },
  ],
} as unknown as SyncPlan;
const checkpoints = new Map([['a', 'cp-a'], ['b', 'cp-b']]);

/** Sources with these pending counts and capabilities; records which were asked. */
function sessions(pending: Record<string, number | Error>, capabilities: Record<string, SourceCapabilities>) {
  const asked: string[] = [];
  const stand = {
    sourceCapabilities: (db: string) => capabilities[db] ?? {},
    source: (db: string) => ({
      pending: async ({ since }: { since: string }) => {
        asked.push(`${db}@${since}`);
        const count = pending[db]!;
        if (count instanceof Error) throw count;
        return new Map([['public.t', count]]);
      },
    }) as unknown as SourceSession,
  } as unknown as RunSessions;
  return { stand, asked };
}

const able = { partitionedCapture: true };

describe('partitionCount', () => {
  it('cuts the records of every source together into partitions of at most partitionSize', async () => {
    const { stand, asked } = sessions({ a: 2_500, b: 600 }, { a: able, b: able });
    const pending = await pendingRecords(plan, stand, [shape], checkpoints);
    expect(asked.sort()).toEqual(['a@cp-a', 'b@cp-b']);
    expect(partitionCount(plan, stand, pending, 1_000, silentLogger)).toBe(4);
    const few = sessions({ a: 500, b: 500 }, { a: able, b: able }).stand;
    expect(partitionCount(plan, few, await pendingRecords(plan, few, [shape], checkpoints), 1_000, silentLogger)).toBe(1);
  });

  it('does not cut at all when one source cannot capture in partitions', async () => {
    const { stand } = sessions({ a: 2_500, b: 600 }, { a: able });
    expect(canPartition(plan, stand)).toBe(false);
    expect(partitionCount(plan, stand, await pendingRecords(plan, stand, [shape], checkpoints), 1_000, silentLogger)).toBe(1);
    expect(partitionCount(plan, stand, undefined, 1_000, silentLogger)).toBe(1);
  });

  it('counts nothing when a source cannot count', async () => {
    const { stand } = sessions({ a: 2_500, b: 600 }, { a: able, b: able });
    const source = stand.source.bind(stand);
    const withoutCount = { ...stand, source: (db: string) => (db === 'b' ? ({} as SourceSession) : source(db)) } as unknown as RunSessions;
    expect(await pendingRecords(plan, withoutCount, [shape], checkpoints)).toBeUndefined();
  });

  it('names the source whose count failed', async () => {
    const { stand } = sessions({ a: 10, b: new Error('connection reset') }, { a: able, b: able });
    await expect(pendingRecords(plan, stand, [shape], checkpoints)).rejects.toMatchObject({ code: 'CAPTURE_FAILED', subject: { db: 'b', sync: 's' } });
  });
});
