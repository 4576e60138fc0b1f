import { BucardoError, isBucardoError, type Checkpoint } from '@bucardo/plugin-sdk';
import type { DbGroupMember, SyncRow } from '../control/catalog-rows.js';
import { RunSessions } from '../run/sessions.js';
import { writePrivilegeProblems } from '../run/write-privileges.js';
import { isPureFullcopy, sourcesOf, type SyncPlan } from '../run/sync-plan.js';
import { resolveTableShapes } from '../run/table-shapes.js';
import { checkConflictSpec, checkOnetimecopy, requireTwoDatabases } from './sync-checks.js';
import { parseCopyTargets } from './copy-targets.js';
import type { BucardoContext } from './context.js';
import { checkMembers, parseMember } from './dbgroups.js';
import { checkName, parseBoolean } from './names.js';
import { additiveOf, loadSyncPlan, receivingCustoms } from './sync-plan-loader.js';
import { specOf } from './databases.js';
import { undoNewCapture } from './capture-cleanup.js';
import { databaseError } from '../run/database-error.js';
import { fullcopyRefusal, truncateWarnings } from './truncate-warnings.js';

/** `add sync` options and their aliases (Bucardo's names on the left). */
const optionAliases: Record<string, string> = {
  herd: 'herd', relgroup: 'herd',
  dbs: 'dbs', dbgroup: 'dbs',
  autokick: 'autokick', ping: 'autokick',
  conflict: 'conflict', conflict_strategy: 'conflict', standard_conflict: 'conflict',
  status: 'status', checktime: 'checktime', onetimecopy: 'onetimecopy',
  refreshabove: 'refreshabove', refresh_above: 'refreshabove',
};

/** The setting a sync option names (`ping` → `autokick`, `standard_conflict` → `conflict`), or undefined. */
export function syncOptionName(key: string): string | undefined {
  return optionAliases[key.toLowerCase()];
}

export interface AddSyncResult {
  readonly sync: SyncRow;
  readonly plan: SyncPlan;
  /** The dbgroup made for an inline `dbs=A:source,B:target` list, if one was made. */
  readonly createdDbGroup?: string;
  /** What may stop the sync's runs later, said now: a receiver that cannot empty a table (`truncateWarnings`). */
  readonly warnings: readonly BucardoError[];
}

/**
 * `bucardo add sync NAME herd=H dbs=G [autokick=…] [conflict=…] [checktime=…]`. Connects to every
 * database of the sync, checks that each table exists everywhere with its key and columns, installs
 * change capture on every source, and only then records the sync with each source's starting checkpoint.
 */
export async function addSync(ctx: BucardoContext, name: string, rawParams: Readonly<Record<string, string>>): Promise<AddSyncResult> {
  checkName('sync', name);
  const params = normalizeParams(rawParams, 'add sync');
  if ((await ctx.control.catalog.syncs()).some((row) => row.name === name)) {
    throw new BucardoError('DUPLICATE_NAME', `A sync named "${name}" already exists`, { sync: name, item: name });
  }
  if (!params.herd) throw new BucardoError('INVALID_ARGUMENT', `Sync "${name}" needs a herd: herd=NAME (or relgroup=NAME)`, { sync: name });
  if (!params.dbs) throw new BucardoError('INVALID_ARGUMENT', `Sync "${name}" needs databases: dbs=DBGROUP`, { sync: name });
  await ctx.control.catalog.herd(params.herd);
  const dbgroup = await resolveDbGroup(ctx, name, params.dbs);
  const strategy = params.conflict ?? 'latest';
  await checkConflictSpec(ctx, name, strategy, dbgroup.members);
  const row: SyncRow = {
    name, herd: params.herd, dbgroup: dbgroup.name,
    status: parseStatus(params.status),
    autokick: params.autokick === undefined ? true : parseBoolean('autokick', params.autokick),
    checktime: params.checktime ?? null,
    onetimecopy: parseOnetimecopy(params.onetimecopy),
    conflictStrategy: strategy,
    refreshAbove: parseRefreshAbove(name, params.refreshabove),
  };
  await checkOnetimecopy(ctx, name, row.onetimecopy, dbgroup.members);
  const plan = await previewPlan(ctx, row, dbgroup.members);
  // an existing dbgroup's members were checked when they joined, perhaps before a plugin lost truncate()
  const refused = plan.databases.map((db) => fullcopyRefusal(ctx.engine.registry, db, `sync "${name}"`)).find(Boolean);
  if (refused) throw refused;
  const checkpoints = await installCapture(ctx, plan);
  try {
    await ctx.control.transaction(async () => {
      if (dbgroup.create) await ctx.control.catalog.insertDbGroup(dbgroup.name, dbgroup.members);
      else await sameMembersStill(ctx, name, dbgroup.name, dbgroup.members);
      await ctx.control.catalog.insertSync(row).catch((error: unknown) => { throw intervalError(error, row.checktime); });
      await ctx.control.catalog.saveCheckpoints(name, checkpoints);
    });
  } catch (error) {
    // nothing recorded: the capture installed for the sync goes again where no other sync reads it
    if (checkpoints.size === 0 || !isBucardoError(error)) throw error;
    throw await undoNewCapture(ctx, new Map([...checkpoints.keys()].map((db) => [db, plan.tables])), error);
  }
  const warnings = truncateWarnings(ctx.engine.registry, name, plan.databases);
  return { sync: row, plan, ...(dbgroup.create ? { createdDbGroup: dbgroup.name } : {}), warnings };
}

