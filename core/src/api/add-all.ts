import { BucardoError, formatTable, type SourceSession, type TableRef } from '@bucardo/plugin-sdk';
import type { BucardoContext } from './context.js';
import { withSource } from './source-session.js';
import { addSequences } from './sequences.js';
import { candidateDatabases, recordTables, type AddTablesResult } from './tables.js';

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
  const db = await listedDatabase(ctx, options.db, 'tables');
  const described = await listed(ctx, db, 'tables', options.include, async (session, tables) => {
    const shapes = session.describeTables ? await session.describeTables(tables) : await Promise.all(tables.map((table) => session.describeTable(table)));
    return shapes.flatMap((shape) => (shape ? [shape] : []));
  });
  const keyless = described.filter((shape) => shape.key.length === 0).map((shape) => shape.table);
  if (keyless.length > 0 && !options.keyedOnly && !options.keyless) {
    throw new BucardoError('TABLE_NO_KEY',
      `These tables on database "${db}" have no primary key or unique index over NOT NULL columns, so their changes cannot be tracked: ${keyless.map(formatTable).join(', ')}. Add a key to each, leave them out (pkonly, or -T TABLE), or add them for fullcopy syncs (keyless=true); nothing was added`,
      { db, table: formatTable(keyless[0]!) });
  }
  const skipped = options.keyedOnly && !options.keyless ? keyless : [];
  const wanted = described.filter((shape) => !skipped.includes(shape.table));
  if (wanted.length === 0) {
    throw new BucardoError('TABLE_NOT_FOUND', `Database "${db}" has no tables to add${skipped.length ? ' with a key' : ' that match'}: nothing was added`, { db });
  }
  // described on `db` just now: recorded with add table's checks, without describing them again
  const result = await recordTables(ctx, wanted.map((shape) => ({ db, shape })), {
    db, ...(options.herd !== undefined ? { herd: options.herd } : {}), ...(options.keyless ? { keyless: true } : {}),
  });
  return { ...result, db, keyless: skipped };
}

/** `bucardo add all sequences`: every sequence of one database (picked by `include`), added as `add sequence` adds them. */
export async function addAllSequences(ctx: BucardoContext, options: Pick<AddAllOptions, 'db' | 'herd' | 'include'> = {}): Promise<{ db: string; added: TableRef[]; herdCreated: boolean }> {
  const db = await listedDatabase(ctx, options.db, 'sequences');
  const sequences = await listed(ctx, db, 'sequences', options.include, async (_, found) => found);
  if (sequences.length === 0) throw new BucardoError('TABLE_NOT_FOUND', `Database "${db}" has no sequences to add that match: nothing was added`, { db });
  const result = await addSequences(ctx, sequences.map(qualified), { db, ...(options.herd !== undefined ? { herd: options.herd } : {}) });
  return { db, ...result };
}

/** The database named, or the only one `add table` would look in; several without `db=` is a question to ask back. */
async function listedDatabase(ctx: BucardoContext, db: string | undefined, what: string): Promise<string> {
  const candidates = await candidateDatabases(ctx, db);
  if (candidates.length === 1) return candidates[0]!.name;
  throw new BucardoError('INVALID_ARGUMENT', `Say which database to list ${what} in: db=NAME (one of ${candidates.map((row) => row.name).join(', ')})`, { item: 'db' });
}

/** `work` on what database `db` lists of `kind`, picked by `include`. */
async function listed<T>(
  ctx: BucardoContext, db: string, kind: 'tables' | 'sequences', include: ((table: TableRef) => boolean) | undefined,
  work: (session: SourceSession, found: TableRef[]) => Promise<T>,
): Promise<T> {
  // candidateDatabases has made sure the database can be a source
  return (await withSource(ctx, db, `bucardo add all ${kind}`, async (session) => {
    if (!session.listTables) throw new BucardoError('DB_ROLE_UNSUPPORTED', `Database "${db}" cannot list its ${kind}: name them (bucardo add ${kind === 'tables' ? 'table' : 'sequence'} NAME…)`, { db });
    return work(session, (await session.listTables(kind === 'tables' ? 'table' : 'sequence')).filter((table) => include?.(table) ?? true));
  }))!;
}

/** Quoted only where the name needs it, as `parseTableName` reads it back. */
function qualified(table: TableRef): string {
  const part = (name: string) => (/^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`);
  return `${part(table.schema)}.${part(table.name)}`;
}
