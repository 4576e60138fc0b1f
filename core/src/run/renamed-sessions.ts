import { BucardoError, tableId, type FetchArgs, type ReadTableArgs, type RunEnd, type RunInfo, type SourceSession, type TableRef, type TargetSession } from '@bucardo/plugin-sdk';
import type { TableRenames } from './table-renames.js';

/**
 * What a renamed session does with each method of the plugin's: `renamed`, its tables given under their
 * names on the database; `as is`, passed on untouched (it takes no table, or a sequence, which keeps its
 * name); `withheld`, not offered (a read session reads rows, it captures nothing). Every method must be
 * said (`satisfies SessionMethods<…>` below), so a method the SDK adds fails to compile here until it is
 * sorted: it cannot reach the plugin with the sync's name for a renamed table.
 */
export type MethodHandling = 'renamed' | 'as is' | 'withheld';
export type SessionMethods<S> = Record<keyof S, MethodHandling>;

/** The methods of `S` that `methods` handles as `H`. */
type Handled<S, M extends SessionMethods<S>, H extends MethodHandling> = { [K in keyof S]: M[K] extends H ? K : never }[keyof S];
/** One override for each method renamed or withheld, and none for the others (undefined: the method is absent). */
type Overrides<S, M extends SessionMethods<S>> = { readonly [K in Handled<S, M, 'renamed' | 'withheld'>]: S[K] | undefined };

export const targetSessionMethods = {
  describeTable: 'renamed', describeTables: 'renamed', requiredColumns: 'renamed', missingPrivileges: 'renamed',
  summarizeRows: 'renamed', rowDigests: 'renamed', beginRun: 'renamed', endRun: 'renamed', apply: 'renamed',
  truncate: 'renamed', recordTruncate: 'renamed', isEmpty: 'renamed',
  readSequence: 'as is', setSequence: 'as is', begin: 'as is', prepareCommit: 'as is', commit: 'as is', rollback: 'as is', close: 'as is',
} as const satisfies SessionMethods<TargetSession>;

export const readSessionMethods = {
  describeTable: 'renamed', describeTables: 'renamed', fetch: 'renamed', readTable: 'renamed', estimateRows: 'renamed', selectColumns: 'renamed',
  readConsistently: 'as is', close: 'as is',
  findTable: 'withheld', listTables: 'withheld', foreignKeys: 'withheld', installCapture: 'withheld', capture: 'withheld',
  hasChanges: 'withheld', captureProblems: 'withheld', capturedKeys: 'withheld', rebaseCheckpoint: 'withheld',
  purge: 'withheld', pending: 'withheld', pendingKeys: 'withheld', removeCapture: 'withheld',
} as const satisfies SessionMethods<SourceSession>;

/**
 * A receiving database's target session that writes, copies, empties, describes and compares each of the
 * sync's tables under its name there (`bucardo add customname`): the one place a custom name is applied.
 * What comes back (shapes) is named as the sync knows it, so that the core matches it with the first
 * source's; what the plugin throws already names the table as it is on its database. A method the plugin
 * lacks stays absent, as the core branches on their presence.
 */
export function renamedTargetSession(inner: TargetSession, renames: TableRenames): TargetSession {
  const tables = (list: readonly TableRef[]) => list.map((table) => renames.out(table));
  const run = <R extends RunInfo>(info: R): R => (info.tables ? { ...info, tables: tables(info.tables) } : info);
  const overrides: Overrides<TargetSession, typeof targetSessionMethods> = {
    apply: (batch) => inner.apply({ ...batch, shape: renames.shapeOut(batch.shape) }),
    describeTable: inner.describeTable && (async (table) => renames.answerFor(table, await inner.describeTable!(renames.out(table)))),
    describeTables: inner.describeTables && (async (list) => (await inner.describeTables!(tables(list))).map((shape, index) => renames.answerFor(list[index]!, shape))),
    requiredColumns: inner.requiredColumns && ((list) => inner.requiredColumns!(tables(list))),
    missingPrivileges: inner.missingPrivileges && ((shapes) => inner.missingPrivileges!(shapes.map((shape) => renames.shapeOut(shape)))),
    summarizeRows: inner.summarizeRows && ((request) => inner.summarizeRows!({ ...request, shape: renames.shapeOut(request.shape) })),
    rowDigests: inner.rowDigests && ((request) => inner.rowDigests!({ ...request, shape: renames.shapeOut(request.shape) })),
    beginRun: inner.beginRun && ((info: RunInfo) => inner.beginRun!(run(info))),
    endRun: inner.endRun && ((info: RunEnd) => inner.endRun!(run(info))),
    truncate: inner.truncate && ((shape, signal, options) => inner.truncate!(renames.shapeOut(shape), signal, options)),
    recordTruncate: inner.recordTruncate && ((shape, signal, makeDelta) => inner.recordTruncate!(renames.shapeOut(shape), signal, makeDelta)),
    isEmpty: inner.isEmpty && ((table) => inner.isEmpty!(renames.out(table))),
  };
  return withOverrides(inner, overrides);
}

/**
 * A read session opened on a receiving database (a conflict winner chosen by role, `compare` showing a
 * row's values there, a copy from it): it reads each table under its name there, as the target session
 * writes it. It captures nothing there, so the capture's methods are withheld: the optional ones absent,
 * the two every source has refused, naming the method.
 */
export function renamedReadSession(inner: SourceSession, renames: TableRenames): SourceSession {
  const refused = (method: string) => () => Promise.reject(new BucardoError('DB_ROLE_UNSUPPORTED', `A session reading rows on a receiving database does not capture changes there (${method})`, { item: method }));
  const overrides: Overrides<SourceSession, typeof readSessionMethods> = {
    fetch: (args: FetchArgs) => inner.fetch({ ...args, shape: renames.shapeOut(args.shape) }),
    readTable: inner.readTable && ((args: ReadTableArgs) => inner.readTable!({ ...args, shape: renames.shapeOut(args.shape) })),
    describeTable: async (table) => renames.answerFor(table, await inner.describeTable(renames.out(table))),
    describeTables: inner.describeTables && (async (list) => (await inner.describeTables!(list.map((table) => renames.out(table)))).map((shape, index) => renames.answerFor(list[index]!, shape))),
    // figures by the tables asked about, not by their names there
    estimateRows: inner.estimateRows && (async (list) => {
      const figures = await inner.estimateRows!(list.map((table) => renames.out(table)));
      return new Map(list.flatMap((table) => {
        const figure = figures.get(tableId(renames.out(table)));
        return figure === undefined ? [] : [[tableId(table), figure] as const];
      }));
    }),
    // customcols reading a winner's rows on a receiving database: the list read from its table there
    selectColumns: inner.selectColumns && ((table, selectList) => inner.selectColumns!(renames.out(table), selectList)),
    installCapture: refused('installCapture'),
    capture: refused('capture'),
    findTable: undefined, listTables: undefined, foreignKeys: undefined, hasChanges: undefined, captureProblems: undefined,
    capturedKeys: undefined, rebaseCheckpoint: undefined, purge: undefined, pending: undefined, pendingKeys: undefined, removeCapture: undefined,
  };
  return withOverrides(inner, overrides);
}

/** `inner`, with these methods in place of its own (an override left undefined: the method is absent). */
export function withOverrides<T extends object>(inner: T, overrides: { readonly [K in keyof T]?: T[K] | undefined }): T {
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof T];
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
