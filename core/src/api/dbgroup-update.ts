import { BucardoError, isBucardoError, tableId, type Checkpoint, type DatabaseRole, type TableRef } from '@bucardo/plugin-sdk';
import type { DbGroupMember, DbGroupRow, SyncRow } from '../control/catalog-rows.js';
import { databaseError } from '../run/database-error.js';
import { isPureFullcopy, sourcesOf } from '../run/sync-plan.js';
import { removeUnusedCapture, undoNewCapture } from './capture-cleanup.js';
import type { BucardoContext } from './context.js';
import { checkMembers, parseMember, requireDatabases } from './dbgroups.js';
import { checkName } from './names.js';
import { checkConflictSpec, checkOnetimecopy, requireTwoDatabases } from './sync-checks.js';
import { syncBacklog, type SourceBacklog } from './sync-backlog.js';
import { truncateWarnings } from './truncate-warnings.js';
import { readSyncPlan } from './sync-plan-loader.js';
import { installCapture, previewPlan } from './syncs.js';

/** What `bucardo update dbgroup NAME …` asks for. */
export interface DbGroupUpdate {
  /** `DB[:ROLE]`: each database added (as a target unless a role is given) or given the role. */
  readonly set?: readonly string[];
  /** Databases taken out of the dbgroup. */
  readonly remove?: readonly string[];
  /** A new name for the dbgroup; its syncs follow it. */
  readonly name?: string;
}

/** One database's change: added (no `from`), removed (no `to`), or given another role. */
export interface MemberChange {
  readonly db: string;
  readonly from?: DatabaseRole;
  readonly to?: DatabaseRole;
}

/** What changing the dbgroup did to one sync using it. */
export interface SyncMembershipChange {
  readonly sync: string;
  /** Databases the sync now reads changes from, capture installed for it: nothing they changed before is read. */
  readonly newSources: readonly string[];
  /** Databases the sync now writes to that were not in it: the rows already in the sync's tables are not copied to them. */
  readonly newReceivers: readonly string[];
  /** Per database the sync no longer reads (removed, or no longer a source), what it had captured and not delivered. */
  readonly undelivered: readonly SourceBacklog[];
  /** Per such database, the tables whose capture went (no sync reads them there any more). */
  readonly capture: ReadonlyMap<string, readonly TableRef[]>;
  /** Such databases whose capture could not be removed (unreachable): it stays, recording changes no sync reads. */
  readonly captureKept: ReadonlyArray<{ readonly db: string; readonly error: BucardoError }>;
  /**
   * What may stop the sync's runs later, said now, for the databases the change put at risk only: one that
   * joined (or got a role) and cannot empty a table, or one that now receives another source's truncates.
   */
  readonly warnings: readonly BucardoError[];
}

export interface UpdatedDbGroup {
  readonly dbgroup: DbGroupRow;
  /** The name it had, when it was renamed. */
  readonly renamedFrom?: string;
  /** In the dbgroup's order, then the removed ones; empty when the members stayed as they were. */
  readonly changes: readonly MemberChange[];
  readonly syncs: readonly SyncMembershipChange[];
}

/** A sync's side of the change, checked and made ready before the dbgroup is changed. */
interface PreparedSync {
  readonly sync: string;
  readonly tables: readonly TableRef[];
  readonly newSources: readonly string[];
  readonly newReceivers: readonly string[];
  /** The sources whose capture the sync stops reading (taken out, made targets, or all of them when it becomes a fullcopy sync). */
  readonly leaving: readonly string[];
  readonly undelivered: readonly SourceBacklog[];
  readonly checkpoints: ReadonlyMap<string, Checkpoint>;
  readonly warnings: readonly BucardoError[];
}

/**
 * `bucardo update dbgroup NAME DB[:ROLE]… | remove DB… | name=NEW`: Bucardo's way of adding a database to
 * the syncs of a running cluster, or taking one out. For every sync using the dbgroup, it is checked as
 * `add sync` checks one (a source left, two databases, the conflict setting, the tables on every database
 * and the rights to write them) before anything changes; capture is installed on the databases that
 * become sources, whose changes are read from now on. A database that stops being a source drops what the
 * sync had not delivered from it (counted and returned), and its capture where no other sync reads it,
 * after the change is committed. The rows already in a new database's tables are not copied (nor the
 * other databases' rows to it): `onetimecopy` does that for targets. All or nothing: a check that fails
 * changes nothing, and capture installed for it is removed again.
 */
