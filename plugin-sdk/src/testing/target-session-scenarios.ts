/**
 * The target kit's scenarios about what a session kept across runs meets in production, beyond the rows
 * themselves: batches listing the columns in another order, a table's shape changed between two runs, and
 * the guard a receiving source's applies carry.
 */
import { expect } from 'vitest';
import type { TextValue } from '../copy-text.js';
import { formatTable, type TableShape } from '../table.js';
import { item, itemKeys, items, itemsTable, keyOf, pairKey, pairRows, pairsTable } from './target-fixtures.js';
import { change, remove, upsert, type TargetHarness, type Write } from './target-harness.js';

/** A scenario body: resolves with a reason when it does not apply to the target. */
export type Body = (h: TargetHarness) => Promise<string | undefined | void>;

/** `shape` with its columns listed in this order, the key unchanged. */
const inOrder = (shape: TableShape, names: readonly string[]): TableShape => ({
  ...shape, columns: names.map((name) => shape.columns.find((column) => column.name === name)!),
});

/** A row of `from`, its values in `to`'s column order (NULL for a column `from` lacks). */
const rowAs = (from: TableShape, to: TableShape, row: readonly TextValue[]): TextValue[] =>
  to.columns.map((column) => row[from.columns.findIndex((c) => c.name === column.name)] ?? null);

export const columnOrder: Body = async (h) => {
  const session = await h.open();
  await h.run(session, [upsert(itemsTable, items(1, 4)), upsert(pairsTable, pairRows.slice(0, 3))]);
  await h.check('after a run in the tables\' own column order');
  // the next run on this session lists the columns in another order (the first source's table was made
  // again): a target that kept the first run's column list writes values under the wrong columns
  const items2 = inOrder(itemsTable, ['price', 'name', 'id', 'qty']);
  const pairs2 = inOrder(pairsTable, ['note', 'seq', 'region']);
  await h.run(session, [
    change(items2, itemKeys(1), [item(2, 'two, reordered', 22, '2.22'), item(5)].map((row) => rowAs(itemsTable, items2, row))),
    upsert(pairs2, pairRows.slice(2, 5).map((row) => rowAs(pairsTable, pairs2, [...row.slice(0, 2), `${row[2]}, reordered`]))),
  ]);
  await h.check('after a run whose batches list the columns in another order');
  // and back: nothing of the second order stays with the session
  await h.run(session, [upsert(itemsTable, [item(3, 'three, own order')])]);
  await h.check('after a run back in the tables\' own column order');
  await h.close(session);
};

export const shapeChange: Body = async (h) => {
  if (typeof h.target.reshape !== 'function') {
    return 'makeTarget gives no reshape(): a table whose shape changes between two runs of a kept session (a column added) is not checked';
  }
  const session = await h.open();
  await h.run(session, [upsert(itemsTable, items(1, 4))]);
  await h.check('before its shape changed');
  // between two runs, as a user does on every database of the sync: a column added, at the end
  const added: TableShape = { ...itemsTable, columns: [...itemsTable.columns, { name: 'note', type: 'text' }] };
  await h.reshape(added);
  const table = formatTable(itemsTable.table);
  if (h.capabilities.schema) {
    // the core describes a kept session's tables again once they changed: the new shape, not a remembered one
    const found = await session.describeTable!(itemsTable.table);
    expect(found?.columns.map((column) => column.name), `describeTable(${table}) on the kept session after a column was added`).toEqual(added.columns.map((column) => column.name));
    expect(found!.columns.at(-1), `describeTable(${table}): the added column`).toEqual(added.columns.at(-1));
    if (typeof session.describeTables === 'function') {
      expect(await session.describeTables([itemsTable.table]), `describeTables([${table}]) on the kept session after a column was added`).toEqual([found]);
    }
  }
  // the next run on the same session: batches of the new shape, listing its columns in yet another order;
  // every row is written again (a store without shapes has nothing in the new column of an older row)
  const batch = inOrder(added, ['note', 'qty', 'id', 'price', 'name']);
  const noted = (id: number, note: TextValue, name?: string) => rowAs(added, batch, [...item(id, name), note]);
  await h.run(session, [upsert(batch, [noted(1, 'one'), noted(2, null), noted(3, 'tab\there', 'three, noted'), noted(4, ''), noted(5, 'new')])]);
  await h.check('after a run with a column added, its batch listing the columns in another order');
  await h.run(session, [change(batch, itemKeys(2), [noted(4, 'four, again')])]);
  await h.check('after the run after it');
  await h.close(session);
};

/** `write` less the keys a guarded target leaves alone: what the model takes once it is committed. */
const without = (write: Write, keys: readonly string[]): Write => ({
  shape: write.shape,
  deletes: write.deletes.filter((key) => !keys.includes(key)),
  rows: write.rows.map((group) => group.filter((row) => !keys.includes(keyOf(write.shape, row)))),
});

export const localChangeGuard: Body = async (h) => {
  const { guard, writeLocally } = h.target;
  if (typeof guard !== 'function') {
    return h.capabilities.localChangeGuard
      ? 'capabilities.localChangeGuard, but makeTarget gives no guard(): the guarded writes a receiving source gets (ApplyBatch.guard) are not checked'
      : 'makeTarget gives no guard() (the core passes ApplyBatch.guard only to a database that is also a source of the sync)';
  }
  h.guardRuns();
  const session = await h.open();
  // every apply of a receiving source's run carries its guard: nothing changed here after it, nothing is left alone
  await h.run(session, [upsert(itemsTable, items(1, 6)), upsert(pairsTable, pairRows)]);
  await h.check('after guarded inserts');
  await h.run(session, [change(itemsTable, itemKeys(1, 4), [item(2, 'two, updated', null, '0.00'), item(7)]), remove(pairsTable, [pairKey('north', '1')])]);
  await h.check('after guarded updates, deletes and inserts');
  if (!h.capabilities.localChangeGuard) {
    await h.close(session);
    return undefined;
  }
  if (typeof writeLocally !== 'function') {
    await h.close(session);
    return 'makeTarget gives no writeLocally(): guarded writes were checked, but not that a key changed here after the guard is left alone';
  }
  const local = async (rows: TextValue[][]) => {
    await writeLocally(itemsTable, rows);
    h.applyToModel(upsert(itemsTable, rows));
  };
  // changed here before the run's guard: the run captured it and settled it, so the run's image wins
  await local([item(5, 'local, before the guard')]);
  const run = await h.beginRun(session);
  // changed here after the guard: a user's write that the run must not overwrite, nor delete
  await local([item(3, 'local, after the guard'), item(6, 'local, after the guard')]);
  const signal = new AbortController().signal;
  await session.begin(signal);
  const write = change(itemsTable, itemKeys(6), [item(3, 'from the run'), item(5, 'from the run'), item(8)]);
  await h.apply(session, write, signal, itemKeys(3, 6));
  await session.prepareCommit?.(signal);
  await session.commit();
  await h.endRun(session, run, 'good');
  h.applyToModel(without(write, itemKeys(3, 6)));
  await h.check('after a run that changed keys 3 and 6 changed here after its guard (left alone) and key 5 changed before it (overwritten)');
  // the next run's guard is after those changes: its image wins again
  await h.run(session, [upsert(itemsTable, [item(3, 'the next run')])]);
  await h.check('after the next run');
  await h.close(session);
};
