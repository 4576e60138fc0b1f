import type { PartitionDigests, RunEnd, RunInfo, SourceSession, TableRef, TargetSession } from '@bucardo/plugin-sdk';
import type { TableRenames } from './table-renames.js';

/**
 * A receiving database's target session that writes, copies, empties, describes and compares each of the
 * sync's tables under its name there (`bucardo add customname`): the one place a custom name is applied.
 * What comes back (shapes) is renamed back to the sync's names, so that the core matches it with the
 * first source's; what the plugin throws already names the table as it is on its database. Optional
 * methods stay absent where the plugin's are, as the core branches on their presence.
 */
export function renamedTargetSession(inner: TargetSession, renames: TableRenames): TargetSession {
  const tables = (list: readonly TableRef[]) => list.map((table) => renames.out(table));
  const run = <R extends RunInfo>(info: R): R => (info.tables ? { ...info, tables: tables(info.tables) } : info);
  const session: TargetSession = {
    begin: (signal) => inner.begin(signal),
    apply: (batch) => inner.apply({ ...batch, shape: renames.shapeOut(batch.shape) }),
    commit: () => inner.commit(),
    rollback: () => inner.rollback(),
    close: () => inner.close(),
  };
  const optional: Partial<TargetSession> = {
    describeTable: inner.describeTable && (async (table) => renames.answerFor(table, await inner.describeTable!(renames.out(table)))),
    describeTables: inner.describeTables && (async (list) => (await inner.describeTables!(tables(list))).map((shape, index) => renames.answerFor(list[index]!, shape))),
    requiredColumns: inner.requiredColumns && ((list) => inner.requiredColumns!(tables(list))),
    summarizeRows: inner.summarizeRows && ((request) => inner.summarizeRows!({ ...request, shape: renames.shapeOut(request.shape) })),
    rowDigests: inner.rowDigests && ((request): AsyncIterable<PartitionDigests> => inner.rowDigests!({ ...request, shape: renames.shapeOut(request.shape) })),
    beginRun: inner.beginRun && ((info: RunInfo) => inner.beginRun!(run(info))),
    endRun: inner.endRun && ((info: RunEnd) => inner.endRun!(run(info))),
    truncate: inner.truncate && ((shape, signal) => inner.truncate!(renames.shapeOut(shape), signal)),
    isEmpty: inner.isEmpty && ((table) => inner.isEmpty!(renames.out(table))),
    // sequences keep their names (customname is about tables, as in Bucardo)
    readSequence: inner.readSequence && ((sequence) => inner.readSequence!(sequence)),
    setSequence: inner.setSequence && ((sequence, state) => inner.setSequence!(sequence, state)),
    prepareCommit: inner.prepareCommit && ((signal) => inner.prepareCommit!(signal)),
  };
  for (const [name, method] of Object.entries(optional)) if (method) Object.assign(session, { [name]: method });
  return session;
}

/**
 * A read session opened on a receiving database (a conflict winner chosen by role, `compare` showing a
 * row's values there): it reads each table under its name there, as the target session writes it.
 */
export function renamedReadSession(inner: SourceSession, renames: TableRenames): SourceSession {
  return new Proxy(inner, {
    get(target, property, receiver) {
      switch (property) {
        case 'fetch': return (args: Parameters<SourceSession['fetch']>[0]) => target.fetch({ ...args, shape: renames.shapeOut(args.shape) });
        case 'readTable': return target.readTable && ((args: Parameters<NonNullable<SourceSession['readTable']>>[0]) => target.readTable!({ ...args, shape: renames.shapeOut(args.shape) }));
        case 'describeTable': return async (table: TableRef) => renames.answerFor(table, await target.describeTable(renames.out(table)));
        case 'describeTables': return target.describeTables && (async (list: readonly TableRef[]) => (await target.describeTables!(list.map((table) => renames.out(table)))).map((shape, index) => renames.answerFor(list[index]!, shape)));
        default: {
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        }
      }
    },
  });
}
