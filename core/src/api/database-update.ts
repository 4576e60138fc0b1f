import { BucardoError } from '@bucardo/plugin-sdk';
import type { DatabaseRow } from '../control/catalog-rows.js';
import type { BucardoContext } from './context.js';
import { checkDatabaseStatus, normalizedParams, type DatabaseListing } from './databases.js';

export interface DatabaseUpdate {
  readonly database: DatabaseListing;
  /** The settings that now differ from before, by their stored names (`pass`, `port`, `status`, …). */
  readonly changed: readonly string[];
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
  const { type, status, ...settings } = changes;
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
  const updated: DatabaseRow = { ...row, params, status: status === undefined ? row.status : status };
  const changed = [...new Set([...Object.keys(row.params), ...Object.keys(params)])].filter((key) => row.params[key] !== params[key]);
  if (updated.status !== row.status) changed.push('status');
  if (!options.force && changed.some((key) => key !== 'status')) await driver.ping({ name, type: row.type, params }, { log: ctx.engine.log, label: 'bucardo update db' });
  if (!(await ctx.control.catalog.updateDatabase(updated, row))) {
    throw new BucardoError('INVALID_ARGUMENT', `Database "${name}" was changed or removed by someone else meanwhile: nothing changed, look at it again (bucardo list db ${name})`, { db: name });
  }
  return { database: { ...updated, connection: driver.describe({ name, type: row.type, params }) }, changed };
}
