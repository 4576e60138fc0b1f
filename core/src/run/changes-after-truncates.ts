import { tableId, type ChangeSet, type RunArgs } from '@bucardo/plugin-sdk';
import { applyTransaction, type TransactionContext } from './apply-transaction.js';
import { planTransactions } from './batches.js';
import type { DeltaWork } from './delta-phase.js';
import { newestChanges } from './newest-changes.js';
import { withRetries } from './retries.js';
import { changesAfterTruncates, keysOfOthers, truncateWinners, type TruncateWinner } from './truncate-winners.js';

/**
 * A truncate wins whole: its table is copied to every other database. The keys other sources changed
 * after it are as much the latest word, and Bucardo drops them (its scenario 6), losing writes made after
 * the truncate. Here they are written into the winner first, as any change (conflicts among them, and with
 * the winner's own later changes, settled by the sync's strategy), so its table has them when copied. They
 * commit before the copy: a run interrupted between the two does both again and reads the same rows, the
 * sources' (not yet copied over) or the winner's (already written). In a run cut into key partitions, the
 * first one writes those of every partition, read with a capture of the truncated tables whole.
 */
export async function writeChangesAfterTruncates(work: DeltaWork, args: RunArgs, changeSet: ChangeSet): Promise<void> {
  const winners = truncateWinners(changeSet);
  if (winners.size === 0) return;
  const truncated = work.shapes.filter((shape) => winners.has(tableId(shape.table)));
  const guards = new Map(changeSet.sources.map((source) => [source.db, source.checkpoint]));
  const { partition, ...unpartitioned } = args;
  const whole = Object.freeze({ ...unpartitioned, until: Object.fromEntries(guards) });
  const captured = partition ? await work.parts.hooks.capture.promise({ sources: [] }, Object.freeze({ ...whole, tables: truncated })) : changeSet;
  const late = changesAfterTruncates(captured, winners);
  if (late.sources.length === 0) return;
  sayWritten(work, late, winners);
  const writeArgs: RunArgs = Object.freeze({ ...whole, captured: Object.fromEntries(guards) });
  const newest = newestChanges(late);
  const context: TransactionContext = {
    parts: work.parts, plan: work.plan, sessions: work.sessions, args: writeArgs, guards, counts: work.counts, status: work.status,
    fetchRows: (batch) => work.parts.hooks.fetch.promise({ clean: new Map(), candidates: new Map() }, Object.freeze({ ...writeArgs, batch })),
    newestChange: (table) => newest.get(tableId(table)) ?? new Map(),
    openAudit: () => work.recorder.openAudit(work.plan.name, work.runId),
    // into the winners alone: the copies that follow write every other database
    writesOnly: new Map([...winners].map(([id, winner]) => [id, new Set([winner.db])])),
  };
  for (const transaction of planTransactions(late, truncated, work.options.batchSize)) {
    await work.failures.attempt({ args: writeArgs, counts: work.counts }, () => withRetries(work.counts, work.log, args.signal, () => applyTransaction(context, transaction)));
  }
}

function sayWritten(work: DeltaWork, late: ChangeSet, winners: ReadonlyMap<string, TruncateWinner>): void {
  for (const { table, winner, counts } of keysOfOthers(late, winners, () => true)) {
    work.log.log('normal', `Table ${table} was truncated on ${winner.db}: first writing the keys other sources changed after the truncate (${counts}), so that its copy carries them`, { table });
  }
}
