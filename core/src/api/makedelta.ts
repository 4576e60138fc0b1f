import { BucardoError, tableId, type TableRef } from '@bucardo/plugin-sdk';
import type { DatabaseRow, RelationRow } from '../control/catalog-rows.js';
import type { BucardoContext } from './context.js';
import { booleanWord, parseBoolean } from './names.js';

/**
 * makedelta (Bucardo's), the settings side: where the rows syncs write are recorded as changes of the
 * database they are written into, for the other syncs reading it (a cascade A→B→C, a star around a hub).
 */

/**
 * A database can have makedelta only where its type's target records what it writes (`makeDelta`): a
 * flat file or a MongoDB database has no change capture for another sync to read. Refused, naming it.
 */
export function refuseMakeDeltaOn(ctx: BucardoContext, db: Pick<DatabaseRow, 'name' | 'type'>, asked: string): void {
  const target = ctx.engine.registry.database(db.type).target;
  if (target?.capabilities.makeDelta === true) return;
  throw new BucardoError('DB_ROLE_UNSUPPORTED',
    `Database "${db.name}" (type ${db.type}) cannot have makedelta (${asked}): its writer cannot record the rows syncs write there as changes for other syncs to read; only a database that can be a source (postgres) can`,
    { db: db.name, item: 'makedelta' });
}

/** `makedelta=` of `add db`/`update db`: on or off, refused for a database that cannot. */
export function databaseMakeDelta(ctx: BucardoContext, db: Pick<DatabaseRow, 'name' | 'type'>, value: string): boolean {
  const on = parseBoolean('makedelta', value);
  if (on) refuseMakeDeltaOn(ctx, db, 'makedelta=on');
  return on;
}

/**
 * `makedelta=` of `add table`/`update table`, as stored: `on`, `off`, or the databases it is on for
 * (`makedelta=B,C`, each added and able to, else refused naming it); empty: each database's own flag.
 */
export async function tableMakeDelta(ctx: BucardoContext, value: string): Promise<string | null> {
  const lower = value.trim().toLowerCase();
  if (lower === '') return null;
  const word = booleanWord(lower);
  if (word !== undefined) return word ? 'on' : 'off';
  const names = value.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const known = await ctx.control.catalog.databases();
  for (const name of names) {
    const row = known.find((db) => db.name === name);
    if (!row) throw new BucardoError('DB_NOT_FOUND', `makedelta=${value}: there is no database named "${name}" (makedelta takes on, off, or database names)`, { db: name, item: 'makedelta' });
    refuseMakeDeltaOn(ctx, row, `makedelta=${value}`);
  }
  return [...new Set(names)].join(',');
}

/** Whether a table's rows written into `db` are recorded there: the table's own setting wins, else the database's. */
export function makesDelta(table: string | null | undefined, db: Pick<DatabaseRow, 'name' | 'makedelta'>): boolean {
  if (table === 'on') return true;
  if (table === 'off') return false;
  if (table !== null && table !== undefined) return table.split(',').includes(db.name);
  return db.makedelta === true;
}

/** Per table of a sync (by `tableId`), the databases of the sync where makedelta is on; tables without any are absent. */
export function makeDeltaOf(tables: readonly TableRef[], databases: readonly string[], relations: readonly RelationRow[], rows: readonly DatabaseRow[]): Map<string, ReadonlySet<string>> {
  const byId = new Map(relations.map((row) => [tableId(row.table), row]));
  const members = rows.filter((row) => databases.includes(row.name));
  const plan = new Map<string, ReadonlySet<string>>();
  for (const table of tables) {
    const id = tableId(table);
    const on = new Set(members.filter((db) => makesDelta(byId.get(id)?.makedelta, db)).map((db) => db.name));
    if (on.size > 0) plan.set(id, on);
  }
  return plan;
}
