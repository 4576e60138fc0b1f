/**
 * renamedReadSession: a read session opened on a receiving database (a conflict winner chosen by role,
 * compare's values, a copy from it) reads each table under its name there and names what comes back as
 * the sync knows it; what it does not rename it does not offer, so no table reaches the plugin under the
 * sync's name. Every method of the SDK's sessions is sorted (renamed, as is, withheld) where the compiler
 * can see it: a method left unsorted fails to compile.
 */
import { describe, expect, it } from 'vitest';
import { formatTable, RowBatch, tableId, type FetchArgs, type ReadTableArgs, type SourceSession, type TableRef, type TableShape, type TargetSession } from '@bucardo/plugin-sdk';
import { readSessionMethods, renamedReadSession, targetSessionMethods, type SessionMethods } from '../src/run/renamed-sessions.js';
import { TableRenames } from '../src/run/table-renames.js';

const t = { schema: 'public', name: 't' };
const p = { schema: 'public', name: 'p' };
const tCopy = { schema: 'reporting', name: 't_copy' };
const pCopy = { schema: 'reporting', name: 'p_copy' };
const renames = new TableRenames([{ table: t, as: tCopy }, { table: p, as: pCopy }]);
const shapeOf = (table: TableRef, references?: TableRef[]): TableShape => ({ table, columns: [{ name: 'id', type: 'integer' }], key: [{ name: 'id', type: 'integer' }], keySource: 'primary key', ...(references ? { references } : {}) });
const signal = new AbortController().signal;

/** A read session that records the tables it is given, as a plugin would address them; it has every optional method. */
function recording(): { session: SourceSession; seen: string[] } {
  const seen: string[] = [];
  const never = (method: string) => () => { throw new Error(`${method} reached the plugin`); };
  const session: SourceSession = {
    async describeTable(table) {
      seen.push(`describe ${formatTable(table)}`);
      return shapeOf(table, [pCopy]);
    },
    async describeTables(tables) {
      seen.push(`describeTables ${tables.map(formatTable).join(',')}`);
      return tables.map((table) => (table.name === 'missing' ? undefined : shapeOf(table, [pCopy])));
    },
    async fetch(args: FetchArgs) {
      seen.push(`fetch ${formatTable(args.shape.table)} -> ${(args.shape.references ?? []).map(formatTable).join(',')} keys ${args.keys.join(',')}`);
      return new RowBatch('r', args.shape, new TextEncoder().encode('1\n'));
    },
    async *readTable(args: ReadTableArgs) {
      seen.push(`readTable ${formatTable(args.shape.table)} after ${args.after ?? '-'}`);
      yield new RowBatch('r', args.shape, new Uint8Array());
    },
    async estimateRows(tables) {
      seen.push(`estimate ${tables.map(formatTable).join(',')}`);
      return new Map(tables.filter((table) => table.name !== 'unknown').map((table) => [tableId(table), 7]));
    },
    async selectColumns(table, selectList) {
      seen.push(`selectColumns ${formatTable(table)}: ${selectList}`);
      return [{ name: 'id', type: 'integer' }];
    },
    async readConsistently(work) {
      seen.push('consistently');
      return work();
    },
    async close() { seen.push('close'); },
    installCapture: never('installCapture'),
    capture: never('capture'),
    findTable: never('findTable'),
    listTables: never('listTables'),
    foreignKeys: never('foreignKeys'),
    hasChanges: never('hasChanges'),
    captureProblems: never('captureProblems'),
    capturedKeys: never('capturedKeys'),
    rebaseCheckpoint: never('rebaseCheckpoint'),
    purge: never('purge'),
    pending: never('pending'),
    pendingKeys: never('pendingKeys'),
    removeCapture: never('removeCapture'),
  };
  return { session, seen };
}

describe('renamedReadSession', () => {
  it('reads, describes and estimates each table under its name on the database, and names what comes back as the sync knows it', async () => {
    const { session, seen } = recording();
    const reader = renamedReadSession(session, renames);
    const fetched = await reader.fetch({ shape: shapeOf(t, [p]), keys: ['1'], signal });
    const batches = [];
    for await (const batch of reader.readTable!({ shape: shapeOf(t), batchRows: 10, after: '5', signal })) batches.push(batch);
    const described = await reader.describeTable(t);
    const many = await reader.describeTables!([t, { schema: 'public', name: 'other' }, { schema: 'public', name: 'missing' }]);
    const estimates = await reader.estimateRows!([t, { schema: 'public', name: 'other' }, { schema: 'public', name: 'unknown' }]);
    await reader.selectColumns!(t, 'id, upper(v) AS v');
    expect(seen).toEqual([
      'fetch reporting.t_copy -> reporting.p_copy keys 1',
      'readTable reporting.t_copy after 5',
      'describe reporting.t_copy',
      'describeTables reporting.t_copy,public.other,public.missing',
      'estimate reporting.t_copy,public.other,public.unknown',
      'selectColumns reporting.t_copy: id, upper(v) AS v',
    ]);
    expect(fetched.data).toEqual(new TextEncoder().encode('1\n'));
    expect(batches).toHaveLength(1);
    expect(described).toEqual(shapeOf(t, [p]));
    expect(many).toEqual([shapeOf(t, [p]), shapeOf({ schema: 'public', name: 'other' }, [p]), undefined]);
    // by the tables asked about: the core looks each figure up by the sync's name
    expect(estimates).toEqual(new Map([[tableId(t), 7], [tableId({ schema: 'public', name: 'other' }), 7]]));
  });

  it('passes on what takes no table, and offers none of the capture\'s methods: absent, or refused naming the method', async () => {
    const { session, seen } = recording();
    const reader = renamedReadSession(session, renames);
    expect(await reader.readConsistently!(async () => 'done')).toBe('done');
    await reader.close();
    expect(seen).toEqual(['consistently', 'close']);
    for (const method of ['findTable', 'listTables', 'foreignKeys', 'hasChanges', 'captureProblems', 'capturedKeys', 'rebaseCheckpoint', 'purge', 'pending', 'pendingKeys', 'removeCapture'] as const) {
      expect(reader[method], method).toBeUndefined();
    }
    await expect(reader.capture({ tables: [shapeOf(t)], since: 'x', signal })).rejects.toMatchObject({ code: 'DB_ROLE_UNSUPPORTED', item: 'capture' });
    await expect(reader.installCapture([shapeOf(t)])).rejects.toMatchObject({ code: 'DB_ROLE_UNSUPPORTED', item: 'installCapture' });
  });

  it('keeps a method the plugin lacks absent', () => {
    const { session } = recording();
    const { readTable: _readTable, estimateRows: _estimateRows, ...bare } = session;
    const reader = renamedReadSession(bare, renames);
    expect(reader.readTable).toBeUndefined();
    expect(reader.estimateRows).toBeUndefined();
  });

  it('sorts every method of both session interfaces (checked by the compiler; a method left out does not compile)', () => {
    const sourceMethods = Object.keys(recording().session).sort();
    expect(Object.keys(readSessionMethods).sort()).toEqual(sourceMethods);
    expect(Object.values(targetSessionMethods).filter((handling) => handling === 'renamed')).toHaveLength(12);
    // @ts-expect-error: a session method missing from the list (here all but close) is a compile error
    const incomplete = { close: 'as is' } as const satisfies SessionMethods<SourceSession>;
    // @ts-expect-error: as is a name the session does not have
    const extra = { ...targetSessionMethods, rename: 'as is' } as const satisfies SessionMethods<TargetSession>;
    expect([incomplete, extra]).toHaveLength(2);
  });
});
