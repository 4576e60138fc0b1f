import { formatTable, tableId, type ChangeSet, type Checkpoint, type RunArgs, type TableShape } from '@bucardo/plugin-sdk';
import { planTransactions } from './batches.js';
import type { DeltaWork } from './delta-phase.js';
import { foreignKeyLayout, foreignKeysChecked, type ForeignKeyLayout } from './foreign-key-layout.js';
import { applyStep, stepContext } from './step-transactions.js';

/**
 * The tables the keys other sources changed after a truncate (`late`, by `tableId`) may point at, directly
 * or through one another, whose new rows and updates can be written before them: those reaching no
 * truncated table (whose rows are the winner's copy, on the other databases only after the truncates'
 * step). In `shapes` order, which is write order. None where no receiver checks foreign keys.
 */
export function pointedAtFirst(shapes: readonly TableShape[], late: ReadonlySet<string>, truncated: ReadonlySet<string>, layout: ForeignKeyLayout): TableShape[] {
  if (layout.pointedAt.size === 0) return [];
  const ids = new Set(shapes.map((shape) => tableId(shape.table)));
  const refs = new Map(shapes.map((shape) => [tableId(shape.table), (shape.references ?? []).map(tableId).filter((id) => ids.has(id))]));
  const reach = (from: Iterable<string>): Set<string> => {
    const seen = new Set<string>();
    const todo = [...from].flatMap((id) => refs.get(id) ?? []);
    for (let id = todo.pop(); id !== undefined; id = todo.pop()) {
      if (seen.has(id)) continue;
      seen.add(id);
      todo.push(...(refs.get(id) ?? []));
    }
    return seen;
  };
  const reachesTruncated = (id: string) => truncated.has(id) || [...reach([id])].some((other) => truncated.has(other));
  const first = new Set([...reach(late)].filter((id) => !reachesTruncated(id)));
  return shapes.filter((shape) => first.has(tableId(shape.table)));
}

/**
 * The new rows and updates of the tables the keys written after a truncate may point at
 * (`pointedAtFirst`), written on every database before those keys go into the winner: that part of the
 * run's normal plan, brought forward, so that a child row written after the truncate finds the parent row
 * new in the same run (without it, the winner refuses it, SQLSTATE 23503, and it is dropped). Conflicts are
 * settled as the normal plan settles them, by the same transaction code with the same newest changes, and
 * the keys are left out of the normal plan (`PlanSections.keptWritten`), so nothing is written twice; the
 * keys those tables lose stay where they were, after every other key. These transactions commit before
 * the truncates' step: a run interrupted after them writes them again, from the same capture, and plans
 * the rest alike. Returns the tables (by `tableId`) whose new rows and updates were written.
 */
export async function writePointedAtFirst(work: DeltaWork, args: RunArgs, changeSet: ChangeSet, guards: ReadonlyMap<string, Checkpoint>, late: ReadonlySet<string>, truncated: ReadonlySet<string>): Promise<ReadonlySet<string>> {
  const layout = foreignKeyLayout(work.shapes, foreignKeysChecked(work.plan, work.sessions));
  const shapes = pointedAtFirst(work.shapes, late, truncated, layout);
  if (shapes.length === 0) return new Set();
  const ids = new Set(shapes.map((shape) => tableId(shape.table)));
  const sections = { layout: { pointedAt: ids, cycles: layout.cycles }, kept: true, lost: false };
  const transactions = [...planTransactions(changeSet, shapes, work.options.batchSize, sections)];
  if (transactions.length > 0) {
    const names = shapes.filter((shape) => transactions.some((batches) => batches.some((batch) => batch.shape === shape))).map((shape) => formatTable(shape.table));
    const after = work.shapes.filter((shape) => late.has(tableId(shape.table))).map((shape) => formatTable(shape.table));
    work.log.log('normal', `Writing the new rows and updates of ${names.join(', ')} first, on every database: the keys other sources changed after the truncate of ${after.join(', ')} may point at them`);
  }
  const context = stepContext(work, args, changeSet, guards);
  for (const transaction of transactions) await applyStep(work, context, transaction);
  return ids;
}
