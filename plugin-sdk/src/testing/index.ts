/**
 * `@bucardo/plugin-sdk/testing`: conformance kits for plugin authors, run with vitest (an optional peer
 * dependency of the SDK: only this entry imports it).
 *
 * - `describeTargetConformance(name, makeTarget, options)`: the scenarios every target must pass.
 * - `describeConflictStrategyConformance(name, strategy, options)`: what every conflict strategy must do.
 * - `describeSourceConformance(name, makeSource, options)`: what every source driver must do.
 *
 * The scenarios are also available as plain runnable objects (`targetScenarios`, `strategyScenarios`),
 * and the kit's tables and rows as fixtures, for readBack implementations and custom tests.
 */
export { describeTargetConformance, targetScenarios, targetScenarioIds } from './target-conformance.js';
export type {
  TargetUnderTest, TargetKitContext, MakeTarget, TargetScenarioId, TargetConformanceOptions, TargetScenario,
} from './target-conformance.js';
export { sameText, stableString } from './read-back.js';
export type { ReadBackRow, ExpectedValue } from './read-back.js';
export { conformanceTables, itemsTable, pairsTable, awkwardTable, awkwardRows, pairRows, postgresDdl, postgresAddColumnsDdl } from './target-fixtures.js';
export {
  describeConflictStrategyConformance, strategyScenarios, kitConflicts, resolveArgs, defaultStrategyDatabases,
} from './strategy-conformance.js';
export type { ConflictStrategyConformanceOptions, ValidateCase, StrategyScenarioId, StrategyScenario } from './strategy-conformance.js';
export { describeSourceConformance, sourceScenarios, sourceScenarioIds, sourceKitTables, postgresWriteSql } from './source-conformance.js';
export type { SourceUnderTest, MakeSource, KitWrite, SourceScenarioId, SourceConformanceOptions } from './source-conformance.js';
