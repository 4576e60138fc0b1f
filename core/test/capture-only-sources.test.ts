/**
 * The core's capture tap reads the sources `RunArgs.onlySources` names, when given: a partitioned run
 * reads the truncated tables whole from the other sources, never again the winner's reloaded table.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger, type RunArgs, type SourceSession } from '@bucardo/plugin-sdk';
import { createSyncHooks } from '../src/hooks.js';
import { tapCoreWork } from '../src/run/core-taps.js';
import { RunRegistry } from '../src/run/run-registry.js';
import type { Registry } from '../src/plugins/registry.js';
import type { RunSessions } from '../src/run/sessions.js';
import type { SyncPlan } from '../src/run/sync-plan.js';

const plan = { name: 's', databases: ['a', 'b', 'c'].map((name) => ({ name, role: name === 'c' ? 'target' : 'source', spec: { name, type: 'pg', params: {} } })) } as unknown as SyncPlan;

function captureOf(onlySources?: readonly string[]): Promise<string[]> {
  const hooks = createSyncHooks();
  const runs = new RunRegistry();
  tapCoreWork(hooks, runs, {} as Registry);
  const captured: string[] = [];
  const sessions = {
    source: (db: string) => ({ capture: async () => { captured.push(db); return { db, checkpoint: `cp-${db}`, tables: new Map() }; } }) as unknown as SourceSession,
  } as unknown as RunSessions;
  runs.add('1', { plan, sessions, checkpoints: new Map([['a', 'x'], ['b', 'y']]) });
  const args = { sync: 's', runId: '1', databases: [], tables: [], log: silentLogger, signal: new AbortController().signal, ...(onlySources ? { onlySources } : {}) } as unknown as RunArgs;
  return hooks.capture.promise({ sources: [] }, args).then((changes) => {
    expect(changes.sources.map((source) => source.db)).toEqual(captured);
    return captured;
  });
}

describe('the capture tap', () => {
  it('reads every source without onlySources, and only those named with it', async () => {
    expect(await captureOf()).toEqual(['a', 'b']);
    expect(await captureOf(['b'])).toEqual(['b']);
  });
});
