import { BucardoError, causeChain, formatTable, tableId, toBucardoError, type ApplyFailedAnswer, type Logger, type RunArgs, type TableRef } from '@bucardo/plugin-sdk';
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
 * The applyFailed hook, for one run: a transaction whose apply failed on a database, or that a database
 * refused when it checked it before any committed (a deferred constraint), is offered to its taps once
 * rolled back everywhere; the first that answers `{ retry: true }` has it tried again from the start, at
 * most twice per table in the run. Without a tap, a failure goes on as it came. A COMMIT that fails after
 * that check is never offered: other databases may have committed (`finalFailure`).
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
    const { table } = failed.batch.shape;
    const db = error.db!;
    const where = failure(failed, db);
    // at commit with no table named, every table of the transaction answers for it: the most tried decides
    const charged = failed.charged.map((ref) => this.#handledOf(ref));
    const tried = Math.max(...charged.map((handled) => handled.count));
    if (tried >= MAX_HANDLED_FAILURES) throw exhausted(error, where, new Set(charged.flatMap((handled) => [...handled.by])));
    const attempt = tried + 1;
    const connections = new SqlConnections(this.#plan, this.#parts.registry, args.log, args.signal);
    const server = serverFields(error);
    let answer: unknown;
    try {
      answer = await this.#parts.hooks.applyFailed.promise(Object.freeze({
        ...args, db, table, batch: failed.batch, error, keys: failed.keys, attempt, ...server, phase: failed.phase,
        ...(failed.batches ? { batches: failed.batches } : {}), ...(failed.wholeTransaction ? { wholeTransaction: true } : {}),
        connect: (name: string) => connections.connect(name),
      }));
    } catch (tapError) {
      throw whileHandling(tapError, error, where);
    } finally {
      await connections.closeAll();
    }
    const checked = checkAnswer(answer, formatTable(table));
    if (checked?.retry === true) {
      for (const handled of charged) {
        handled.count = attempt;
        if (checked.by !== undefined) handled.by.add(checked.by);
      }
      this.#log.log('normal', `${where.said} (${error.message}); the applyFailed hook${checked.by ? ` (plugin ${checked.by})` : ''} asked to try the transaction again (${attempt} of ${MAX_HANDLED_FAILURES})`, { db, ...(where.table === undefined ? {} : { table: where.table }), hook: 'applyFailed' });
    }
    return checked;
  }

  #handledOf(table: TableRef): { count: number; by: Set<string> } {
    let handled = this.#handled.get(tableId(table));
    if (!handled) this.#handled.set(tableId(table), (handled = { count: 0, by: new Set<string>() }));
    return handled;
  }
}

/** What the messages say of a failure: the database, the table (or tables), and whether it was found at commit. */
interface Where {
  readonly db: string;
  /** The table the failure is about, by the sync's name; absent at commit when the server named none of the transaction's. */
  readonly table?: string;
  /** `table "t"`, or `the transaction's tables "a", "b"`. */
  readonly tables: string;
  /** At commit: ` when it checked the transaction before committing`; else empty. */
  readonly at: string;
  /** What the log says happened. */
  readonly said: string;
}

function failure(failed: FailedBatch, db: string): Where {
  const at = failed.phase === 'commit' ? ' when it checked the transaction before committing' : '';
  if (failed.wholeTransaction) {
    const tables = `the transaction's tables ${failed.charged.map((ref) => `"${formatTable(ref)}"`).join(', ')}`;
    return { db, tables, at, said: `Database "${db}" refused ${tables}${at}` };
  }
  const table = formatTable(failed.batch.shape.table);
  const said = failed.phase === 'commit' ? `Database "${db}" refused table ${table}${at}` : `Applying table ${table} failed on database "${db}"`;
  return { db, table, tables: `table "${table}"`, at, said };
}

/** The failure after the taps' retries: the error as it came, and that retrying did not help. */
function exhausted(error: BucardoError, where: Where, by: ReadonlySet<string>): BucardoError {
  const plugins = by.size === 0 ? '' : ` (plugin ${[...by].join(', ')})`;
  return new BucardoError(error.code, `${error.message}; the applyFailed hook${plugins} had the transaction tried again ${MAX_HANDLED_FAILURES} times for ${where.tables}, and it failed again on database "${where.db}"${where.at}`, {
    ...error.subject, hook: 'applyFailed', ...(by.size === 1 ? { plugin: [...by][0]! } : {}), cause: error,
  });
}

/**
 * A tap's own failure (tagged with its plugin by the interceptor), with the failure it was asked about:
 * the run fails with the tap's error, which alone would not say what it was handling.
 */
function whileHandling(tapError: unknown, error: BucardoError, where: Where): BucardoError {
  const tagged = toBucardoError(tapError, 'PLUGIN_ERROR', { hook: 'applyFailed' });
  return new BucardoError(tagged.code, `${tagged.message} (asked about ${where.tables} failing on database "${where.db}"${where.at}: ${error.message})`, {
    ...tagged.subject, db: where.db, ...(where.table === undefined ? {} : { table: where.table }), cause: tapError,
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