export async function updateDbGroup(ctx: BucardoContext, name: string, update: DbGroupUpdate): Promise<UpdatedDbGroup> {
  const set = (update.set ?? []).map(parseListed);
  const remove = update.remove ?? [];
  if (set.length === 0 && remove.length === 0 && update.name === undefined) {
    throw new BucardoError('INVALID_ARGUMENT', `Nothing to change: bucardo update dbgroup ${name} DB[:ROLE]… | remove DB… | name=NEWNAME`, { dbgroup: name });
  }
  const rename = update.name === undefined || update.name === name ? undefined : checkName('dbgroup', update.name);
  // databases given capture here, for undoing it when a later step fails
  const installed = new Map<string, TableRef[]>();
  let done: { group: DbGroupRow; changes: MemberChange[]; prepared: PreparedSync[] };
  try {
    done = await ctx.control.transaction(async () => {
      await ctx.control.catalog.lockDbGroup(name);
      const group = await ctx.control.catalog.dbgroup(name);
      await requireDatabases(ctx, remove, `in dbgroup "${name}"`);
      const members = nextMembers(group, set, remove);
      await checkMembers(ctx, members, `dbgroup "${name}"`);
      const changes = memberChanges(group.members, members);
      const syncs = (await ctx.control.catalog.syncs()).filter((row) => group.syncs.includes(row.name));
      const prepared: PreparedSync[] = [];
      for (const sync of syncs) {
        const ready = await prepareSync(ctx, sync, group, members, changes);
        for (const db of ready.newSources) installed.set(db, [...(installed.get(db) ?? []), ...ready.tables]);
        prepared.push(ready);
      }
      if (changes.length > 0 || rename) await ctx.control.catalog.replaceDbGroup(name, members, rename);
      // the checkpoints of the sources that leave stay: a run planned before this commit that reads them
      // after it would otherwise find none, and install capture there again, which no sync would then read
      // or remove; a source that comes back gets a new one, as every source given capture here does
      for (const ready of prepared) await ctx.control.catalog.saveCheckpoints(ready.sync, ready.checkpoints);
      return { group: { ...group, name: rename ?? name, members }, changes, prepared };
    });
  } catch (error) {
    // the control transaction is rolled back: the new sources are no sync's, and lose the capture again
    if (installed.size === 0) throw error;
    const failure = isBucardoError(error) ? error : new BucardoError('SYNC_INVALID', `Dbgroup "${name}" was not changed: ${(error as Error).message}`, { dbgroup: name, cause: error });
    throw await undoNewCapture(ctx, installed, failure);
  }
  const removal = await removeLeftCapture(ctx, done.prepared);
  const syncs = done.prepared.map((ready) => ({ ...ready, ...removal.of(ready) }));
  return { dbgroup: done.group, ...(rename ? { renamedFrom: name } : {}), changes: done.changes, syncs };
}

/** `DB` or `DB:ROLE`; without a role, a member keeps its own, and a database added is a target. */
function parseListed(text: string): { db: string; role?: DatabaseRole } {
  const member = parseMember(text, 'target');
  return text.includes(':') ? member : { db: member.db };
}

function nextMembers(group: DbGroupRow, set: ReadonlyArray<{ db: string; role?: DatabaseRole }>, remove: readonly string[]): DbGroupMember[] {
  const listed = new Set<string>();
  for (const { db } of set) {
    if (listed.has(db)) throw new BucardoError('INVALID_ARGUMENT', `Database "${db}" is listed twice in update dbgroup "${group.name}"`, { db, dbgroup: group.name });
    listed.add(db);
  }
  for (const db of remove) {
    if (listed.has(db)) throw new BucardoError('INVALID_ARGUMENT', `Database "${db}" is both given a role and removed in update dbgroup "${group.name}"`, { db, dbgroup: group.name });
    if (!group.members.some((member) => member.db === db)) throw new BucardoError('DB_NOT_FOUND', `Database "${db}" is not in dbgroup "${group.name}"`, { db, dbgroup: group.name });
  }
  const members = group.members
    .filter((member) => !remove.includes(member.db))
    .map((member) => ({ db: member.db, role: set.find((entry) => entry.db === member.db)?.role ?? member.role }));
  for (const entry of set) if (!group.members.some((member) => member.db === entry.db)) members.push({ db: entry.db, role: entry.role ?? 'target' });
  if (members.length === 0) {
    throw new BucardoError('INVALID_ARGUMENT', `Dbgroup "${group.name}" would have no database left (bucardo remove dbgroup ${group.name} removes it)`, { dbgroup: group.name });
  }
  return members;
}

function memberChanges(before: readonly DbGroupMember[], after: readonly DbGroupMember[]): MemberChange[] {
  const changes: MemberChange[] = [];
  for (const member of after) {
    const was = before.find((entry) => entry.db === member.db);
    if (!was) changes.push({ db: member.db, to: member.role });
    else if (was.role !== member.role) changes.push({ db: member.db, from: was.role, to: member.role });
  }
  for (const was of before) if (!after.some((member) => member.db === was.db)) changes.push({ db: was.db, from: was.role });
  return changes;
}

/**
 * Checks sync `sync` with the new members, installs capture where it gains sources, and counts what it
 * had not delivered from the sources it loses (before the change: the sync reads them no more).
 */
