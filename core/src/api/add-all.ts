import { BucardoError, formatTable, type SourceSession, type TableRef } from '@bucardo/plugin-sdk';
import type { DatabaseRow } from '../control/catalog-rows.js';
import type { BucardoContext } from './context.js';
import { specOf } from './databases.js';
import { addSequences } from './sequences.js';
import { addTables, type AddTablesResult } from './tables.js';

export interface AddAllOptions {
  /** The database to list (default: the only database that has tables to read). */
  readonly db?: string;
  readonly herd?: string;
  /** Which of the listed tables to add (`-n`, `-N`, `-t`, `-T` on the command line); all when absent. */
  readonly include?: (table: TableRef) => boolean;
  /** Leave out tables without a key, and say which (Bucardo's `pkonly`). */
  readonly keyedOnly?: boolean;
  /** Add tables without a key too, for fullcopy syncs (as `add table … keyless=true`). */
  readonly keyless?: boolean;
}

export interface AddAllTablesResult extends AddTablesResult {
  /** The database listed. */
  readonly db: string;
  /** Tables left out for having no key (`keyedOnly`). */
  readonly keyless: readonly TableRef[];
}

/**
 * `bucardo add all tables`: every table of one database (picked by `include`), added as `add table`
 * adds them, with all its checks. A table without a key refuses the whole command, naming each, unless
 * `keyedOnly` leaves them out or `keyless` takes them: nothing is added half.
 */
export async function addAllTables(ctx: BucardoContext, options: AddAllOptions = {}): Promise<AddAllTablesResult> {
  const row = await listedDatabase(ctx, options.db, 'tables');
  const { tables, keyless } = await withSource(ctx, row, 'tables', async (session, listed) => {
    const shapes = session.describeTables ? await session.describeTables(listed) : await Promise.all(listed.map((table) => session.describeTable(table)));
    return { tables: listed, keyless: listed.filter((_, index) => shapes[index] !== undefined && shapes[index]!.key.length === 0) };
  }, options.include);
  if (keyless.length > 0 && !options.keyedOnly && !options.keyless) {
    throw new BucardoError('TABLE_NO_KEY',
      `These tables on database "${row.name}" have no primary key or unique index, so their changes cannot be tracked: ${keyless.map(formatTable).join(', ')}. Add a key to each, leave them out (pkonly, or -T TABLE), or add them for fullcopy syncs (keyless=true); nothing was added`,
      { db: row.name, table: formatTable(keyless[0]!) });
  }
  const skipped = options.keyedOnly && !options.keyless ? keyless : [];
  const wanted = tables.filter((table) => !skipped.includes(table));
  if (wanted.length === 0) {
    throw new BucardoError('TABLE_NOT_FOUND', `Database "${row.name}" has no tables to add${skipped.length ? ' with a key' : ' that match'}: nothing was added`, { db: row.name });
  }
  const result = await addTables(ctx, wanted.map(qualified), {
    db: row.name, ...(options.herd !== undefined ? { herd: options.herd } : {}), ...(options.keyless ? { keyless: true } : {}),
  });
  return { ...result, db: row.name, keyless: skipped };
}

/** `bucardo add all sequences`: every sequence of one database (picked by `include`), added as `add sequence` adds them. */
export async function addAllSequences(ctx: BucardoContext, options: Pick<AddAllOptions, 'db' | 'herd' | 'include'> = {}): Promise<{ db: string; added: TableRef[]; herdCreated: boolean }> {
  const row = await listedDatabase(ctx, options.db, 'sequences');
  const sequences = await withSource(ctx, row, 'sequences', async (_, listed) => listed, options.include);
  if (sequences.length === 0) throw new BucardoError('TABLE_NOT_FOUND', `Database "${row.name}" has no sequences to add that match: nothing was added`, { db: row.name });
  const result = await addSequences(ctx, sequences.map(qualified), { db: row.name, ...(options.herd !== undefined ? { herd: options.herd } : {}) });
  return { db: row.name, ...result };
}

/** The database named, or the only one with tables to read; several without `db=` is a question to ask back. */
async function listedDatabase(ctx: BucardoContext, db: string | undefined, what: string): Promise<DatabaseRow> {
  if (db !== undefined) return ctx.control.catalog.database(db);
  const readable = (await ctx.control.catalog.databases()).filter((row) => {
    try {
      return ctx.engine.registry.database(row.type).source !== undefined;
    } catch {
      return false;
    }
  });
  if (readable.length === 1) return readable[0]!;
  if (readable.length === 0) throw new BucardoError('DB_NOT_FOUND', `Add a database first (bucardo add db NAME dbname=…): there is none to list ${what} in`);
  throw new BucardoError('INVALID_ARGUMENT', `Say which database to list ${what} in: db=NAME (one of ${readable.map((row) => row.name).join(', ')})`, { item: 'db' });
}

async function withSource<T>(
  ctx: BucardoContext, row: DatabaseRow, kind: 'tables' | 'sequences',
  work: (session: SourceSession, listed: TableRef[]) => Promise<T>, include: ((table: TableRef) => boolean) | undefined,
): Promise<T> {
  const driver = ctx.engine.registry.database(row.type).source;
  if (!driver) throw new BucardoError('DB_ROLE_UNSUPPORTED', `Database "${row.name}" (type ${row.type}) has no tables to read`, { db: row.name });
  const session = await driver.open(specOf(row), { log: ctx.engine.log, label: `bucardo add all ${kind}` });
  try {
    if (!session.listTables) throw new BucardoError('DB_ROLE_UNSUPPORTED', `Database "${row.name}" (type ${row.type}) cannot list its ${kind}: name them (bucardo add ${kind === 'tables' ? 'table' : 'sequence'} NAME…)`, { db: row.name });
    const listed = (await session.listTables(kind === 'tables' ? 'table' : 'sequence')).filter((table) => include?.(table) ?? true);
    return await work(session, listed);
  } finally {
    await session.close();
  }
}

/** Quoted only where the name needs it, as `parseTableName` reads it back. */
function qualified(table: TableRef): string {
  const part = (name: string) => (/^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`);
  return `${part(table.schema)}.${part(table.name)}`;
}
