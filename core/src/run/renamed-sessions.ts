import type { FetchArgs, ReadTableArgs, RunEnd, RunInfo, SourceSession, TableRef, TargetSession } from '@bucardo/plugin-sdk';
import type { TableRenames } from './table-renames.js';

/**
 * A receiving database's target session that writes, copies, empties, describes and compares each of the
 * sync's tables under its name there (`bucardo add customname`): the one place a custom name is applied.
 * What comes back (shapes) is named as the sync knows it, so that the core matches it with the first
 * source's; what the plugin throws already names the table as it is on its database. Every method that
 * takes a table is renamed here (one the SDK adds must be too); the others (transactions, sequences,
 * which keep their names) reach the plugin as they are. A method the plugin lacks stays absent, as the
 * core branches on their presence.
 */
export function renamedTargetSession(inner: TargetSession, renames: TableRenames): TargetSession {
  const tables = (list: readonly TableRef[]) => list.map((table) => renames.out(table));
  const run = <R extends RunInfo>(info: R): R => (info.tables ? { ...info, tables: tables(info.tables) } : info);
  return withOverrides(inner, {
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
    isEmpty: inner.isEmpty && ((table) => inner.isEmpty!(renames.out(table))),
  });
}

/**
 * A read session opened on a receiving database (a conflict winner chosen by role, `compare` showing a
 * row's values there): it reads each table under its name there, as the target session writes it.
 */
export function renamedReadSession(inner: SourceSession, renames: TableRenames): SourceSession {
  return withOverrides(inner, {
    fetch: (args: FetchArgs) => inner.fetch({ ...args, shape: renames.shapeOut(args.shape) }),
    readTable: inner.readTable && ((args: ReadTableArgs) => inner.readTable!({ ...args, shape: renames.shapeOut(args.shape) })),
    describeTable: async (table) => renames.answerFor(table, await inner.describeTable(renames.out(table))),
    describeTables: inner.describeTables && (async (list) => (await inner.describeTables!(list.map((table) => renames.out(table)))).map((shape, index) => renames.answerFor(list[index]!, shape))),
  });
}

/** `inner`, with these methods in place of its own (an override left undefined: the method is absent). */
export function withOverrides<T extends object>(inner: T, overrides: Partial<T>): T {
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof T];
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