/**
 * The dbgroup's members are still those the sync was checked and captured with: an `update dbgroup` that
 * committed meanwhile (its lock is waited for) would otherwise leave the new sync with a source without
 * capture, or capture on a database it took out.
 */
async function sameMembersStill(ctx: BucardoContext, sync: string, dbgroup: string, members: readonly DbGroupMember[]): Promise<void> {
  await ctx.control.catalog.lockDbGroup(dbgroup, 'share');
  const now = await ctx.control.catalog.dbgroup(dbgroup);
  if (sameMembers(now.members, members)) return;
  throw new BucardoError('SYNC_INVALID', `Dbgroup "${dbgroup}" changed while sync "${sync}" was added (bucardo update dbgroup): nothing was added; run the command again`, { sync, dbgroup });
}

/** What `update sync` may change on a live sync; the daemon picks the change up at its next round. */
const updatable = new Set(['autokick', 'checktime', 'conflict', 'status', 'onetimecopy', 'refreshabove']);

/**
 * `bucardo update sync NAME key=value…`: autokick (ping), checktime, conflict (conflict_strategy), status,
 * onetimecopy, refreshabove.
 * Every value is checked before anything is changed. Any `onetimecopy=` asks for a copy of its own (a new
 * copy request), so the progress of an earlier copy (finished, abandoned, failed or still running) is
 * discarded with it, and a run still copying under the earlier request leaves the setting to the next run.
 * `db=T[,T2…]` beside it limits the copy to those targets; `onetimecopy=` without it copies to every target.
 * Returns the changed row.
 */
export async function updateSync(ctx: BucardoContext, name: string, rawParams: Readonly<Record<string, string>>): Promise<SyncRow> {
  // db= is not a setting of its own: it says where the onetimecopy= beside it copies to
  const dbKey = Object.keys(rawParams).find((key) => key.toLowerCase() === 'db');
  const { [dbKey ?? '']: copyTo, ...settings } = rawParams;
  const params = normalizeParams(settings, 'update sync');
  const current = await ctx.control.catalog.sync(name);
  const unknown = Object.keys(params).find((key) => !updatable.has(key));
  if (unknown) throw new BucardoError('INVALID_ARGUMENT', `update sync cannot change "${unknown}" (it can change: ${[...updatable].join(', ')})`, { item: unknown, sync: name });
  if (copyTo !== undefined && params.onetimecopy === undefined) {
    throw new BucardoError('INVALID_ARGUMENT', `db= says which targets an initial copy goes to: give it with onetimecopy=1|2 (bucardo update sync ${name} onetimecopy=1 db=${copyTo})`, { item: 'db', sync: name });
  }
  if (params.conflict !== undefined) await checkConflictSpec(ctx, name, params.conflict, (await ctx.control.catalog.dbgroup(current.dbgroup)).members);
  let copyTargets: string[] | undefined;
  if (params.onetimecopy !== undefined) {
    const onetimecopy = parseOnetimecopy(params.onetimecopy);
    const members = (await ctx.control.catalog.dbgroup(current.dbgroup)).members;
    if (copyTo !== undefined && onetimecopy === 0) throw new BucardoError('INVALID_ARGUMENT', `db= says which targets an initial copy goes to: onetimecopy=0 asks for none`, { item: 'db', sync: name });
    copyTargets = copyTo === undefined ? undefined : await parseCopyTargets(ctx, name, copyTo, members, current.dbgroup);
    await checkOnetimecopy(ctx, name, onetimecopy, members, copyTargets);
  }
  const { copyTargets: _earlier, ...rest } = current;
  const next: SyncRow = {
    ...(params.onetimecopy === undefined ? current : rest),
    ...(copyTargets === undefined ? {} : { copyTargets }),
    ...(params.autokick === undefined ? {} : { autokick: parseBoolean('autokick', params.autokick) }),
    ...(params.checktime === undefined ? {} : { checktime: params.checktime === '0' || params.checktime === '' ? null : params.checktime }),
    ...(params.conflict === undefined ? {} : { conflictStrategy: params.conflict }),
    ...(params.status === undefined ? {} : { status: parseStatus(params.status) }),
    ...(params.onetimecopy === undefined ? {} : { onetimecopy: parseOnetimecopy(params.onetimecopy) }),
    ...(params.refreshabove === undefined ? {} : { refreshAbove: parseRefreshAbove(name, params.refreshabove) }),
  };
  const newCopy = params.onetimecopy !== undefined;
  await ctx.control.transaction(async () => {
    // The sync's row first: a run saving its copy's progress holds it meanwhile, so none of the old copy's
    // progress is saved after the discard (the run sees the new request and saves no more).
    await ctx.control.catalog.updateSync(next, newCopy).catch((error: unknown) => { throw intervalError(error, next.checktime); });
    if (newCopy) await ctx.control.catalog.discardCopyProgress(name);
  });
  return ctx.control.catalog.sync(name);
}

