import { BucardoError, parseTableName, type TableRef } from '@bucardo/plugin-sdk';
import type { BucardoContext } from './context.js';
import { specOf } from './databases.js';
import { checkName } from './names.js';

/**
 * `bucardo add sequence NAME… [herd=H] [db=D]`: records sequences found on a database (schema `public`
 * unless given). In a sync, each run makes every database's sequence equal to the source's whose value is
 * highest (value, increment, minimum, maximum, cycle).
 */
export async function addSequences(ctx: BucardoContext, names: readonly string[], options: { herd?: string; db?: string } = {}): Promise<{ added: TableRef[]; herdCreated: boolean }> {
  if (names.length === 0) throw new BucardoError('INVALID_ARGUMENT', 'Name at least one sequence to add');
  if (options.herd !== undefined) checkName('herd', options.herd);
  const rows = options.db !== undefined ? [await ctx.control.catalog.database(options.db)] : (await ctx.control.catalog.databases()).filter((row) => row.status === 'active');
  const wanted = names.map((text) => ({ text, ...parseTableName(text) })).map((name) => ({ text: name.text, ref: { schema: name.schema ?? 'public', name: name.name } }));
  const found = new Map<string, string>();
  for (const row of rows) {
    const target = ctx.engine.registry.database(row.type).target;
    if (!target) continue;
    const session = await target.open(specOf(row), { log: ctx.engine.log, label: 'bucardo add sequence' });
    try {
      if (!session.readSequence) continue;
      for (const name of wanted) {
        if (!found.has(name.text) && (await session.readSequence(name.ref))) found.set(name.text, row.name);
      }
    } finally {
      await session.close();
    }
    if (found.size === wanted.length) break;
  }
  const missing = wanted.filter((name) => !found.has(name.text)).map((name) => name.text);
  if (missing.length > 0) throw new BucardoError('TABLE_NOT_FOUND', `Did not find these sequences: ${missing.join(', ')}`, { table: missing[0]! });
  return ctx.control.transaction(async () => {
    const { ids } = await ctx.control.catalog.upsertRelations(wanted.map((name) => ({
      table: name.ref, kind: 'sequence' as const, db: found.get(name.text)!, keyColumns: [], keyTypes: [], keySource: 'sequence',
    })));
    let herdCreated = false;
    if (options.herd !== undefined) {
      herdCreated = await ctx.control.catalog.ensureHerd(options.herd);
      await ctx.control.catalog.addHerdMembers(options.herd, ids);
    }
    return { added: wanted.map((name) => name.ref), herdCreated };
  });
}

