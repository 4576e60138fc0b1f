import { BucardoError, type Checkpoint } from '@bucardo/plugin-sdk';
import type { DatabaseRow } from '../control/catalog-rows.js';
import type { BucardoContext } from './context.js';
import { databaseMakeDelta } from './makedelta.js';
import { checkDatabaseStatus, normalizedParams, pingDatabase, specOf, type DatabaseListing } from './databases.js';

export interface DatabaseUpdate {
  readonly database: DatabaseListing;
  /** The settings that now differ from before, by their stored names (`pass`, `port`, `status`, …). */
  readonly changed: readonly string[];
  /** The syncs whose checkpoint of this database the old server took: replaced by one of the new server's. */
  readonly rebased: readonly string[];
}

/**
 * `bucardo update db NAME key=value… [--force]`: a moved server, a new password, another role. The given
 * settings replace the stored ones of the same name (an alias replaces its setting: `password=` sets
 * `pass`), the driver checks the result as `add db` does, and the database is test-connected with it
 * unless `force`; a failed check or connection changes nothing. Runs read the catalog each time and the
 * kept sessions are keyed by the connection, so the next run connects anew. `type` cannot change: the
 * capture and the writer are the type's own.
 */
export async function updateDatabase(ctx: BucardoContext, name: string, changes: Readonly<Record<string, string>>, options: { force?: boolean } = {}): Promise<DatabaseUpdate> {
  const row = await ctx.control.catalog.database(name);
  const { type, status, makedelta, ...settings } = changes;
  if (Object.keys(changes).length === 0) throw new BucardoError('INVALID_ARGUMENT', `Nothing to change: bucardo update db ${name} key=value …`, { db: name });
  if (type !== undefined && ctx.engine.registry.database(type).type !== row.type) {
    throw new BucardoError('INVALID_ARGUMENT', `The type of database "${name}" (${row.type}) cannot change: remove it and add it again`, { db: name, item: 'type' });
  }
  checkDatabaseStatus(name, status);
  // an empty value would be read as "keep the old one" by a driver that skips empties (an empty password)
  const cleared = Object.entries(settings).find(([, value]) => value === '');
  if (cleared) throw new BucardoError('INVALID_ARGUMENT', `${cleared[0]}= is empty: update db sets values, it does not clear them (remove the database and add it again without it)`, { db: name, item: cleared[0] });
  const driver = ctx.engine.registry.database(row.type);
  const params = normalizedParams(ctx, driver, name, { ...row.params, ...settings });
  const recorded = makedelta === undefined ? row.makedelta === true : databaseMakeDelta(ctx, row, makedelta);
  const { makedelta: _previous, ...kept } = row;
  const updated: DatabaseRow = { ...kept, params, status: status === undefined ? row.status : status, ...(recorded ? { makedelta: true } : {}) };
  const changed = [...new Set([...Object.keys(row.params), ...Object.keys(params)])].filter((key) => row.params[key] !== params[key]);
  if (updated.status !== row.status) changed.push('status');
  if (recorded !== (row.makedelta === true)) changed.push('makedelta');
  // neither status nor makedelta is about reaching the database
  const reached = !options.force && changed.some((key) => key !== 'status' && key !== 'makedelta');
  if (reached) await pingDatabase(ctx, driver, { name, type: row.type, params }, 'bucardo update db');
  // asked before anything is stored: a database that cannot be moved to (its change records came from
  // elsewhere) is refused with nothing changed
  const replacements = reached ? await foreignCheckpoints(ctx, updated) : new Map<string, Checkpoint>();
  if (!(await ctx.control.catalog.updateDatabase(updated, row))) {
    throw new BucardoError('INVALID_ARGUMENT', `Database "${name}" was changed or removed by someone else meanwhile: nothing changed, look at it again (bucardo list db ${name})`, { db: name });
  }
  for (const [sync, checkpoint] of replacements) {
    await ctx.control.catalog.saveCheckpoints(sync, new Map([[name, checkpoint]]));
    await ctx.control.runs.dropResumePoints(sync);
  }
  return { database: { ...updated, connection: driver.describe({ name, type: row.type, params }) }, changed, rebased: [...replacements.keys()] };
}

/**
 * The syncs' checkpoints of the database that its new connection's server did not take (it was moved
 * there), with what the source driver gives to use instead. Stored at once for every sync, so that one
 * that runs long after the move does not find the old checkpoint looking like the new server's own, once
 * that server's counter has passed it.
 */
async function foreignCheckpoints(ctx: BucardoContext, row: DatabaseRow): Promise<Map<string, Checkpoint>> {
  const source = ctx.engine.registry.database(row.type).source;
  // the syncs it is a source of: a checkpoint a sync kept of a database it no longer reads (update dbgroup) is not rebased
  const [syncs, groups] = await Promise.all([ctx.control.catalog.syncs(), ctx.control.catalog.dbgroups()]);
  const readers = new Set(syncs.filter((sync) => groups.find((group) => group.name === sync.dbgroup)?.members.some((member) => member.db === row.name && member.role === 'source')).map((sync) => sync.name));
  const held = [...(await ctx.control.catalog.allCheckpoints())].flatMap(([sync, positions]) => {
    const position = positions.get(row.name);
    return position === undefined || !readers.has(sync) ? [] : [[sync, position] as const];
  });
  const replacements = new Map<string, Checkpoint>();
  if (!source || held.length === 0) return replacements;
  const session = await source.open(specOf(row), { log: ctx.engine.log, label: 'bucardo update db' });
  try {
    if (!session.rebaseCheckpoint) return replacements;
    for (const [sync, position] of held) {
      const replacement = await session.rebaseCheckpoint(position);
      if (replacement !== undefined) replacements.set(sync, replacement);
    }
  } finally {
    await session.close();
  }
  return replacements;
}
