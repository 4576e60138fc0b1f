import { BucardoError, formatTable } from '@bucardo/plugin-sdk';
import type { MemberChange, SyncMembershipChange, UpdatedDbGroup } from '@bucardo/core';
import type { CliSession } from '../cli-session.js';
import { printWarning } from '../print-error.js';
import { reportDropped } from './dropped-changes.js';

const usage = 'Usage: bucardo update dbgroup NAME DB[:ROLE]… | update dbgroup NAME remove DB… | update dbgroup NAME name=NEWNAME';

/**
 * `bucardo update dbgroup NAME DB[:ROLE]…` (Bucardo's: each database added, as a target unless a role is
 * given, or given the role), `… add DB[:ROLE]…` (the same), `… remove DB…`, and `name=NEWNAME`.
 */
export async function updateDbGroupCommand(session: CliSession, name: string, words: readonly string[]): Promise<number> {
  const { name: newName, ...unknown } = session.params;
  const [key] = Object.keys(unknown);
  if (key !== undefined) throw new BucardoError('INVALID_ARGUMENT', `update dbgroup can change: its databases, and name= (not "${key}"). ${usage}`, { item: key, dbgroup: name });
  const [verb, ...rest] = words;
  const removing = verb !== undefined && /^(remove|delete)$/i.test(verb);
  const listed = (verb !== undefined && (removing || /^add$/i.test(verb)) ? rest : words).flatMap((word) => word.split(',')).filter(Boolean);
  if ((removing || /^add$/i.test(verb ?? '')) && listed.length === 0) throw new BucardoError('INVALID_ARGUMENT', usage, { dbgroup: name });
  const updated = await (await session.bucardo()).updateDbGroup(name, {
    ...(removing ? { remove: listed } : { set: listed }),
    ...(newName === undefined ? {} : { name: newName }),
  });
  reportDbGroupUpdate(session, updated);
  return 0;
}

/** What changed in the dbgroup, then per sync what it reads now and what it dropped, then what is not copied. */
export function reportDbGroupUpdate(session: CliSession, updated: UpdatedDbGroup): void {
  const group = updated.renamedFrom ?? updated.dbgroup.name;
  if (updated.changes.length === 0 && !updated.renamedFrom) {
    session.print(`Dbgroup "${group}" unchanged`);
    return;
  }
  for (const change of updated.changes) session.print(describeChange(change, group));
  if (updated.renamedFrom) session.print(`Changed dbgroup name from "${updated.renamedFrom}" to "${updated.dbgroup.name}"`);
  for (const sync of updated.syncs) reportSync(session, sync);
  const joined = updated.syncs.filter((sync) => sync.newReceivers.length > 0);
  if (joined.length > 0) {
    const dbs = [...new Set(joined.flatMap((sync) => sync.newReceivers))].map((db) => `"${db}"`).join(', ');
    const copy = joined.map((sync) => `bucardo update sync ${sync.sync} onetimecopy=2`).join(', ');
    session.print(`Note: the rows already in the other databases are not copied to ${dbs}, only changes from now on; ${copy} copies them to each target whose table is still empty when its next run starts (onetimecopy=1: every table of the sync, emptied first)`);
  }
  const added = updated.changes.filter((change) => change.from === undefined && change.to === 'source').map((change) => `"${change.db}"`);
  if (added.length > 0) {
    session.print(`Note: ${added.join(', ')} joined as a source with the rows it has: the rows only the other databases have are not copied to it, nor its own to them (onetimecopy copies to targets only); load it from a copy of a source first, or add it as a target, copy with onetimecopy=2, then make it a source`);
  }
}

function describeChange(change: MemberChange, group: string): string {
  if (change.from === undefined) return `Added database "${change.db}" to dbgroup "${group}" as ${change.to}`;
  if (change.to === undefined) return `Removed database "${change.db}" from dbgroup "${group}"`;
  return `Changed role of database "${change.db}" in dbgroup "${group}" from ${change.from} to ${change.to}`;
}

/** What the sync reads from now on, what it dropped, and the capture that went (or stayed, a warning). */
function reportSync(session: CliSession, sync: SyncMembershipChange): void {
  for (const db of sync.newSources) session.print(`Sync "${sync.sync}": capture installed on database "${db}"; its changes from now on are sent`);
  reportDropped(session, { sync: sync.sync, undelivered: sync.undelivered });
  for (const [db, tables] of sync.capture) session.print(`  Removed capture of ${tables.map(formatTable).join(', ')} on database "${db}"`);
  for (const { db, error } of sync.captureKept) printWarning(`Could not remove capture on database "${db}" (it keeps recording changes no sync reads): ${error.message}`);
  for (const warning of sync.warnings) printWarning(warning);
}