export function listSyncs(ctx: BucardoContext): Promise<SyncRow[]> {
  return ctx.control.catalog.syncs();
}

export { loadSyncPlan };

/**
 * `refreshabove=`: a fraction above 0 (a table whose pending change records reach it of its rows is copied
 * whole), `0` never for this sync, empty (or absent) the config's `refreshAbove`.
 */
function parseRefreshAbove(sync: string, value: string | undefined): number | null {
  if (value === undefined || value.trim() === '') return null;
  // decimal digits only: Number() would also take "0x10" and " 1", and "1e-400" would become 0, "never"
  const fraction = /^(\d+\.?\d*|\.\d+)$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(fraction)) {
    throw new BucardoError('INVALID_ARGUMENT', `refreshabove must be a number, above 0 (a fraction of a table's rows), 0 (never) or empty (the config's), not "${value}"`, { item: 'refreshabove', sync });
  }
  return fraction;
}

function normalizeParams(raw: Readonly<Record<string, string>>, command: string): Partial<Record<string, string>> {
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    const canonical = optionAliases[key.toLowerCase()];
    if (!canonical) {
      throw new BucardoError('INVALID_ARGUMENT', `Unknown option "${key}" for ${command} (known: ${Object.keys(optionAliases).join(', ')})`, { item: key });
    }
    params[canonical] = value;
  }
  return params;
}

/** `dbs=` names a dbgroup, or lists members inline (`A:source,B:target`), which creates a dbgroup named after the sync. */
async function resolveDbGroup(ctx: BucardoContext, sync: string, dbs: string): Promise<{ name: string; members: DbGroupMember[]; create: boolean }> {
  if (!/[,:]/.test(dbs)) {
    const group = await ctx.control.catalog.dbgroup(dbs);
    if (!group.members.some((member) => member.role === 'source')) {
      throw new BucardoError('SYNC_INVALID', `Dbgroup "${dbs}" has no source database: a sync needs at least one`, { dbgroup: dbs, sync });
    }
    requireTwoDatabases(sync, group.members, dbs);
    return { name: group.name, members: [...group.members], create: false };
  }
  const members = dbs.split(',').map((text, index) => parseMember(text.trim(), index === 0 ? 'source' : 'target'));
  await checkMembers(ctx, members, `sync "${sync}"`);
  if (!members.some((member) => member.role === 'source')) throw new BucardoError('SYNC_INVALID', `Sync "${sync}" has no source database`, { sync });
  requireTwoDatabases(sync, members);
  const existing = (await ctx.control.catalog.dbgroups()).find((group) => sameMembers(group.members, members));
  if (existing) return { name: existing.name, members, create: false };
  const taken = new Set((await ctx.control.catalog.dbgroups()).map((group) => group.name));
  let name = sync;
  for (let suffix = 2; taken.has(name); suffix++) name = `${sync}_${suffix}`;
  return { name, members, create: true };
}

