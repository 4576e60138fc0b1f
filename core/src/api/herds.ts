import { BucardoError, type TableRef } from '@bucardo/plugin-sdk';
import type { HerdRow } from '../control/catalog-rows.js';
import type { BucardoContext } from './context.js';
import { checkName } from './names.js';
import { pickTable } from './table-names.js';

/**
 * `bucardo add herd|relgroup NAME [TABLE…]`: creates a herd of tables already added with
 * `bucardo add table`; a table that was not added is an error naming it, and nothing is created.
 */
export async function addHerd(ctx: BucardoContext, name: string, tables: readonly string[]): Promise<{ name: string; members: TableRef[] }> {
  checkName('herd', name);
  const known = await ctx.control.catalog.relations();
  const ids = tables.map((text) => {
    const row = pickTable(text, known, (relation) => relation.table);
    if (!row) throw new BucardoError('TABLE_NOT_FOUND', `Table "${text}" has not been added: run "bucardo add table ${text}" first`, { table: text, herd: name });
    return row;
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
