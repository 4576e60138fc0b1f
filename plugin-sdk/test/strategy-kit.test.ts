/** The conflict strategy kit itself: good strategies pass, and each kind of bad one is caught. */
import { describe, expect, it } from 'vitest';
import { BucardoError, type ConflictStrategy, type Decision, type KeyText } from '@bucardo/plugin-sdk';
import { describeConflictStrategyConformance, kitConflicts, strategyScenarios, type StrategyScenarioId } from '@bucardo/plugin-sdk/testing';

/** Newest change wins, ties to the name that sorts first: order-independent by construction. */
const newestWins: ConflictStrategy = {
  name: 'newest-wins',
  resolve({ conflicts }) {
    return new Map(conflicts.map((conflict) => {
      const best = [...conflict.candidates].sort((a, b) => b.change.changedAt - a.change.changedAt || (a.db < b.db ? -1 : 1))[0]!;
      return [conflict.key, { winner: best.db }];
    }));
  },
};

/** B wins where it is a candidate; other conflicts are declined. */
const preferB: ConflictStrategy = {
  name: 'prefer-b',
  resolve: ({ conflicts }) => new Map(conflicts.filter((c) => c.candidates.some((x) => x.db === 'B')).map((c) => [c.key, { winner: 'B' }])),
  validate({ databases, sync }) {
    if (!databases.some((db) => db.name === 'B')) throw new BucardoError('INVALID_ARGUMENT', `Sync "${sync}" has no database B`, { sync });
  },
};

describeConflictStrategyConformance('newest-wins', newestWins);
describeConflictStrategyConformance('prefer-b', preferB, {
  declines: (conflict) => !conflict.candidates.some((c) => c.db === 'B'),
  validate: {
    accepts: [{ databases: [{ name: 'A', type: 'postgres', role: 'source' }, { name: 'B', type: 'postgres', role: 'source' }], options: [] }],
    rejects: [{ databases: [{ name: 'A', type: 'postgres', role: 'source' }, { name: 'C', type: 'postgres', role: 'source' }], options: [] }],
  },
});

async function failing(strategy: ConflictStrategy, options: Parameters<typeof strategyScenarios>[1] = {}): Promise<Set<StrategyScenarioId>> {
  const failed = new Set<StrategyScenarioId>();
  for (const scenario of strategyScenarios(strategy, options)) {
    try {
      await scenario.run();
    } catch {
      failed.add(scenario.id);
    }
  }
  return failed;
}

const bad: Array<[string, ConflictStrategy, StrategyScenarioId[]]> = [
  ['lets the first candidate win (depends on the order)', { name: 'first', resolve: ({ conflicts }) => new Map(conflicts.map((c) => [c.key, { winner: c.candidates[0]!.db }])) }, ['order']],
  ['draws at random', { name: 'dice', resolve: ({ conflicts }) => new Map(conflicts.map((c) => [c.key, { winner: c.candidates[Math.floor(Math.random() * 1e6) % c.candidates.length]!.db }])) }, ['deterministic']],
  ['names a winner outside the sync', { name: 'stranger', resolve: ({ conflicts }) => new Map(conflicts.map((c) => [c.key, { winner: 'Z' }])) }, ['winners']],
  // the core reads a winner's row to write it to the others: a flat file or MongoDB target cannot give one
  ['lets the first target win, one whose rows cannot be read', { name: 'first-target', resolve: ({ conflicts, databases }) => new Map(conflicts.map((c) => [c.key, { winner: databases.find((db) => db.role === 'target')!.name }])) }, ['winners', 'declines']],
  ['decides keys it was not given', { name: 'greedy', resolve: ({ conflicts }) => new Map<KeyText, Decision>([...conflicts.map((c) => [c.key, { skip: true }] as [KeyText, Decision]), ['not-a-conflict', { skip: true }]]) }, ['decisions']],
  ['marks a decline with undefined', { name: 'undefined', resolve: ({ conflicts }) => new Map(conflicts.map((c) => [c.key, undefined as unknown as Decision])) }, ['decisions']],
  ['declines what it should decide', { name: 'lazy', resolve: () => new Map() }, ['decisions', 'declines']],
  ['decides keys custom code already decided', (() => {
    const all = kitConflicts();
    return { name: 'overrider', resolve: () => new Map(all.map((c) => [c.key, { winner: c.candidates[0]!.db }])) } as ConflictStrategy;
  })(), ['declines']],
  ['changes its inputs', { name: 'sorter', resolve: ({ conflicts }) => new Map(conflicts.map((c) => [c.key, { winner: (c.candidates as unknown as Array<{ db: string }>).sort()[0]!.db }])) }, ['decisions']],
];

describe('the conflict strategy kit catches a strategy that', () => {
  it.each(bad)('%s', async (_, strategy, scenarios) => {
    const failed = await failing(strategy);
    for (const id of scenarios) expect(failed.has(id), `scenario ${id}`).toBe(true);
  });

  it('rejects with something else than a BucardoError, or accepts what it should reject', async () => {
    const plain: ConflictStrategy = { ...preferB, validate: () => { throw new Error('plain'); } };
    const cases = { validate: { rejects: [{ databases: [], options: [] }] } };
    expect(await failing(plain, { ...cases, declines: () => true })).toContain('validate');
    expect(await failing(newestWins, cases)).toContain('validate');
  });

  it('passes good strategies', async () => {
    expect([...await failing(newestWins)]).toEqual([]);
  });

  it('passes a winner that did not change the key when its rows can be read (the core reads them), and names the one it refuses', async () => {
    const readableTarget: ConflictStrategy = { name: 'readable-target', resolve: ({ conflicts, databases }) => new Map(conflicts.map((c) => [c.key, { winner: databases.find((db) => db.role === 'target' && db.readable !== false)!.name }])) };
    expect([...await failing(readableTarget)]).toEqual([]);
    const [winners] = strategyScenarios({ name: 'flat', resolve: ({ conflicts }) => new Map(conflicts.map((c) => [c.key, { winner: 'F' }])) }).filter((s) => s.id === 'winners');
    await expect(winners!.run()).rejects.toThrow(/"F" \(target, type flatfile\) cannot be read from/);
  });
});
