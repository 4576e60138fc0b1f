import { BucardoError, type DatabaseSpec, type TargetWriter } from '@bucardo/plugin-sdk';
import type { DbGroupMember } from '../control/catalog-rows.js';
import { parseConflictSpec } from '../run/conflict-spec.js';
import type { BucardoContext } from './context.js';
import { specOf } from './databases.js';

// What a sync's databases must satisfy, checked by `add sync`, `update sync` and `update dbgroup` alike.

/** A sync of one database has nowhere to send its changes: refused, rather than run forever doing nothing. */
export function requireTwoDatabases(sync: string, members: readonly DbGroupMember[], dbgroup?: string): void {
  if (new Set(members.map((member) => member.db)).size >= 2) return;
  const only = members[0]?.db ?? '';
  throw new BucardoError('SYNC_INVALID',
    `Sync "${sync}" has only one database ("${only}"${dbgroup === undefined ? '' : ` in dbgroup "${dbgroup}"`}): a sync needs a second database to replicate to`,
    { sync, db: only, ...(dbgroup === undefined ? {} : { dbgroup }) });
}

/** The `conflict=` setting must name a strategy (or list the sync's databases) that fits the sync. */
export async function checkConflictSpec(ctx: BucardoContext, sync: string, spec: string, members: readonly DbGroupMember[]): Promise<void> {
  const rows = await ctx.control.catalog.databases();
  const databases = members.map((member) => {
    const type = rows.find((row) => row.name === member.db)?.type ?? 'postgres';
    return { name: member.db, role: member.role, type, readable: ctx.engine.registry.readable({ role: member.role, type }) };
  });
  const parsed = parseConflictSpec(spec, databases.map((db) => db.name), ctx.engine.registry, sync);
  ctx.engine.registry.conflictStrategy(parsed.name).validate?.({ sync, databases, options: parsed.options });
}

/**
 * `onetimecopy=1` empties every target's tables before copying: refused up front for a target that cannot
 * empty a table, since every run would otherwise fail on it (and be retried) until the setting changed.
 * `copyTargets`: the copy goes to these targets only (`db=`), so only they need to empty a table.
 */
export async function checkOnetimecopy(ctx: BucardoContext, sync: string, onetimecopy: number, members: readonly DbGroupMember[], copyTargets?: readonly string[]): Promise<void> {
  if (onetimecopy !== 1) return;
  const databases = await ctx.control.catalog.databases();
  for (const member of members) {
    if (member.role !== 'target' || (copyTargets && !copyTargets.includes(member.db))) continue;
    const db = databases.find((row) => row.name === member.db);
    if (!db) continue;
    const writer = ctx.engine.registry.database(db.type).target;
    if (!writer || writer.capabilities.truncate) continue;
    const instead = await tellsEmptyTables(ctx, writer, specOf(db), sync)
      ? '; onetimecopy=2 copies to it without emptying its tables'
      : '';
    throw new BucardoError('DB_ROLE_UNSUPPORTED',
      `Sync "${sync}" cannot use onetimecopy=1: database "${db.name}" (type ${db.type}) cannot empty a table for a copy${instead}`,
      { sync, db: db.name, item: 'onetimecopy' });
  }
}

/** Whether onetimecopy=2 can decide for this database (its sessions say whether a table is empty). */
async function tellsEmptyTables(ctx: BucardoContext, writer: TargetWriter, spec: DatabaseSpec, sync: string): Promise<boolean> {
  try {
    const session = await writer.open(spec, { log: ctx.engine.log.child({ db: spec.name }), label: `bucardo ${sync} onetimecopy check` });
    const can = typeof session.isEmpty === 'function';
    await session.close().catch(() => undefined);
    return can;
  } catch {
    // unreachable now: the refusal stands, only the suggestion is left out
    return false;
  }
}
