import { BucardoError, type ErrorSubject } from '@bucardo/plugin-sdk';
import type { BucardoContext } from './context.js';

/** A kind of group and how to reach it: herds (relgroups) and dbgroups are removed the same way. */
interface GroupKind {
  /** What Bucardo calls it, for messages. */
  readonly noun: 'relgroup' | 'dbgroup';
  readonly notFound: 'HERD_NOT_FOUND' | 'DBGROUP_NOT_FOUND';
  readonly subject: (name: string) => ErrorSubject;
  readonly all: (ctx: BucardoContext) => Promise<ReadonlyArray<{ readonly name: string; readonly syncs: readonly string[] }>>;
  readonly remove: (ctx: BucardoContext, name: string) => Promise<boolean>;
}

const HERD: GroupKind = {
  noun: 'relgroup', notFound: 'HERD_NOT_FOUND', subject: (herd) => ({ herd }),
  all: (ctx) => ctx.control.catalog.herds(), remove: (ctx, name) => ctx.control.catalog.removeHerd(name),
};

const DBGROUP: GroupKind = {
  noun: 'dbgroup', notFound: 'DBGROUP_NOT_FOUND', subject: (dbgroup) => ({ dbgroup }),
  all: (ctx) => ctx.control.catalog.dbgroups(), remove: (ctx, name) => ctx.control.catalog.removeDbGroup(name),
};

/** `bucardo remove relgroup|herd NAME…`: the herds go, their tables stay recorded (and in other herds). */
export function removeHerds(ctx: BucardoContext, names: readonly string[]): Promise<string[]> {
  return removeGroups(ctx, HERD, names);
}

/** `bucardo remove dbgroup NAME…`: the dbgroups go, their databases stay recorded. */
export function removeDbGroups(ctx: BucardoContext, names: readonly string[]): Promise<string[]> {
  return removeGroups(ctx, DBGROUP, names);
}

/** A group a sync uses is refused, naming the syncs (remove them first); all or nothing. */
async function removeGroups(ctx: BucardoContext, kind: GroupKind, names: readonly string[]): Promise<string[]> {
  const groups = await kind.all(ctx);
  for (const name of names) {
    const group = groups.find((row) => row.name === name);
    if (!group) throw new BucardoError(kind.notFound, `There is no ${kind.noun} named "${name}"`, kind.subject(name));
    const { syncs } = group;
    if (syncs.length > 0) {
      const one = syncs.length === 1;
      throw new BucardoError('IN_USE', `Cannot remove ${kind.noun} "${name}": ${one ? 'sync' : 'syncs'} ${syncs.map((sync) => `"${sync}"`).join(', ')} ${one ? 'uses' : 'use'} it (bucardo remove sync ${syncs.join(' ')} first)`,
        { ...kind.subject(name), sync: syncs[0]! });
    }
  }
  return ctx.control.transaction(async () => {
    for (const name of names) await kind.remove(ctx, name);
    return [...names];
  });
}
