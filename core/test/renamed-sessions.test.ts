/**
 * renamedTargetSession: every table going into a receiving database's session carries its name there,
 * every shape coming back the sync's name; methods the plugin lacks stay absent (the core branches on
 * them), and the others reach the plugin as they are.
 */
import { describe, expect, it } from 'vitest';
import { formatTable, type ApplyBatch, type TableRef, type TableShape, type TargetSession } from '@bucardo/plugin-sdk';
import { renamedTargetSession } from '../src/run/renamed-sessions.js';
import { TableRenames } from '../src/run/table-renames.js';

const t = { schema: 'public', name: 't' };
const p = { schema: 'public', name: 'p' };
const renames = new TableRenames([{ table: t, as: { schema: 'reporting', name: 't_copy' } }, { table: p, as: { schema: 'reporting', name: 'p_copy' } }]);
const shapeOf = (table: TableRef, references?: TableRef[]): TableShape => ({ table, columns: [{ name: 'id', type: 'integer' }], key: [{ name: 'id', type: 'integer' }], keySource: 'primary key', ...(references ? { references } : {}) });

/** A session that records the tables it is given, as a plugin would address them. */
function recording(): { session: TargetSession; seen: string[] } {
  const seen: string[] = [];
  const session: TargetSession = {
    async begin() { seen.push('begin'); },
    async apply(batch: ApplyBatch) {
      seen.push(`apply ${formatTable(batch.shape.table)} -> ${(batch.shape.references ?? []).map(formatTable).join(',')}`);
      return { deleted: 0, inserted: 0, skipped: [] };
    },
    async describeTable(table) {
      seen.push(`describe ${formatTable(table)}`);
      return shapeOf(table, [{ schema: 'reporting', name: 'p_copy' }]);
    },
    async recordTruncate(shape, _signal, makeDelta) { seen.push(`recordTruncate ${formatTable(shape.table)} by ${makeDelta.sync}`); },
    async prepareCommit() { seen.push('prepare'); },
    async commit() { seen.push('commit'); },
    async rollback() {},
    async close() {},
  };
  return { session, seen };
}

describe('renamedTargetSession', () => {
  it('renames tables going in and names shapes coming back as the sync knows them', async () => {
    const { session, seen } = recording();
    const renamed = renamedTargetSession(session, renames);
    await renamed.begin(new AbortController().signal);
    await renamed.apply({ shape: shapeOf(t, [p]), deletes: [], rows: [], signal: new AbortController().signal });
    const described = await renamed.describeTable!(t);
    // makedelta's record of a copy's truncate: the table as the database's capture knows it
    await renamed.recordTruncate!(shapeOf(t), new AbortController().signal, { sync: 's1' });
    await renamed.commit();
    expect(seen).toEqual(['begin', 'apply reporting.t_copy -> reporting.p_copy', 'describe reporting.t_copy', 'recordTruncate reporting.t_copy by s1', 'commit']);
    expect(described?.table).toEqual(t);
    expect(described?.references).toEqual([p]);
  });

  it('leaves a table without a custom name as it is, passes the other methods on, and keeps the plugin\'s missing ones absent', async () => {
    const { session, seen } = recording();
    const renamed = renamedTargetSession(session, renames);
    await renamed.apply({ shape: shapeOf({ schema: 'public', name: 'other' }), deletes: [], rows: [], signal: new AbortController().signal });
    await renamed.prepareCommit!(new AbortController().signal);
    expect(seen).toEqual(['apply public.other -> ', 'prepare']);
    expect(renamed.truncate).toBeUndefined();
    expect(renamed.summarizeRows).toBeUndefined();
    expect(renamed.isEmpty).toBeUndefined();
  });
});
