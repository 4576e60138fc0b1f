import { BucardoError, isBucardoError } from '@bucardo/plugin-sdk';
import type { DbGroupMember, DbGroupRow } from '../control/catalog-rows.js';
import type { BucardoContext } from './context.js';
import { addDbGroup, parseMember } from './dbgroups.js';
import { updateDbGroup, type UpdatedDbGroup } from './dbgroup-update.js';
import { removeDatabases } from './lifecycle.js';
import { addDatabase, type AddDatabaseOptions } from './databases.js';

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
 * Bucardo's `add db A[,B…] … dbgroup=G[:ROLE]`: the databases are added (each as `add db` adds one), then
 * join dbgroup G, made with them when there is none (as `add dbgroup` makes one), else added to it as
 * `update dbgroup` adds them, which checks the syncs using it first. All or none: a refusal at any step
 * takes back the databases added so far, and says so.
 */
export async function addDatabasesToGroup(ctx: BucardoContext, databases: ReadonlyArray<{ readonly name: string; readonly params: Readonly<Record<string, string>> }>, options: AddDatabaseOptions, request: GroupJoinRequest): Promise<GroupJoin> {
  const added: string[] = [];
  try {
    for (const { name, params } of databases) {
      await addDatabase(ctx, name, params, options);
      added.push(name);
    }
    const texts = request.members.map((member) => `${member.db}:${member.role}`);
    const exists = (await ctx.control.catalog.dbgroups()).some((group) => group.name === request.dbgroup);
    return exists ? { updated: await updateDbGroup(ctx, request.dbgroup, { set: texts }) } : { created: await addDbGroup(ctx, request.dbgroup, texts) };
  } catch (error) {
    if (added.length === 0) throw error;
    const dbs = added.map((db) => `"${db}"`).join(', ');
    const failure = isBucardoError(error) ? error : new BucardoError('INVALID_ARGUMENT', (error as Error).message, { dbgroup: request.dbgroup, cause: error });
    const undone = await removeDatabases(ctx, added, false).then(
      () => `database ${dbs} not added either`,
      (removal: unknown) => `database ${dbs} added, but not to dbgroup "${request.dbgroup}" (${(removal as Error).message})`,
    );
    throw new BucardoError(failure.code, `${failure.message}; ${undone}`, { ...failure.subject, cause: failure });
  }
}