async function prepareSync(ctx: BucardoContext, sync: SyncRow, group: DbGroupRow, members: readonly DbGroupMember[], changes: readonly MemberChange[]): Promise<PreparedSync> {
  const sourcesBefore = group.members.filter((member) => member.role === 'source').map((member) => member.db);
  const sourcesAfter = members.filter((member) => member.role === 'source').map((member) => member.db);
  if (sourcesAfter.length === 0) {
    throw new BucardoError('SYNC_INVALID', `Sync "${sync.name}" would have no source database left in dbgroup "${group.name}": a sync needs at least one`, { sync: sync.name, dbgroup: group.name });
  }
  requireTwoDatabases(sync.name, members, group.name);
  await checkConflictSpec(ctx, sync.name, sync.conflictStrategy, members);
  await checkOnetimecopy(ctx, sync.name, sync.onetimecopy, members, sync.copyTargets);
  const before = await readSyncPlan(ctx.control.catalog, sync.name);
  // a sync whose receivers are all fullcopy members copies whole tables and captures nothing (add sync
  // installs none): one that becomes so stops reading all its sources, one that stops being so starts
  const wasFullcopy = isPureFullcopy({ databases: group.members });
  const nowFullcopy = isPureFullcopy({ databases: members });
  const leaving = nowFullcopy && !wasFullcopy ? sourcesBefore : sourcesBefore.filter((db) => !sourcesAfter.includes(db));
  // counted before the change: the sync stops reading these databases here
  const undelivered = leaving.length === 0 ? [] : await syncBacklog(ctx, { ...before, databases: sourcesOf(before).filter((db) => leaving.includes(db.name)) });
  const newSources = sourcesAfter.filter((db) => !sourcesBefore.includes(db));
  // the targets that were not in it: a fullcopy member gets every table whole at each run anyway
  const newReceivers = members.filter((member) => member.role === 'target' && !group.members.some((was) => was.db === member.db)).map((member) => member.db);
  const checkpoints = new Map<string, Checkpoint>();
  let capturing: string[] = [];
  // a database added or given another role: the sync's tables checked there, and capture on new sources, as
  // `add sync` does; taking databases out needs none of them reachable
  const checked = changes.some((change) => change.to !== undefined) && before.tables.length > 0;
  if (checked) {
    const recorded = await ctx.control.catalog.checkpoints(sync.name);
    // capture on the new sources only, whose checkpoint is always taken now (one left from an earlier
    // membership is stale), on a source without one, and on every source of a fullcopy sync that gets a
    // target; the sources it had keep theirs untouched, under the application's writes
    capturing = nowFullcopy ? [] : sourcesAfter.filter((source) => wasFullcopy || newSources.includes(source) || !recorded.has(source));
    const captured = await installCapture(ctx, await previewPlan(ctx, sync, members), 'bucardo update dbgroup', capturing);
    for (const db of capturing) {
      const checkpoint = captured.get(db);
      if (checkpoint !== undefined) checkpoints.set(db, checkpoint);
    }
  }
  return { sync: sync.name, tables: before.tables, newSources: capturing, newReceivers, leaving, undelivered, checkpoints, warnings: await newTruncateWarnings(ctx, sync.name, group.members, members) };
}

/** The truncate warnings of the sync with its new members that it did not have with the old ones (one per database). */
async function newTruncateWarnings(ctx: BucardoContext, sync: string, before: readonly DbGroupMember[], after: readonly DbGroupMember[]): Promise<BucardoError[]> {
  const rows = await ctx.control.catalog.databases();
  const typed = (members: readonly DbGroupMember[]) => members.flatMap((member) => {
    const type = rows.find((row) => row.name === member.db)?.type;
    return type === undefined ? [] : [{ name: member.db, role: member.role, type }];
  });
  const had = new Set(truncateWarnings(ctx.engine.registry, sync, typed(before)).map((warning) => warning.subject.db));
  return truncateWarnings(ctx.engine.registry, sync, typed(after)).filter((warning) => !had.has(warning.subject.db));
}

/**
 * After the commit: capture no sync reads any more on the databases that left, one call per database for
 * the tables of every sync it left (a table two of them share is looked at once), each sync then told what
 * went of its own tables, or why nothing could.
 */
async function removeLeftCapture(ctx: BucardoContext, prepared: readonly PreparedSync[]): Promise<{ of(ready: PreparedSync): Pick<SyncMembershipChange, 'capture' | 'captureKept'> }> {
  const byDatabase = new Map<string, Map<string, TableRef>>();
  for (const ready of prepared) {
    for (const db of ready.leaving) {
      const tables = byDatabase.get(db) ?? byDatabase.set(db, new Map()).get(db)!;
      for (const table of ready.tables) tables.set(tableId(table), table);
    }
  }
  const removed = new Map<string, Set<string>>();
  const failed = new Map<string, unknown>();
  for (const [db, tables] of byDatabase) {
    try {
      const gone = (await removeUnusedCapture(ctx, new Map([[db, [...tables.values()]]]))).get(db) ?? [];
      removed.set(db, new Set(gone.map(tableId)));
    } catch (error) {
      failed.set(db, error);
    }
  }
  return {
    of: (ready) => ({
      capture: new Map(ready.leaving.flatMap((db) => {
        const mine = ready.tables.filter((table) => removed.get(db)?.has(tableId(table)));
        return mine.length === 0 ? [] : [[db, mine] as const];
      })),
      captureKept: ready.leaving.filter((db) => failed.has(db)).map((db) => ({ db, error: databaseError(failed.get(db), 'CAPTURE_FAILED', { db, sync: ready.sync }) })),
    }),
  };
}
