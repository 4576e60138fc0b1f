import { tableId, type ChangeSet, type RunArgs, type TableShape } from '@bucardo/plugin-sdk';
import { sourcesOf } from './sync-plan.js';
import { planTransactions } from './batches.js';
import type { DeltaWork } from './delta-phase.js';
import { writePointedAtFirst } from './pointed-at-first.js';
import { applyStep, stepContext } from './step-transactions.js';
import { changesAfterTruncates, keysOfOthers, truncateWinners, type TruncateWinner } from './truncate-winners.js';

/**
 * A truncate wins whole: its table is copied to every other database. The keys other sources changed
 * after it are as much the latest word, and Bucardo drops them (its scenario 6), losing writes made after
 * the truncate. Here they are written into the winner first, as any change (conflicts among them, and with
 * the winner's own later changes, settled by the sync's strategy), so its table has them when copied. They
 * commit before the copy: a run interrupted between the two does both again and reads the same rows, the
 * sources' (not yet copied over) or the winner's (already written). In a run cut into key partitions, the
 * first one writes those of every partition, read with a capture of the truncated tables whole. The rows
 * they may point at that are new in this run are written first, everywhere (`writePointedAtFirst`);
 * returns the tables (by `tableId`) whose new rows and updates were so written, for the run's plan to
 * leave out.
 */
export async function writeChangesAfterTruncates(work: DeltaWork, args: RunArgs, changeSet: ChangeSet): Promise<ReadonlySet<string>> {
  const winners = truncateWinners(changeSet);
  // one source: nobody else wrote after its truncate
  if (winners.size === 0 || sourcesOf(work.plan).length < 2) return new Set();
  const truncated = work.shapes.filter((shape) => winners.has(tableId(shape.table)));
  const guards = new Map(changeSet.sources.map((source) => [source.db, source.checkpoint]));
  const { partition, ...unpartitioned } = args;
  const whole = Object.freeze({ ...unpartitioned, until: Object.fromEntries(guards) });
  const captured = partition ? await wholeCapture(work, whole, truncated, changeSet, winners) : changeSet;
  const late = changesAfterTruncates(captured, winners);
  if (late.sources.length === 0) return new Set();
  sayWritten(work, late, winners);
  const writeArgs: RunArgs = Object.freeze({ ...whole, captured: Object.fromEntries(guards) });
  const lateTables = new Set(late.sources.flatMap((source) => [...source.tables.keys()]));
  const writtenFirst = await writePointedAtFirst(work, writeArgs, changeSet, guards, lateTables, new Set(winners.keys()));
  // into the winners alone: the copies that follow write every other database
  const context = stepContext(work, writeArgs, late, guards, new Map([...winners].map(([id, winner]) => [id, new Set([winner.db])])));
  for (const transaction of planTransactions(late, truncated, work.options.batchSize)) {
    try {
      await applyStep(work, context, transaction);
    } catch (error) {
      if ((error as { sqlstate?: string }).sqlstate !== FOREIGN_KEY_VIOLATION) throw error;
      sayDropped(work, late, winners, new Set(transaction.map((batch) => tableId(batch.shape.table))), error);
    }
  }
  return writtenFirst;
}

/**
 * A row they point at is on no database: deleted in this run (its delete comes after every other key), or
 * in a table that cannot be written first (`pointedAtFirst`: one reaching a truncated table). Those writes
 * then go as Bucardo lets them go, said; the transaction rolled back everywhere, the copy that follows
 * still makes every database equal.
 */
const FOREIGN_KEY_VIOLATION = '23503';

function sayDropped(work: DeltaWork, late: ChangeSet, winners: ReadonlyMap<string, TruncateWinner>, tables: ReadonlySet<string>, error: unknown): void {
  const mine = new Map([...winners].filter(([id]) => tables.has(id)));
  for (const { table, winner, counts } of keysOfOthers(late, mine, () => true)) {
    work.log.log('warn', `The keys other sources changed after the truncate of ${table} on ${winner.db} (${counts}) were dropped, as Bucardo drops them: a row they point at comes later in this run (${(error as Error).message})`, { table });
  }
}

/**
 * In a run cut into key partitions, the truncated tables' changes of every partition, read in the first:
 * from the other sources whole. A winner of every truncated table is not read again (its own changes after
 * its truncate may be a whole table reloaded, which the partitions are there to bound): its keys that
 * another source changed too are known as far as the first partition holds them, and elsewhere the other
 * source's write goes in as if the winner had not changed the key.
 */
async function wholeCapture(work: DeltaWork, whole: RunArgs, truncated: readonly TableShape[], changeSet: ChangeSet, winners: ReadonlyMap<string, TruncateWinner>): Promise<ChangeSet> {
  const dbs = new Set([...winners.values()].map((winner) => winner.db));
  const winnerOfAll = dbs.size === 1 ? [...dbs][0]! : undefined;
  const others = sourcesOf(work.plan).map((db) => db.name).filter((db) => db !== winnerOfAll);
  const read = await work.parts.hooks.capture.promise({ sources: [] }, Object.freeze({ ...whole, tables: truncated, onlySources: others }));
  const kept = changeSet.sources.filter((source) => source.db === winnerOfAll);
  return { sources: [...read.sources.filter((source) => source.db !== winnerOfAll), ...kept] };
}

function sayWritten(work: DeltaWork, late: ChangeSet, winners: ReadonlyMap<string, TruncateWinner>): void {
  for (const { table, winner, counts } of keysOfOthers(late, winners, () => true)) {
    work.log.log('normal', `Table ${table} was truncated on ${winner.db}: first writing the keys other sources changed after the truncate (${counts}), so that its copy carries them`, { table });
  }
}
