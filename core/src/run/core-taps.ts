import { BucardoError, formatTable, toBucardoError, type ApplyResult, type Decisions, type KeyText, type RowBatch } from '@bucardo/plugin-sdk';
import { databaseError } from './database-error.js';
import { parseConflictSpec } from './conflict-spec.js';
import { settleAll } from './settle-all.js';
import { STRATEGY_STAGE, type CoreHooks } from '../hooks.js';
import type { Registry } from '../plugins/registry.js';
import { CORE_TAP_PREFIX } from '../plugins/tap-errors.js';
import { checkDecision, shownKey } from '../plugins/decision-check.js';
import { kindOf, shownValue } from '../plugins/shown-value.js';
import type { RunRegistry } from './run-registry.js';
import { recordsInto, sourcesOf } from './sync-plan.js';

/**
 * The core's own work in each phase, done as taps on the same hooks plugins use. Each calls the plugin
 * interfaces (source and target sessions, the conflict strategy) and names the database on failure.
 */
export function tapCoreWork(hooks: CoreHooks, runs: RunRegistry, registry: Registry): void {
  hooks.capture.tapPromise({ name: `${CORE_TAP_PREFIX}capture` }, async (changes, args) => {
    const { plan, sessions, checkpoints } = runs.get(args.runId);
    const captured = await Promise.all(sourcesOf(plan).filter((db) => !args.onlySources || args.onlySources.includes(db.name)).map(async (db) => {
      try {
        const until = args.until?.[db.name];
        return await sessions.source(db.name).capture({
          tables: args.tables, since: checkpoints.get(db.name)!, ...(recordsInto(plan, db.name) ? { sync: plan.name } : {}), signal: args.signal, ...(until === undefined ? {} : { until }), ...(args.partition ? { partition: args.partition } : {}),
        });
      } catch (error) {
        throw databaseError(error, 'CAPTURE_FAILED', { db: db.name, sync: plan.name });
      }
    }));
    return { sources: [...changes.sources, ...captured] };
  });

  hooks.fetch.tapPromise({ name: `${CORE_TAP_PREFIX}fetch` }, async (rows, args) => {
    const { plan, sessions } = runs.get(args.runId);
    const { shape } = args.batch;
    const contested = new Map<string, KeyText[]>();
    for (const conflict of args.batch.conflicts) {
      for (const candidate of conflict.candidates) {
        let keys = contested.get(candidate.db);
        if (!keys) contested.set(candidate.db, (keys = []));
        keys.push(conflict.key);
      }
    }
    const clean = new Map(rows.clean);
    const candidates = new Map(rows.candidates);
    // additive columns as of this run's capture: what was added after it is the next run's delta. With one
    // source nothing is merged, and its later changes come as whole images again: read as they are
    const merging = (shape.additive ?? []).length > 0 && sourcesOf(plan).length > 1;
    const asOf = (db: string) => (merging ? args.captured?.[db] : undefined);
    await Promise.all(sourcesOf(plan).map(async (db) => {
      const session = sessions.source(db.name);
      const additiveAsOf = asOf(db.name);
      const read = (keys: readonly KeyText[]): Promise<RowBatch> => session.fetch({ shape, keys, signal: args.signal, ...(additiveAsOf ? { additiveAsOf } : {}) }).catch((error: unknown) => {
        throw databaseError(error, 'FETCH_FAILED', { db: db.name, table: formatTable(shape.table), sync: plan.name });
      });
      const cleanKeys = args.batch.clean.get(db.name);
      if (cleanKeys?.length) clean.set(db.name, await read(cleanKeys));
      const contestedKeys = contested.get(db.name);
      if (contestedKeys?.length) candidates.set(db.name, await read(contestedKeys));
    }));
    return { clean, candidates };
  });

  hooks.resolve.tapPromise({ name: `${CORE_TAP_PREFIX}resolve`, stage: STRATEGY_STAGE }, async (decisions, args) => {
    // the waterfall hands on what the taps before returned: a tap that returned something else is named as such
    if (!(decisions instanceof Map)) {
      throw new BucardoError('PLUGIN_ERROR', `A tap of the resolve hook returned ${kindOf(decisions)} for table "${formatTable(args.batch.shape.table)}", not the Map of decisions it was given`, { hook: 'resolve', sync: args.sync, table: formatTable(args.batch.shape.table) });
    }
    const conflicts = args.batch.conflicts.filter((conflict) => !decisions.has(conflict.key));
    if (conflicts.length === 0) return decisions;
    const spec = parseConflictSpec(args.strategy, args.databases.map((db) => db.name), registry, args.sync);
    const strategy = registry.conflictStrategy(spec.name);
    const databases = args.databases.map((db) => ({ ...db, readable: registry.readable(db) }));
    const table = formatTable(args.batch.shape.table);
    const subject = { plugin: registry.ownerOfConflictStrategy(strategy.name), hook: 'resolve', sync: args.sync, table };
    let decided: Decisions;
    try {
      decided = await strategy.resolve({
        sync: args.sync, table: args.batch.shape.table, conflicts, databases, log: args.log, signal: args.signal,
        options: spec.options, newestChange: args.newestChange,
      });
    } catch (error) {
      throw toBucardoError(error, 'PLUGIN_ERROR', subject);
    }
    checkDecisions(decided, strategy.name, subject, args.databases.map((db) => db.name));
    const merged = new Map(decisions);
    // The strategy settles what custom code left undecided; it cannot overturn a custom decision.
    const undecided = new Set(conflicts.map((conflict) => conflict.key));
    const stray = [...decided.keys()].find((key) => !undecided.has(key));
    if (stray !== undefined) {
      throw new BucardoError('PLUGIN_ERROR', `Conflict strategy "${strategy.name}"${subject.plugin ? ` (plugin ${subject.plugin})` : ''} decided key ${shownKey(stray)} of table "${table}", which is not one of the conflicts it was given`, { ...subject, ...(typeof stray === 'string' ? { key: stray } : {}) });
    }
    for (const [key, decision] of decided) if (undecided.has(key)) merged.set(key, decision.by ? decision : { ...decision, by: spec.name });
    return merged;
  });

  hooks.apply.tapPromise({ name: `${CORE_TAP_PREFIX}apply` }, async (outcome, args) => {
    const { plan, sessions } = runs.get(args.runId);
    const results = new Map(outcome.results);
    await settleAll([...args.plan].map(async ([db, batch]) => {
      // named only when something is wrong: this runs for every batch on every database
      const subject = () => ({ db, table: sessions.tableOn(db, args.batch.shape.table), sync: plan.name, plugin: sessions.pluginOf(db) });
      let result: unknown;
      try {
        result = await sessions.target(db).apply(batch);
      } catch (error) {
        throw databaseError(error, 'APPLY_FAILED', subject());
      }
      results.set(db, checkApplyResult(result, subject));
    }));
    return { results };
  });
}

