import { BucardoError } from '@bucardo/plugin-sdk';
import type { BucardoContext } from './context.js';

/**
 * `bucardo remove relgroup|herd NAME…`: the herds go, their tables stay recorded (and in other herds).
 * A herd a sync replicates is refused, naming the syncs: remove them first. All or nothing.
 */
export async function removeHerds(ctx: BucardoContext, names: readonly string[]): Promise<string[]> {
  const herds = await ctx.control.catalog.herds();
  for (const name of names) {
    const herd = herds.find((row) => row.name === name);
    if (!herd) throw new BucardoError('HERD_NOT_FOUND', `There is no relgroup named "${name}"`, { herd: name });
    if (herd.syncs.length > 0) throw inUse('relgroup', name, herd.syncs, { herd: name });
  }
  return ctx.control.transaction(async () => {
    for (const name of names) await ctx.control.catalog.removeHerd(name);
    return [...names];
  });
}

/**
 * `bucardo remove dbgroup NAME…`: the dbgroups go, their databases stay recorded. A dbgroup a sync uses is
 * refused, naming the syncs. All or nothing.
 */
export async function removeDbGroups(ctx: BucardoContext, names: readonly string[]): Promise<string[]> {
  const groups = await ctx.control.catalog.dbgroups();
  for (const name of names) {
    const group = groups.find((row) => row.name === name);
    if (!group) throw new BucardoError('DBGROUP_NOT_FOUND', `There is no dbgroup named "${name}"`, { dbgroup: name });
    if (group.syncs.length > 0) throw inUse('dbgroup', name, group.syncs, { dbgroup: name });
  }
  return ctx.control.transaction(async () => {
    for (const name of names) await ctx.control.catalog.removeDbGroup(name);
    return [...names];
  });
}

function inUse(kind: string, name: string, syncs: readonly string[], subject: { herd?: string; dbgroup?: string }): BucardoError {
  const used = syncs.map((sync) => `"${sync}"`).join(', ');
  return new BucardoError('IN_USE', `Cannot remove ${kind} "${name}": ${syncs.length === 1 ? 'sync' : 'syncs'} ${used} ${syncs.length === 1 ? 'uses' : 'use'} it (bucardo remove sync ${syncs.join(' ')} first)`, { ...subject, sync: syncs[0]! });
}
