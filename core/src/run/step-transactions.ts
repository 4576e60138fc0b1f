import { tableId, type ChangeSet, type Checkpoint, type RunArgs, type TableBatch } from '@bucardo/plugin-sdk';
import { applyTransaction, type TransactionContext } from './apply-transaction.js';
import type { DeltaWork } from './delta-phase.js';
import { newestChanges } from './newest-changes.js';
import { withRetries } from './retries.js';

/**
 * The transactions of a step written before the run's plan (a truncate's late writes, the rows they point
 * at): each batch's rows fetched through the fetch hook as it comes (no read ahead: the steps are small),
 * conflicts settled with `changeSet`'s newest changes, as the plan settles them. `writesOnly`: the
 * databases a table's batches go into, where not every database.
 */
export function stepContext(work: DeltaWork, args: RunArgs, changeSet: ChangeSet, guards: ReadonlyMap<string, Checkpoint>, writesOnly?: ReadonlyMap<string, ReadonlySet<string>>): TransactionContext {
  const newest = newestChanges(changeSet);
  return {
    parts: work.parts, plan: work.plan, sessions: work.sessions, args, guards, counts: work.counts, status: work.status,
    fetchRows: (batch) => work.parts.hooks.fetch.promise({ clean: new Map(), candidates: new Map() }, Object.freeze({ ...args, batch })),
    newestChange: (table) => newest.get(tableId(table)) ?? new Map(),
    openAudit: () => work.recorder.openAudit(work.plan.name, work.runId),
    ...(writesOnly ? { writesOnly } : {}),
  };
}

/** One transaction of such a step, with the run's retries and its `applyFailed` hook, as the plan's. */
export function applyStep(work: DeltaWork, context: TransactionContext, transaction: readonly TableBatch[]): Promise<void> {
  return work.failures.attempt({ args: context.args, counts: work.counts }, () => withRetries(work.counts, work.log, context.args.signal, () => applyTransaction(context, transaction)));
}
