/**
 * The target kit itself: a correct in-memory target passes every scenario, and each flaw of a flawed one
 * is caught by the scenario meant to catch it.
 */
import { describe, expect, it } from 'vitest';
import type { TargetWriter } from '@bucardo/plugin-sdk';
import { describeTargetConformance, stableString, targetScenarios, type TargetScenarioId } from '@bucardo/plugin-sdk/testing';
import { memoryTarget, type Flaw } from './support/memory-target.js';

describeTargetConformance('memory (reference, with transactions and truncate)', () => memoryTarget());
describeTargetConformance('memory (no transactions, no truncate)', () => memoryTarget([], { transactions: false }));
describeTargetConformance('memory (a skipped scenario)', () => memoryTarget(), { skip: { 'large-batch': 'shown as skipped with this reason' } });

/** The scenarios that fail for a target, by running them directly. */
async function failing(flaws: Flaw[], capabilities?: Parameters<typeof memoryTarget>[1]): Promise<Map<TargetScenarioId, string>> {
  const failed = new Map<TargetScenarioId, string>();
  for (const scenario of targetScenarios(() => memoryTarget(flaws, capabilities))) {
    try {
      await scenario.run();
    } catch (error) {
      failed.set(scenario.id, (error as Error).message);
    }
  }
  return failed;
}

const caught: Array<[Flaw, TargetScenarioId[]]> = [
  ['ignores-deletes', ['updates', 'deletes', 'composite-keys', 'replay', 'large-batch']],
  ['null-as-empty', ['updates', 'awkward-values']],
  ['no-rollback', ['rollback']],
  ['appends', ['updates', 'replay', 'awkward-values']],
  ['first-key-part', ['composite-keys']],
  ['wrong-count', ['inserts', 'updates', 'deletes', 'replay']],
  ['loses-backslashes', ['awkward-values']],
  ['drops-second-origin', ['inserts', 'large-batch']],
  ['keeps-rolled-back-on-close', ['run-lifecycle']],
  ['truncate-ignored', ['truncate']],
  ['drops-bad-runs', ['run-lifecycle']],
];

describe('the target kit catches', () => {
  it.each(caught)('a target that %s (in %j)', async (flaw, scenarios) => {
    const failed = await failing([flaw]);
    for (const id of scenarios) expect(failed.has(id), `scenario ${id} catches ${flaw}`).toBe(true);
  });

  it('a target without transactions that drops what a bad run committed (it passed the kit: the check was for transactions only)', async () => {
    const failed = await failing(['drops-bad-runs'], { transactions: false, truncate: true });
    expect(failed.get('run-lifecycle')).toMatch(/after a bad run: its committed transaction kept/);
  });

  it('a target that declares truncate without a truncate()', async () => {
    const target = memoryTarget();
    const writer: TargetWriter = { capabilities: target.writer.capabilities, open: async (...args) => {
      const session = await target.writer.open(...args);
      return {
        begin: (signal) => session.begin(signal), apply: (batch) => session.apply(batch),
        commit: () => session.commit(), rollback: () => session.rollback(), close: () => session.close(),
      };
    } };
    const [truncate] = targetScenarios(() => ({ ...target, writer })).filter((s) => s.id === 'truncate');
    await expect(truncate!.run()).rejects.toThrow(/truncate\(\)/);
  });

  it('nothing in a correct target, and says which scenarios do not apply', async () => {
    expect([...await failing([])]).toEqual([]);
    const skipped = [];
    for (const scenario of targetScenarios(() => memoryTarget([], { transactions: false }))) {
      const outcome = await scenario.run();
      if (outcome) skipped.push(scenario.id);
    }
    expect(skipped).toEqual(['rollback', 'truncate', 'row-digests']);
  });

  it('a failure names the table and the step', async () => {
    const failed = await failing(['null-as-empty']);
    expect(failed.get('awkward-values')).toContain('public.kit_awkward after inserting awkward values');
  });
});

describe('stableString', () => {
  it('is the same for equal values and differs for different ones', () => {
    expect(stableString({ b: 1, a: [1n, null, new Date(0), Uint8Array.of(0, 255)] })).toBe(stableString({ a: [1n, null, new Date(0), Uint8Array.of(0, 255)], b: 1 }));
    expect(stableString('1')).not.toBe(stableString(1));
    expect(stableString({ toJSON: () => ({ $numberDecimal: '1.50' }) })).toBe('Object({"$numberDecimal":"1.50"})');
  });
});