/** The plan a sync would run with these members (not stored yet, or about to change): for its checks and capture. */
export async function previewPlan(ctx: BucardoContext, row: SyncRow, members: readonly DbGroupMember[]): Promise<SyncPlan> {
  const catalog = ctx.control.catalog;
  // the sync is not stored yet: the custom names and select lists for every sync, or for its name, apply
  const [herd, databases, relations, customNames, customCols] = await Promise.all([catalog.herd(row.herd), catalog.databases(), catalog.relations(), catalog.customNames.forSync(row.name), catalog.customCols.forSync(row.name)]);
  if (herd.members.length === 0) throw new BucardoError('HERD_EMPTY', `Herd "${row.herd}" has no tables`, { herd: row.herd, sync: row.name });
  return {
    name: row.name, herd: row.herd, dbgroup: row.dbgroup, strategy: row.conflictStrategy, additive: additiveOf(relations),
    tables: herd.tables,
    sequences: herd.sequences, onetimecopy: row.onetimecopy,
    databases: members.map((member) => {
      const db = databases.find((candidate) => candidate.name === member.db)!;
      return { name: db.name, role: member.role, type: db.type, spec: specOf(db), ...receivingCustoms({ customNames, customCols }, row.name, member, herd.tables) };
    }),
  };
}

/**
 * Validates the sync's tables on every database, then installs capture on its sources, or on `only` of them
 * (idempotent: also how capture is refreshed after a change to what it records).
 */
export async function installCapture(ctx: BucardoContext, plan: SyncPlan, label = 'bucardo add sync', only?: readonly string[]): Promise<Map<string, Checkpoint>> {
  const controller = new AbortController();
  const sessions = await RunSessions.open(plan, ctx.engine.registry, ctx.engine.log, label, controller.signal);
  const checkpoints = new Map<string, Checkpoint>();
  let failure: BucardoError | undefined;
  try {
    const shapes = await resolveTableShapes(plan, sessions, ctx.engine.log);
    // A pure fullcopy sync copies whole tables each run: no capture on its source.
    if (!isPureFullcopy(plan)) {
      // `only`: the sources that need it (update dbgroup's new ones); the others' capture, live under the
      // application's writes, is left alone: installing takes their tables' locks
      for (const source of sourcesOf(plan).filter((db) => only === undefined || only.includes(db.name))) {
        checkpoints.set(source.name, await sessions.source(source.name).installCapture(shapes).catch((error: unknown) => {
          throw databaseError(error, 'CAPTURE_FAILED', { db: source.name, sync: plan.name });
        }));
      }
    }
    // after the capture's own checks (a table's owner, CREATE: what to fix first), and undone with it: a role
    // that may not write a receiving database's tables would fail every run
    const [denied] = await writePrivilegeProblems(plan, sessions, shapes);
    if (denied) throw denied;
    return checkpoints;
  } catch (error) {
    if (checkpoints.size === 0 || !isBucardoError(error)) throw error;
    failure = error;
  } finally {
    await sessions.close();
  }
  throw await undoNewCapture(ctx, new Map([...checkpoints.keys()].map((db) => [db, plan.tables])), failure);
}

function parseStatus(status: string | undefined): SyncRow['status'] {
  if (status === undefined || status === 'active') return 'active';
  if (status === 'inactive') return 'inactive';
  throw new BucardoError('INVALID_ARGUMENT', `status must be active or inactive, not "${status}"`, { item: 'status' });
}

function parseOnetimecopy(value: string | undefined): number {
  if (value === undefined) return 0;
  if (value === '0' || value === '1' || value === '2') return Number(value);
  throw new BucardoError('INVALID_ARGUMENT', `onetimecopy must be 0, 1 (copy every table to every target) or 2 (only where the target's table is empty), not "${value}"`, { item: 'onetimecopy' });
}

function intervalError(error: unknown, checktime: string | null): unknown {
  const sqlstate = (error as { code?: string }).code;
  if (sqlstate === '22007' || sqlstate === '22P02' || sqlstate === '22015') {
    return new BucardoError('INVALID_ARGUMENT', `checktime must be an interval like "30 seconds" or "5 minutes", not "${checktime}"`, { item: 'checktime', cause: error });
  }
  return error;
}

function sameMembers(a: readonly DbGroupMember[], b: readonly DbGroupMember[]): boolean {
  return a.length === b.length && a.every((member, index) => member.db === b[index]!.db && member.role === b[index]!.role);
}
