import { BucardoError } from '@bucardo/plugin-sdk';
import type { DbGroupMember } from '../control/catalog-rows.js';
import type { BucardoContext } from './context.js';
import { requireDatabases } from './dbgroups.js';

/**
 * `update sync S onetimecopy=N db=T[,T2…]`: the targets the copy goes to, each a database of the sync with
 * the role target (a copy writes the first source's rows over a target's; a source or a fullcopy member is
 * no place for it). Returns the names in the order given, each once.
 */
export async function parseCopyTargets(ctx: BucardoContext, sync: string, value: string, members: readonly DbGroupMember[], dbgroup: string): Promise<string[]> {
  const names = [...new Set(value.split(',').map((name) => name.trim()).filter((name) => name !== ''))];
  if (names.length === 0) throw new BucardoError('INVALID_ARGUMENT', `db= names no database: onetimecopy=N db=TARGET[,TARGET…] copies to those targets of sync "${sync}" only`, { sync, item: 'db' });
  await requireDatabases(ctx, names, `db= of sync "${sync}"`);
  for (const name of names) {
    const member = members.find((candidate) => candidate.db === name);
    if (!member) throw new BucardoError('INVALID_ARGUMENT', `Database "${name}" is not in sync "${sync}" (dbgroup "${dbgroup}"): onetimecopy copies to the sync's targets only`, { db: name, sync, dbgroup, item: 'db' });
    if (member.role !== 'target') throw new BucardoError('INVALID_ARGUMENT', `Database "${name}" is a ${member.role} of sync "${sync}", not a target: onetimecopy copies to the sync's targets only`, { db: name, sync, item: 'db' });
  }
  return names;
}
