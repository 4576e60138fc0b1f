import { BucardoError, isBucardoError } from '@bucardo/plugin-sdk';
import type { DbGroupMember, DbGroupRow } from '../control/catalog-rows.js';
import type { BucardoContext } from './context.js';
import { addDbGroup, parseMember } from './dbgroups.js';
import { updateDbGroup, type UpdatedDbGroup } from './dbgroup-update.js';
import { removeDatabases } from './lifecycle.js';

/** What `add db … dbgroup=G[:ROLE]` did with the dbgroup: made it, or added the databases to it. */
export type GroupJoin = { readonly created: DbGroupRow } | { readonly updated: UpdatedDbGroup };

/** A `dbgroup=` of `add db`: the dbgroup and the role of each database (as Bucardo: the first a source, the others targets, unless a role is given). */
export interface GroupJoinRequest {
  readonly dbgroup: string;
  readonly members: readonly DbGroupMember[];
}

/** Reads `dbgroup=G[:ROLE]` for databases `names`, before any is added: a bad role adds nothing. */
export function parseGroupJoin(spec: string, names: readonly string[]): GroupJoinRequest {
  const [dbgroup, role, ...rest] = spec.split(':');
  if (!dbgroup || rest.length > 0 || role === '') throw new BucardoError('INVALID_ARGUMENT', `dbgroup= takes NAME or NAME:ROLE, not "${spec}"`, { item: spec });
  return { dbgroup, members: names.map((db, index) => parseMember(role === undefined ? db : `${db}:${role}`, index === 0 ? 'source' : 'target')) };
}

/**
 * Bucardo's `add db A[,B…] … dbgroup=G[:ROLE]`, once the databases are added: they join dbgroup G, made
 * with them when there is none (as `add dbgroup` makes one), else added to it as `update dbgroup` adds
 * them, which checks the syncs using it first. A refusal removes the databases again, so that the command
 * changes nothing, and says so.
 */
export async function joinDbGroup(ctx: BucardoContext, request: GroupJoinRequest): Promise<GroupJoin> {
  const texts = request.members.map((member) => `${member.db}:${member.role}`);
  try {
    const exists = (await ctx.control.catalog.dbgroups()).some((group) => group.name === request.dbgroup);
    return exists ? { updated: await updateDbGroup(ctx, request.dbgroup, { set: texts }) } : { created: await addDbGroup(ctx, request.dbgroup, texts) };
  } catch (error) {
    const dbs = request.members.map((member) => `"${member.db}"`).join(', ');
    const failure = isBucardoError(error) ? error : new BucardoError('INVALID_ARGUMENT', (error as Error).message, { dbgroup: request.dbgroup, cause: error });
    const undone = await removeDatabases(ctx, request.members.map((member) => member.db), false).then(
      () => `database ${dbs} not added either`,
      (removal: unknown) => `database ${dbs} added, but not to dbgroup "${request.dbgroup}" (${(removal as Error).message})`,
    );
    throw new BucardoError(failure.code, `${failure.message}; ${undone}`, { ...failure.subject, cause: failure });
  }
}
