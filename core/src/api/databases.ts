import { BucardoError, isBucardoError, type DatabaseDriver, type DatabaseSpec } from '@bucardo/plugin-sdk';
import type { DatabaseRow } from '../control/catalog-rows.js';
import type { BucardoContext } from './context.js';
import { checkName } from './names.js';
import { databaseMakeDelta } from './makedelta.js';

export interface AddDatabaseOptions {
  /** Add without a test connection. */
  readonly force?: boolean;
}

export interface DatabaseListing extends DatabaseRow {
  /** The driver's one-line description (never a password). */
  readonly connection: string;
}

/**
 * The driver's test-connect. A plugin's plain error (`ENOTDIR: not a directory, mkdir …`) is said with the
 * database, its type and the plugin, as CONNECTION_FAILED; the driver's own coded errors stand.
 */
export async function pingDatabase(ctx: BucardoContext, driver: DatabaseDriver, spec: DatabaseSpec, label: string): Promise<void> {
  try {
    await driver.ping(spec, { log: ctx.engine.log, label });
  } catch (error) {
    if (isBucardoError(error)) throw error;
    const plugin = ctx.engine.registry.ownerOfDatabaseType(spec.type);
    const why = error instanceof Error ? error.message : String(error);
    throw new BucardoError('CONNECTION_FAILED', `Cannot reach database "${spec.name}" (type ${spec.type}${plugin ? `, plugin ${plugin}` : ''}): ${why}`, {
      db: spec.name, ...(plugin ? { plugin } : {}), cause: error,
    });
  }
}

/**
 * `bucardo add db NAME dbname=… [type=postgres] [host= port= user= pass= …]`. The parameters are checked
 * by the database type's driver, and the database is test-connected (unless `force`), so a typo is
 * reported now rather than at the first run.
 */
export async function addDatabase(ctx: BucardoContext, name: string, params: Readonly<Record<string, string>>, options: AddDatabaseOptions = {}): Promise<DatabaseListing> {
  checkName('database', name);
  const { type: requestedType, status, makedelta, ...driverParams } = params;
  const driver = ctx.engine.registry.database(requestedType ?? 'postgres');
  checkDatabaseStatus(name, status);
  const existing = await ctx.control.catalog.databases();
  if (existing.some((row) => row.name === name)) throw new BucardoError('DUPLICATE_NAME', `A database named "${name}" already exists`, { db: name, item: name });
  const recorded = makedelta !== undefined && databaseMakeDelta(ctx, { name, type: driver.type }, makedelta);
  const spec: DatabaseSpec = { name, type: driver.type, params: normalizedParams(ctx, driver, name, driverParams) };
  if (!options.force) await pingDatabase(ctx, driver, spec, 'bucardo add db');
  const row: DatabaseRow = { name, type: driver.type, params: spec.params, status: status === 'inactive' ? 'inactive' : 'active', ...(recorded ? { makedelta: true } : {}) };
  await ctx.control.catalog.insertDatabase(row);
  return { ...row, connection: driver.describe(spec) };
}

/**
 * The driver's check of a database's parameters, its refusal naming the database (`Database "f1": A csv
 * database needs dir=DIRECTORY`), and a driver that breaks named as the plugin's error.
 */
export function normalizedParams(ctx: BucardoContext, driver: DatabaseDriver, name: string, params: Readonly<Record<string, string>>): Record<string, string> {
  try {
    return driver.normalizeParams(params);
  } catch (error) {
    if (isBucardoError(error)) throw new BucardoError(error.code, `Database "${name}": ${error.message}`, { ...error.subject, db: name, cause: error });
    const plugin = ctx.engine.registry.ownerOfDatabaseType(driver.type);
    throw new BucardoError('PLUGIN_ERROR', `Database "${name}": type ${driver.type}${plugin ? ` (plugin ${plugin})` : ''} failed to read its parameters: ${error instanceof Error ? error.message : String(error)}`, {
      db: name, ...(plugin ? { plugin } : {}), hook: 'normalizeParams', cause: error,
    });
  }
}

/** `status=` of `add db` and `update db`: active or inactive. */
export function checkDatabaseStatus(name: string, status: string | undefined): asserts status is DatabaseRow['status'] | undefined {
  if (status !== undefined && status !== 'active' && status !== 'inactive') {
    throw new BucardoError('INVALID_ARGUMENT', `status must be active or inactive, not "${status}"`, { db: name, item: 'status' });
  }
}

export async function listDatabases(ctx: BucardoContext): Promise<DatabaseListing[]> {
  const rows = await ctx.control.catalog.databases();
  return rows.map((row) => ({ ...row, connection: describe(ctx, row) }));
}

function describe(ctx: BucardoContext, row: DatabaseRow): string {
  try {
    return ctx.engine.registry.database(row.type).describe({ name: row.name, type: row.type, params: row.params });
  } catch {
    return `(no plugin loaded for type ${row.type})`;
  }
}

export function specOf(row: DatabaseRow): DatabaseSpec {
  return { name: row.name, type: row.type, params: row.params };
}
