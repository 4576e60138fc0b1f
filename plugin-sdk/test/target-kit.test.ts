/**
 * The target kit itself: a correct in-memory target passes every scenario, and each flaw of a flawed one
 * is caught by the scenario meant to catch it.
 */
import { describe, expect, it } from 'vitest';
import { tableId, type TableRef, type TableShape, type TargetWriter } from '@bucardo/plugin-sdk';
import { conformanceTables, describeTargetConformance, stableString, targetScenarios, type TargetScenarioId } from '@bucardo/plugin-sdk/testing';
import { memoryTarget, type Flaw } from './support/memory-target.js';

/** The memory target as a receiving source that leaves keys changed locally after the run's guard alone. */
const guarding = { transactions: true, truncate: true, localChangeGuard: true };

describeTargetConformance('memory (reference, with transactions and truncate)', () => memoryTarget());
describeTargetConformance('memory (no transactions, no truncate)', () => memoryTarget([], { transactions: false }));
describeTargetConformance('memory (a skipped scenario)', () => memoryTarget(), { skip: { 'large-batch': 'shown as skipped with this reason' } });
describeTargetConformance('memory (localChangeGuard, needs RunInfo.tables)', () => memoryTarget([], guarding, { needsRunTables: true }));

/** The scenarios that fail for a target, by running them directly. */
async function failing(flaws: Flaw[], capabilities?: Parameters<typeof memoryTarget>[1], behaviour?: Parameters<typeof memoryTarget>[2]): Promise<Map<TargetScenarioId, string>> {
  const failed = new Map<TargetScenarioId, string>();
  for (const scenario of targetScenarios(() => memoryTarget(flaws, capabilities, behaviour))) {
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
  ['caches-columns', ['column-order', 'shape-change']],
  ['privileges-invented', ['capabilities']],
];

describe('the target kit catches', () => {
  it.each(caught)('a target that %s (in %j)', async (flaw, scenarios) => {
    const failed = await failing([flaw]);
    for (const id of scenarios) expect(failed.has(id), `scenario ${id} catches ${flaw}`).toBe(true);
  });

  it('a target that finds its tables in RunInfo.tables by identity (the kit gave no RunInfo.tables, so it passed)', async () => {
    const failed = await failing(['run-tables-by-identity']);
    expect(failed.get('inserts')).toMatch(/public\.kit_items after the first insert/);
  });

  it('nothing in a target that relies on RunInfo.tables, which the core always gives (it failed every scenario)', async () => {
    expect([...await failing([], undefined, { needsRunTables: true })]).toEqual([]);
  });

  it.each([
    ['guard-ignored', /keys changed here after the guard are skipped, and only they/],
    ['guard-skips-every-local-change', /keys changed here after the guard are skipped, and only they/],
  ] as const)('a target with localChangeGuard that %s under a guard (the kit never passed one)', async (flaw, message) => {
    const failed = await failing([flaw], guarding);
    expect([...failed.keys()]).toEqual(['local-change-guard']);
    expect(failed.get('local-change-guard')).toMatch(message);
  });

  it('a target that keeps the first batch\'s columns: values under the wrong columns once a run lists them in another order, or adds one', async () => {
    const failed = await failing(['caches-columns']);
    expect([...failed.keys()]).toEqual(['column-order', 'shape-change']);
    expect(failed.get('column-order')).toContain('public.kit_items after a run whose batches list the columns in another order');
    expect(failed.get('shape-change')).toContain('public.kit_items after a run with a column added');
  });

  it('a target with schema whose describeTable keeps the shape it first saw (the core describes a kept session\'s tables again when they change)', async () => {
    const target = memoryTarget([], { transactions: true, truncate: true, schema: true });
    const first = new Map<string, TableShape>();
    const writer: TargetWriter = { capabilities: target.writer.capabilities, open: async (...args) => {
      const session = await target.writer.open(...args);
      // what a caching describeTable answers: the kit's shape the first time, then the same again
      return Object.assign(session, {
        describeTable: async (table: TableRef) => {
          const id = tableId(table);
          if (!first.has(id)) first.set(id, conformanceTables.find((shape) => tableId(shape.table) === id)!);
          return first.get(id);
        },
      });
    } };
    const [shapeChange] = targetScenarios(() => ({ ...target, writer })).filter((s) => s.id === 'shape-change');
    await expect(shapeChange!.run()).rejects.toThrow(/describeTable\(public\.kit_items\) on the kept session after a column was added/);
  });

  it('says why the shape-change scenario does not apply, rather than passing it', async () => {
    const { reshape: _reshape, ...fixed } = memoryTarget(['caches-columns']);
    const [shapeChange] = targetScenarios(() => fixed).filter((s) => s.id === 'shape-change');
    expect(await shapeChange!.run()).toEqual({ skipped: expect.stringMatching(/no reshape\(\): a table whose shape changes between two runs/) });
  });

  it('says why the guard scenario does not apply, or what of it was not checked', async () => {
    const outcome = async (target: ReturnType<typeof memoryTarget>) => targetScenarios(() => target).find((s) => s.id === 'local-change-guard')!.run();
    const { guard: _guard, writeLocally: _writeLocally, ...plain } = memoryTarget([], guarding);
    expect(await outcome(plain)).toEqual({ skipped: expect.stringMatching(/capabilities.localChangeGuard, but makeTarget gives no guard\(\)/) });
    const { writeLocally: _w, ...guardOnly } = memoryTarget([], guarding);
    expect(await outcome(guardOnly)).toEqual({ skipped: expect.stringMatching(/no writeLocally\(\): guarded writes were checked/) });
    // a guard reaches a target without the capability too (the core gives it to every receiving source): it leaves nothing alone
    expect(await outcome(memoryTarget())).toBeUndefined();
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

  it('says what a target without truncate() does to a sync, where it skips the truncate scenario', async () => {
    const [truncate] = targetScenarios(() => memoryTarget([], { transactions: true })).filter((s) => s.id === 'truncate');
    expect(await truncate!.run()).toEqual({
      skipped: 'capabilities.truncate is false: a TRUNCATE on a source will stop the runs of each sync this target receives from until its plugin has truncate() or the database leaves the sync (bucardo add sync and validate warn of it)',
    });
  });

  it('nothing in a correct target, and says which scenarios do not apply', async () => {
    expect([...await failing([])]).toEqual([]);
    const skipped = [];
    for (const scenario of targetScenarios(() => memoryTarget([], { transactions: false }))) {
      const outcome = await scenario.run();
      if (outcome) skipped.push(scenario.id);
    }
    expect(skipped).toEqual(['rollback', 'truncate', 'row-digests']);
    expect([...await failing([], guarding)]).toEqual([]);
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
