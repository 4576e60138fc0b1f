/**
 * bucardo-plugin-unique-rename: Bucardo's `exception` custom code for the common case (its test
 * t/40-customcode-exception), as a tap on the applyFailed hook. Two sources gave one value of a unique
 * column (not the key) to different rows, so that each row's apply fails on the other database; the
 * rule: the row from the database listed first in the sync (its dbgroup order) keeps the value, every
 * other row holding it has it renamed on its own source (`rename`, by default `VALUE#KEY`), and the
 * transaction is tried again, carrying the renamed rows everywhere.
 *
 * ```ts
 * // bucardo.config.ts
 * import { defineConfig } from '@bucardo/plugin-sdk';
 * import uniqueRename from 'bucardo-plugin-unique-rename';
 * export default defineConfig({ plugins: [uniqueRename({ table: 'public.customer', column: 'email' })] });
 * ```
 */
import { BucardoError, decodeKey, definePlugin, formatTable, parseTableName, type ApplyFailedArgs, type ApplyFailedAnswer, type BucardoPlugin, type KeyText, type TableShape } from '@bucardo/plugin-sdk';

/** Options of the plugin (`uniqueRename({ … })`, or `['bucardo-plugin-unique-rename', { … }]` in a config). */
export interface UniqueRenameOptions {
  /** The table, `schema.name` (`public` when the schema is left out). */
  readonly table: string;
  /** The unique column (not the key) whose value two sources may give to different rows. */
  readonly column: string;
  /** The losing row's new value, from its value, key (as text) and database. Default: `VALUE#KEY`. */
  readonly rename?: (value: string, row: { readonly key: KeyText; readonly db: string }) => string;
}

/** SQLSTATE unique_violation: another row holds the value. */
const UNIQUE_VIOLATION = '23505';

/** One row of the failed batch holding a value, on the database it comes from. */
interface Holder {
  readonly db: string;
  readonly key: KeyText;
}

/** The plugin: one tap on applyFailed, which passes (answers nothing) on any other failure. */
export default function uniqueRename(options: UniqueRenameOptions): BucardoPlugin {
  if (typeof options?.table !== 'string' || typeof options.column !== 'string') {
    throw new BucardoError('INVALID_ARGUMENT', 'unique-rename needs { table: "schema.name", column: "name" }', { plugin: 'unique-rename' });
  }
  const parsed = parseTableName(options.table);
  const table = formatTable({ schema: parsed.schema ?? 'public', name: parsed.name });
  const rename = options.rename ?? ((value: string, row: { key: KeyText }) => `${value}#${row.key}`);
  return definePlugin({
    name: 'unique-rename',
    apply(host) {
      host.hooks.applyFailed.tapPromise('unique-rename', async (args) => {
        if (formatTable(args.table) !== table || args.error.sqlstate !== UNIQUE_VIOLATION) return undefined;
        return settle(args, options.column, rename);
      });
    },
  });
}

/** Renames the value on every row but the first database's, per value held by rows of two databases or more. */
async function settle(args: ApplyFailedArgs, column: string, rename: NonNullable<UniqueRenameOptions['rename']>): Promise<ApplyFailedAnswer | undefined> {
  const holders = new Map<string, Holder[]>();
  // one connection per database for the whole call (the core closes them when the call ends)
  const connections = new Map<string, ReturnType<ApplyFailedArgs['connect']>>();
  const connect = (db: string) => {
    let connection = connections.get(db);
    if (!connection) connections.set(db, (connection = args.connect(db)));
    return connection;
  };
  // in the sync's order: the first database's row keeps the value
  for (const { name: db } of args.databases) {
    const keys = args.keys.get(db);
    if (!keys?.length) continue;
    const connection = await connect(db);
    const { rows } = await connection.query(selectValues(args.batch.shape, column), keyArrays(args.batch.shape, keys));
    for (const row of rows) {
      if (row.value === null) continue;
      const value = String(row.value);
      const list = holders.get(value) ?? [];
      holders.set(value, list);
      if (!list.some((holder) => holder.db === db)) list.push({ db, key: keys[Number(row.i) - 1]! });
    }
  }
  let renamed = 0;
  for (const [value, list] of holders) {
    for (const loser of list.slice(1)) {
      const connection = await connect(loser.db);
      const next = rename(value, loser);
      await connection.query(updateValue(args.batch.shape, column), [next, ...decodeKey(loser.key, args.batch.shape.key.length)]);
      args.log.log('normal', `unique-rename: ${formatTable(args.table)}.${column} = ${JSON.stringify(value)} is kept by the row from "${list[0]!.db}"; renamed to ${JSON.stringify(next)} on "${loser.db}" (key ${loser.key})`, { db: loser.db, table: formatTable(args.table) });
      renamed++;
    }
  }
  // nothing collided among the batch's rows: another cause, which this rule does not settle
  return renamed > 0 ? { retry: true } : undefined;
}

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const qualified = (shape: TableShape): string => `${ident(shape.table.schema)}.${ident(shape.table.name)}`;

/** The value of `column` of the rows with these keys, each with its key's position (1-based) in the list. */
function selectValues(shape: TableShape, column: string): string {
  const parts = shape.key.map((_, index) => `k${index}`);
  const arrays = shape.key.map((_, index) => `$${index + 1}::text[]`).join(', ');
  const join = shape.key.map((key, index) => `t.${ident(key.name)}::text = k.${parts[index]}`).join(' AND ');
  return `SELECT k.i, t.${ident(column)}::text AS value FROM ONLY ${qualified(shape)} t JOIN unnest(${arrays}) WITH ORDINALITY AS k(${parts.join(', ')}, i) ON ${join}`;
}

/** One text array per key column, from the keys' parts. */
function keyArrays(shape: TableShape, keys: readonly KeyText[]): string[][] {
  const parts = keys.map((key) => decodeKey(key, shape.key.length));
  return shape.key.map((_, index) => parts.map((part) => part[index]!));
}

function updateValue(shape: TableShape, column: string): string {
  const where = shape.key.map((key, index) => `${ident(key.name)}::text = $${index + 2}`).join(' AND ');
  return `UPDATE ONLY ${qualified(shape)} SET ${ident(column)} = $1 WHERE ${where}`;
}
