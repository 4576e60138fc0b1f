import type { SourceSession } from '@bucardo/plugin-sdk';
import type { DatabaseRow } from '../control/catalog-rows.js';
import type { BucardoContext } from './context.js';
import { specOf } from './databases.js';

/** `work` on a source session of its own on database `db`, closed after; a type that cannot be a source is `undefined`. */
export async function withSource<T>(ctx: BucardoContext, db: string, label: string, work: (session: SourceSession) => Promise<T>): Promise<T | undefined> {
  const row: DatabaseRow = await ctx.control.catalog.database(db);
  const driver = ctx.engine.registry.database(row.type).source;
  if (!driver) return undefined;
  const session = await driver.open(specOf(row), { log: ctx.engine.log, label });
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}
