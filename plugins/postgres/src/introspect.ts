import type pg from 'pg';
import type { TableRef, TableShape } from '@bucardo/plugin-sdk';

/**
 * `FROM` these tables by name, in one statement whatever their number: each with its 1-based position in
 * the list (`w.ord`) and its `pg_class` row (`c`); a table that does not exist has no row. Its parameters,
 * `$1` and `$2`, are `namedTablesParams(tables)`.
 */
export const NAMED_TABLES = `unnest($1::text[], $2::text[]) WITH ORDINALITY AS w(schema, name, ord)
       JOIN pg_namespace n ON n.nspname = w.schema
       JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.name`;

export function namedTablesParams(tables: readonly TableRef[]): [string[], string[]] {
  return [tables.map((table) => table.schema), tables.map((table) => table.name)];
}

/**
 * Reads tables' columns and keys, in one statement whatever their number (a run reads its first source's
 * tables on every run: one round trip, not three). The key is the primary key, else the unique,
 * non-partial, expression-free index with the fewest columns whose columns are all NOT NULL (newest wins a
 * tie, as in Bucardo); a unique index over nullable columns would let several rows share a NULL "key".
 * Generated columns are left out: they cannot be written, and every database computes its own.
 * `undefined` for a table that does not exist.
 */
export async function describeTables(client: pg.Client, tables: readonly TableRef[]): Promise<Array<TableShape | undefined>> {
  if (tables.length === 0) return [];
  const result = await client.query<{ ord: string; columns: unknown; key: unknown }>(
    `SELECT w.ord,
            (SELECT coalesce(json_agg(json_build_array(a.attname, format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum), '[]')
               FROM pg_attribute a
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '') AS columns,
            (SELECT json_build_array(chosen.names, chosen.source) FROM (
               SELECT array_agg(a.attname ORDER BY k.ord) AS names,
                      CASE WHEN i.indisprimary THEN 'primary key' ELSE 'unique index ' || quote_ident(ic.relname) END AS source
                 FROM pg_index i
                 JOIN pg_class ic ON ic.oid = i.indexrelid
                 CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                WHERE i.indrelid = c.oid AND i.indisvalid AND (i.indisprimary OR (i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL))
                GROUP BY i.indexrelid, i.indisprimary, ic.relname
               HAVING i.indisprimary OR bool_and(a.attnotnull)
                ORDER BY i.indisprimary DESC, count(*), i.indexrelid DESC
                LIMIT 1) AS chosen) AS key
       FROM ${NAMED_TABLES} AND c.relkind IN ('r', 'p')`,
    namedTablesParams(tables),
  );
  const found = new Map(result.rows.map((row) => [Number(row.ord) - 1, row]));
  return tables.map((table, index) => {
    const row = found.get(index);
    if (!row) return undefined;
    const columns = jsonOf<Array<[string, string]>>(row.columns).map(([name, type]) => ({ name, type }));
    const [keyNames, keySource] = row.key === null ? [[], 'none'] : jsonOf<[string[], string]>(row.key);
    return {
      table,
      columns,
      key: keyNames.map((name) => columns.find((column) => column.name === name)!).filter(Boolean),
      keySource,
    };
  });
}

/** A json column's value: the sessions read every type as raw text, a client with pg's default parsers does not. */
function jsonOf<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

export async function describeTable(client: pg.Client, table: TableRef): Promise<TableShape | undefined> {
  return (await describeTables(client, [table]))[0];
}

/** The schemas holding a table of this name; the one visible on the search path alone when there is one. */
export async function findTable(client: pg.Client, name: string): Promise<TableRef[]> {
  const result = await client.query<{ schema: string; visible: string }>(
    `SELECT n.nspname AS schema, pg_table_is_visible(c.oid) AS visible
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $1 AND c.relkind IN ('r', 'p')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'bucardo') AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY n.nspname`,
    [name],
  );
  const visible = result.rows.filter((row) => row.visible === 't');
  return (visible.length === 1 ? visible : result.rows).map((row) => ({ schema: row.schema, name }));
}
