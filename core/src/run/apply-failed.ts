import { BucardoError, causeChain, formatTable, tableId, toBucardoError, type ApplyFailedAnswer, type Logger, type RunArgs } from '@bucardo/plugin-sdk';
import type { RunParts } from './run-sync.js';
import type { RunCounts } from './run-counts.js';
import { failedBatchOf, type FailedBatch } from './failed-batch.js';
import { SqlConnections } from './sql-connections.js';
import type { SyncPlan } from './sync-plan.js';

/** Handled failures per table in a run, as Bucardo's `exception` custom code: then the run fails. */
export const MAX_HANDLED_FAILURES = 2;

/** What a transaction's attempt needs besides its work: the run's args, tallies, and what to forget before a retry. */
export interface FailureScope {
  readonly args: RunArgs;
  readonly counts: RunCounts;
  /** Drops rows read ahead for the transaction: its retry reads them again, after the taps' fixes. */
  readonly beforeRetry?: () => Promise<void>;
}

/**
 * The applyFailed hook, for one run: a transaction whose apply failed on a database (already rolled back
 * everywhere) is offered to its taps; the first that answers `{ retry: true }` has it tried again from
 * the start, at most twice per table in the run. Without a tap, a failure goes on as it came.
 */
export class ApplyFailures {
  readonly #handled = new Map<string, { count: number; by: Set<string> }>();
  readonly #parts: RunParts;
  readonly #plan: SyncPlan;
  readonly #log: Logger;

  constructor(parts: RunParts, plan: SyncPlan, log: Logger) {
    this.#parts = parts;
    this.#plan = plan;
    this.#log = log;
  }

  async attempt(scope: FailureScope, work: () => Promise<void>): Promise<void> {
    for (;;) {
      const before = scope.counts.snapshot();
      try {
        return await work();
      } catch (error) {
        const failed = failedBatchOf(error);
        if (!failed || this.#parts.hooks.applyFailed.taps.length === 0 || scope.args.signal.aborted) throw error;
        const answer = await this.#ask(scope.args, failed, error as BucardoError);
        if (answer?.retry !== true) throw error;
        scope.counts.restore(before);
        scope.counts.retries++;
        await scope.beforeRetry?.();
      }
    }
  }

  async #ask(args: RunArgs, failed: FailedBatch, error: BucardoError): Promise<(ApplyFailedAnswer & { by?: string }) | undefined> {
    const table = failed.batch.shape.table;
    const db = error.db!;
    const handled = this.#handled.get(tableId(table)) ?? { count: 0, by: new Set<string>() };
    this.#handled.set(tableId(table), handled);
    if (handled.count >= MAX_HANDLED_FAILURES) throw exhausted(error, formatTable(table), db, handled.by);
    const attempt = handled.count + 1;
    const connections = new SqlConnections(this.#plan, this.#parts.registry, args.log, args.signal);
    const server = serverFields(error);
    let answer: unknown;
    try {
      answer = await this.#parts.hooks.applyFailed.promise(Object.freeze({
        ...args, db, table, batch: failed.batch, error, keys: failed.keys, attempt, ...server,
        connect: (name: string) => connections.connect(name),
      }));
    } catch (tapError) {
      throw whileHandling(tapError, error, formatTable(table), db);
    } finally {
      await connections.closeAll();
    }
    const checked = checkAnswer(answer, formatTable(table));
    if (checked?.retry === true) {
      handled.count = attempt;
      if (checked.by !== undefined) handled.by.add(checked.by);
      this.#log.log('normal', `Applying table ${formatTable(table)} failed on database "${db}" (${error.message}); the applyFailed hook${checked.by ? ` (plugin ${checked.by})` : ''} asked to try the transaction again (${attempt} of ${MAX_HANDLED_FAILURES})`, { db, table: formatTable(table), hook: 'applyFailed' });
    }
    return checked;
  }
}

/** The failure after the taps' retries: the error as it came, and that retrying did not help. */
function exhausted(error: BucardoError, table: string, db: string, by: ReadonlySet<string>): BucardoError {
  const plugins = by.size === 0 ? '' : ` (plugin ${[...by].join(', ')})`;
  return new BucardoError(error.code, `${error.message}; the applyFailed hook${plugins} had the transaction tried again ${MAX_HANDLED_FAILURES} times for table "${table}", and it failed again on database "${db}"`, {
    ...error.subject, hook: 'applyFailed', ...(by.size === 1 ? { plugin: [...by][0]! } : {}), cause: error,
  });
}

/**
 * A tap's own failure (tagged with its plugin by the interceptor), with the failure it was asked about:
 * the run fails with the tap's error, which alone would not say what it was handling.
 */
function whileHandling(tapError: unknown, error: BucardoError, table: string, db: string): BucardoError {
  const tagged = toBucardoError(tapError, 'PLUGIN_ERROR', { hook: 'applyFailed' });
  return new BucardoError(tagged.code, `${tagged.message} (asked about table "${table}" failing on database "${db}": ${error.message})`, {
    ...tagged.subject, db, table, cause: tapError,
  });
}

/** A tap's answer is `{ retry: boolean }` or nothing: anything else names the plugin that gave it. */
function checkAnswer(answer: unknown, table: string): (ApplyFailedAnswer & { by?: string }) | undefined {
  if (answer === undefined) return undefined;
  const given = answer as { retry?: unknown; by?: unknown };
  if (typeof answer === 'object' && answer !== null && typeof given.retry === 'boolean') return answer as ApplyFailedAnswer & { by?: string };
  const by = typeof given?.by === 'string' ? given.by : undefined;
  const { by: _by, ...shown } = (typeof answer === 'object' && answer !== null ? answer : { value: answer }) as Record<string, unknown>;
  throw new BucardoError('PLUGIN_ERROR', `A tap of the applyFailed hook${by ? ` (plugin ${by})` : ''} answered ${JSON.stringify(shown)} for table "${table}": an answer is { retry: true }, { retry: false } or nothing`, {
    hook: 'applyFailed', table, ...(by ? { plugin: by } : {}),
  });
}

/** The server's DETAIL and constraint, from the first error down the causes that has them (node-postgres's fields). */
function serverFields(error: unknown): { detail?: string; constraint?: string } {
  const found: { detail?: string; constraint?: string } = {};
  for (const current of causeChain(error)) {
    const { detail, constraint } = current as { detail?: unknown; constraint?: unknown };
    if (found.detail === undefined && typeof detail === 'string' && detail !== '') found.detail = detail;
    if (found.constraint === undefined && typeof constraint === 'string' && constraint !== '') found.constraint = constraint;
  }
  return found;
}