/** What a strategy returned must be a Map of decisions, each a winner, a skip or an abort: named when not. */
function checkDecisions(decided: unknown, strategy: string, subject: { readonly plugin?: string | undefined; readonly table: string; readonly sync: string; readonly hook: string }, members: readonly string[]): asserts decided is Decisions {
  const by = `Conflict strategy "${strategy}"${subject.plugin ? ` (plugin ${subject.plugin})` : ''}`;
  if (!(decided instanceof Map)) {
    throw new BucardoError('PLUGIN_ERROR', `${by} returned ${kindOf(decided)} for table "${subject.table}", not a Map of decisions by key`, subject);
  }
  for (const [key, decision] of decided as Map<unknown, unknown>) checkDecision(key, decision, { by, subject, members });
}

/**
 * What a target's `apply` returned, checked: counts are whole numbers of rows, not negative (a plugin that
 * returns nothing, or NaN, showed as a crash naming nothing, or as negative counts in `bucardo status`).
 */
function checkApplyResult(result: unknown, subjectOf: () => { readonly db: string; readonly table: string; readonly sync: string; readonly plugin: string | undefined }): ApplyResult {
  const r = result as Partial<Record<keyof ApplyResult, unknown>> | null | undefined;
  const count = (value: unknown) => typeof value === 'number' && Number.isInteger(value) && value >= 0;
  const valid = typeof r === 'object' && r !== null && count(r.inserted) && count(r.deleted)
    && (r.skipped === undefined || Array.isArray(r.skipped));
  // skipped left out: no key was (the counts would otherwise fail on it later, naming nothing)
  if (valid) return { ...(result as ApplyResult), skipped: (r.skipped as ApplyResult['skipped'] | undefined) ?? [] };
  const subject = subjectOf();
  const { plugin, ...names } = subject;
  throw new BucardoError('PLUGIN_ERROR', `The target of database "${subject.db}"${plugin ? ` (plugin ${plugin})` : ''} returned ${shownValue(result)} from apply for table "${subject.table}": an ApplyResult is { inserted, deleted } in rows (whole numbers, 0 or more), with skipped keys if any`, {
    ...names, ...(plugin ? { plugin } : {}), hook: 'apply',
  });
}
