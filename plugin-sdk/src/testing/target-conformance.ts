/**
 * `describeTargetConformance`: the scenarios every target must pass, driven only through the
 * `TargetWriter`/`TargetSession` interfaces with `RowBatch` inputs the kit builds, and checked through
 * the `readBack` callback the target's author supplies.
 */
import { silentLogger, type Logger } from '../logger.js';
import type { TableRef, TableShape } from '../table.js';
import type { DatabaseSpec, TargetWriter } from '../database.js';
import type { Checkpoint } from '../changes.js';
import type { TextValue } from '../copy-text.js';
import { sameText, type ExpectedValue, type ReadBackRow } from './read-back.js';
import { conformanceTables } from './target-fixtures.js';
import { TargetHarness } from './target-harness.js';
import { targetScenarioBodies } from './target-scenarios.js';
import { registerScenarios } from './register-scenarios.js';

/** What `makeTarget` returns for one scenario: the writer, where it writes, and how to read it back. */
export interface TargetUnderTest {
  /** The writer, as the plugin registers it (`driver.target`). */
  readonly writer: TargetWriter;
  /** The database to open, with its parameters already normalised (`driver.normalizeParams`). */
  readonly spec: DatabaseSpec;
  /**
   * Every row the target holds for `table` now, as text values in `shape.columns` order (a PostgreSQL
   * database, a replayed file) or as records by column name (documents; fields that are not columns, such
   * as `_id`, are ignored). `shape` is the table's shape on the target now: the kit's own (in
   * `context.tables`), or the one `reshape` gave it. Called after the runs it checks have ended, with every
   * session closed or idle.
   */
  readBack(table: TableRef, shape: TableShape): Promise<readonly ReadBackRow[]>;
  /** Frees what `makeTarget` made (a database, a directory). Called once, after the scenario. Optional. */
  dispose?(): Promise<void>;
  /**
   * For a target that can also be a source of a sync (the core then gives it, as a receiving source, the
   * checkpoint of its own capture in the run as `ApplyBatch.guard`): a checkpoint of this database's change
   * capture taken now, capture installed on `context.tables` first if need be. The `local-change-guard`
   * scenario takes one at the start of each run, after `beginRun`, as the core captures, and passes it with
   * every apply of the run. Optional; without it that scenario does not apply.
   */
  guard?(): Promise<Checkpoint>;
  /**
   * Writes these rows (values in `shape.columns` order, each key's row replaced) on the database as a user
   * would, outside any target session and committed, so that its capture records them: the
   * `local-change-guard` scenario checks that a key changed here after the run's guard is left alone
   * (a target with `localChangeGuard`). Optional; without it that part is not checked.
   */
  writeLocally?(shape: TableShape, rows: readonly (readonly TextValue[])[]): Promise<void>;
  /**
   * Changes a table's shape on the database from `from` to `to`, as a user does between two runs: the kit
   * adds columns at the end (`postgresAddColumnsDdl(from, to)` gives PostgreSQL's ALTER TABLE). A store
   * without table shapes (documents, files) has nothing to change and returns. Optional; without it the
   * `shape-change` scenario does not apply.
   */
  reshape?(from: TableShape, to: TableShape): Promise<void>;
}

/** What `makeTarget` is told about the scenario it makes a target for. */
export interface TargetKitContext {
  /**
   * The tables the scenario writes (schema `public`; types as PostgreSQL's `format_type()` prints them).
   * Targets that need tables to exist create them (`postgresDdl(context.tables)`).
   */
  readonly tables: readonly TableShape[];
  /** A name unique to this scenario in this process, of lower-case letters, digits and `_`: for a database, a directory, a prefix. */
  readonly id: string;
  /** The scenario the target is for. */
  readonly scenario: TargetScenarioId;
}

/** Makes a fresh, empty target for one scenario. */
export type MakeTarget = (context: TargetKitContext) => TargetUnderTest | Promise<TargetUnderTest>;

