import { BucardoError, formatTable, parseTableName, type TableRef } from '@bucardo/plugin-sdk';
import type { HerdRow } from '../control/catalog-rows.js';
import type { BucardoContext } from './context.js';
import { checkName } from './names.js';

/**
 * `bucardo add herd|relgroup NAME [TABLE…]`: creates a herd of tables already added with
 * `bucardo add table`; a table that was not added is an error naming it, and nothing is created.
 */
export async function addHerd(ctx: BucardoContext, name: string, tables: readonly string[]): Promise<{ name: string; members: TableRef[] }> {
  checkName('herd', name);
  const known = await ctx.control.catalog.relations();
  const ids = tables.map((text) => {
    const wanted = parseTableName(text);
    const matches = known.filter((row) => row.table.name === wanted.name && (wanted.schema === undefined || row.table.schema === wanted.schema));
    if (matches.length === 0) throw new BucardoError('TABLE_NOT_FOUND', `Table "${text}" has not been added: run "bucardo add table ${text}" first`, { table: text, herd: name });
    if (matches.length > 1) throw new BucardoError('INVALID_ARGUMENT', `Table name "${text}" matches ${matches.map((m) => formatTable(m.table)).join(' and ')}: add the schema`, { table: text });
    return matches[0]!;
  });
  await ctx.control.transaction(async () => {
    await ctx.control.catalog.insertHerd(name);
    await ctx.control.catalog.addHerdMembers(name, ids.map((row) => row.id));
  });
  return { name, members: ids.map((row) => row.table) };
}

export function listHerds(ctx: BucardoContext): Promise<HerdRow[]> {
  return ctx.control.catalog.herds();
}
