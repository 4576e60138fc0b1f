/**
 * The SDK's conflict strategy kit against every standard strategy: the same winner whatever the order
 * of the candidates, the same decision twice, decisions only for the conflicts given, winners among the
 * sync's databases, declines where a strategy has them, and validate() where it checks a sync.
 */
import type { SyncDatabase } from '@bucardo/plugin-sdk';
import { describeConflictStrategyConformance } from '@bucardo/plugin-sdk/testing';
import { abort, byChance, byOrder, bySource, byTarget, latest, latestTable, skip, standardStrategies } from '../src/index.js';
import { describe, expect, it } from 'vitest';

const db = (name: string, role: SyncDatabase['role'] = 'source'): SyncDatabase => ({ name, type: 'postgres', role });
const sourcesOnly = [db('A'), db('B'), db('C')];
const withTarget = [...sourcesOnly, db('T', 'target')];

describeConflictStrategyConformance('latest', latest);
describeConflictStrategyConformance('latest_table', latestTable);
// a list of databases: the first listed that changed the key wins; conflicts among unlisted ones are declined
describeConflictStrategyConformance('order (conflict="C A")', byOrder, {
  options: ['C', 'A'],
  validate: {
    accepts: [{ databases: withTarget, options: ['C', 'A'] }, { databases: withTarget, options: ['T'] }],
    rejects: [{ databases: withTarget, options: [] }, { databases: withTarget, options: ['C', 'X'] }],
  },
});
describeConflictStrategyConformance('order (conflict="C": A against B is declined)', byOrder, {
  options: ['C'],
  declines: (conflict) => !conflict.candidates.some((candidate) => candidate.db === 'C'),
});
describeConflictStrategyConformance('source', bySource);
describeConflictStrategyConformance('target', byTarget, {
  validate: { accepts: [{ databases: withTarget, options: [] }], rejects: [{ databases: sourcesOnly, options: [] }] },
});
describeConflictStrategyConformance('random', byChance);
describeConflictStrategyConformance('random (seeded)', byChance, { options: ['42'] });
describeConflictStrategyConformance('skip', skip);
describeConflictStrategyConformance('abort', abort);

describe('the standard strategies', () => {
  it('are all run through the kit above', () => {
    expect(standardStrategies.map((strategy) => strategy.name).sort())
      .toEqual(['abort', 'latest', 'latest_table', 'order', 'random', 'skip', 'source', 'target']);
  });
});