/** The scenarios of the target kit, by id (for `options.skip`). */
export const targetScenarioIds = [
  'capabilities', 'inserts', 'updates', 'deletes', 'composite-keys', 'awkward-values', 'empty-batches', 'large-batch',
  'replay', 'rollback', 'failed-batch', 'run-lifecycle', 'column-order', 'shape-change', 'truncate', 'row-digests', 'local-change-guard',
] as const;

/** The id of a target kit scenario. */
export type TargetScenarioId = (typeof targetScenarioIds)[number];

/** Options of `describeTargetConformance`. */
export interface TargetConformanceOptions {
  /**
   * What the target stores for a text value of a column, as `readBack` returns it. Default: the text
   * itself (targets that keep PostgreSQL's text, like a PostgreSQL database or a file replayed into one).
   * A target that converts values (MongoDB: numbers, dates, binary) maps the text the same way here.
   */
  readonly expectedValue?: ExpectedValue;
  /**
   * Check rollback as if `capabilities.transactions` were this value. For a target whose flag is static
   * but whose test server has transactions (a MongoDB replica set). Default: the writer's flag.
   */
  readonly transactions?: boolean;
  /** Scenarios to leave out, each with the reason, which the test report shows. */
  readonly skip?: Readonly<Partial<Record<TargetScenarioId, string>>>;
  /** Timeout of each scenario in milliseconds (vitest's default otherwise). */
  readonly timeout?: number;
  /** The logger sessions are opened with. Default: silent. */
  readonly log?: Logger;
}

/** One scenario, runnable without vitest's `it` (the kit's own tests run them directly). */
export interface TargetScenario {
  /** The scenario's id (as in `options.skip`). */
  readonly id: TargetScenarioId;
  /** The test title. */
  readonly title: string;
  /**
   * Makes a target, runs the scenario against it, and disposes of it. Resolves with a reason when the
   * scenario does not apply to this target (a capability it lacks), and rejects when the target fails it.
   */
  run(): Promise<{ readonly skipped: string } | undefined>;
}

let scenarioCounter = 0;

/** The kit's scenarios for one target, in order, as plain runnable objects. */
export function targetScenarios(makeTarget: MakeTarget, options: TargetConformanceOptions = {}): TargetScenario[] {
  return targetScenarioBodies.map(({ id, title, body }) => ({
    id,
    title,
    async run() {
      scenarioCounter += 1;
      const context: TargetKitContext = {
        tables: conformanceTables, scenario: id,
        id: `kit_${id.replace(/-/g, '_')}_${scenarioCounter}_${Math.random().toString(36).slice(2, 8)}`,
      };
      const harness = new TargetHarness(await makeTarget(context), {
        expectedValue: options.expectedValue ?? sameText, tables: context.tables,
        log: options.log ?? silentLogger,
        ...(options.transactions === undefined ? {} : { transactions: options.transactions }),
      });
      let skipped: string | undefined | void;
      try {
        skipped = await body(harness);
      } catch (error) {
        // the scenario's failure is the news; a failure to clean up after it is not
        await harness.dispose().catch(() => undefined);
        throw error;
      }
      await harness.dispose();
      return skipped === undefined ? undefined : { skipped };
    },
  }));
}

/**
 * Registers the target kit with vitest: a `describe` block named after the target with one test per
 * scenario. `makeTarget` is called once per scenario and must return an empty target.
 *
 * ```ts
 * describeTargetConformance('jsonl', async ({ id }) => {
 *   const dir = await mkdtemp(join(tmpdir(), id));
 *   const spec = { name: 'j1', type: 'jsonl', params: { dir } };
 *   return { writer: jsonlWriter, spec, readBack: (table) => readJsonl(dir, table), dispose: () => rm(dir, { recursive: true }) };
 * });
 * ```
 */
export function describeTargetConformance(name: string, makeTarget: MakeTarget, options: TargetConformanceOptions = {}): void {
  registerScenarios(`${name}: target conformance`, targetScenarios(makeTarget, options), options);
}
