/**
 * The source kit itself: a correct in-memory source passes every scenario, and each flaw of a flawed one
 * is caught by the scenario meant to catch it.
 */
import { describe, expect, it } from 'vitest';
import { describeSourceConformance, postgresWriteSql, sourceKitTables, sourceScenarios, type SourceScenarioId } from '@bucardo/plugin-sdk/testing';
import { memorySource, type SourceFlaw } from './support/memory-source.js';

describeSourceConformance('memory (reference)', () => memorySource());

async function failing(flaws: SourceFlaw[], partitioned = true): Promise<{ failed: Map<SourceScenarioId, string>; skipped: Map<SourceScenarioId, string> }> {
  const failed = new Map<SourceScenarioId, string>();
  const skipped = new Map<SourceScenarioId, string>();
  for (const scenario of sourceScenarios(() => memorySource(flaws, partitioned))) {
    try {
      const outcome = await scenario.run();
      if (outcome) skipped.set(scenario.id, outcome.skipped);
    } catch (error) {
      failed.set(scenario.id, (error as Error).message);
    }
  }
  return { failed, skipped };
}

const caught: Array<[SourceFlaw, SourceScenarioId[]]> = [
  ['watermark', ['commit-order']],
  ['last-op-only', ['changes']],
  ['no-partition-filter', ['partitions']],
  ['no-newest-overall', ['partitions']],
  ['rereads', ['changes', 'commit-order', 'pending-and-probe']],
  ['probe-always-no', ['pending-and-probe']],
  ['estimates-anything', ['row-estimates']],
  ['foreign-keys-invented', ['foreign-keys']],
  ['lists-capture-tables', ['list-tables']],
];

describe('the source kit catches', () => {
  it.each(caught)('%s', async (flaw, scenarios) => {
    expect([...(await failing([flaw])).failed.keys()].sort()).toEqual([...scenarios].sort());
  });

  it('nothing in a correct source, and skips partitions for a source without partitionedCapture', async () => {
    const { failed, skipped } = await failing([], false);
    expect([...failed.keys()]).toEqual([]);
    expect(Object.fromEntries(skipped)).toEqual({ partitions: 'the source does not declare capabilities.partitionedCapture' });
  });
});

describe('postgresWriteSql', () => {
  it('writes inserts, whole-row updates and deletes by key with quoted identifiers and literals', () => {
    const [items, pairs] = sourceKitTables;
    expect(postgresWriteSql([
      { table: items!, op: 'insert', row: ['1', "it's", null, '1.50'] },
      { table: items!, op: 'update', key: ['1'], row: ['1', 'b\\c', '2', null] },
      { table: pairs!, op: 'delete', key: ["o'ne", '9007199254740993'] },
    ])).toBe([
      `INSERT INTO "public"."kit_items" VALUES ('1', 'it''s', NULL, '1.50');`,
      `UPDATE "public"."kit_items" SET "id" = '1', "name" = 'b\\c', "qty" = '2', "price" = NULL WHERE "id" = '1';`,
      `DELETE FROM "public"."kit_pairs" WHERE "region" = 'o''ne' AND "seq" = '9007199254740993';`,
    ].join('\n'));
  });
});
