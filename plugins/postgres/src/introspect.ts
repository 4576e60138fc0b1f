import type pg from 'pg';
import type { ColumnInfo, TableRef, TableShape } from '@bucardo/plugin-sdk';

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
 * Reads tables' columns and keys, in three statements whatever their number. The key is the primary key,
 * else the unique, non-partial, expression-free index with the fewest columns whose columns are all
 * NOT NULL (newest wins a tie, as in Bucardo); a unique index over nullable columns would let several rows
 * share a NULL "key". Generated columns are left out: they cannot be written, and every database computes
 * its own. `undefined` for a table that does not exist.
 */
export async function describeTables(client: pg.Client, tables: readonly TableRef[]): Promise<Array<TableShape | undefined>> {
  if (tables.length === 0) return [];
  const relations = await client.query<{ ord: string; oid: string }>(
    `SELECT w.ord, c.oid FROM ${NAMED_TABLES} AND c.relkind IN ('r', 'p')`,
    namedTablesParams(tables),
  );
  const oids = relations.rows.map((row) => row.oid);
  if (oids.length === 0) return tables.map(() => undefined);
  const columns = await client.query<{ relid: string; name: string; type: string }>(
    `SELECT a.attrelid AS relid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a
      WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      ORDER BY a.attrelid, a.attnum`,
    [oids],
  );
  const keys = await client.query<{ relid: string; names: string; source: string }>(
    `SELECT DISTINCT ON (i.indrelid) i.indrelid AS relid, array_agg(a.attname ORDER BY k.ord) AS names,
            CASE WHEN i.indisprimary THEN 'primary key' ELSE 'unique index ' || quote_ident(ic.relname) END AS source
       FROM pg_index i
       JOIN pg_class ic ON ic.oid = i.indexrelid
       CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = ANY($1::oid[]) AND i.indisvalid AND (i.indisprimary OR (i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL))
      GROUP BY i.indrelid, i.indexrelid, i.indisprimary, ic.relname
     HAVING i.indisprimary OR bool_and(a.attnotnull)
      ORDER BY i.indrelid, i.indisprimary DESC, count(*), i.indexrelid DESC`,
    [oids],
  );
  const columnsOf = new Map<string, ColumnInfo[]>();
  for (const row of columns.rows) {
    let list = columnsOf.get(row.relid);
    if (!list) columnsOf.set(row.relid, (list = []));
    list.push({ name: row.name, type: row.type });
  }
  const keyOf = new Map(keys.rows.map((row) => [row.relid, row]));
  const oidAt = new Map(relations.rows.map((row) => [Number(row.ord) - 1, row.oid]));
  return tables.map((table, index) => {
    const oid = oidAt.get(index);
    if (oid === undefined) return undefined;
    const columnList = columnsOf.get(oid) ?? [];
    const keyRow = keyOf.get(oid);
    // pg returns text arrays unparsed when every type is read as raw text.
    const keyNames = keyRow ? parseTextArray(keyRow.names) : [];
    return {
      table,
      columns: columnList,
      key: keyNames.map((name) => columnList.find((column) => column.name === name)!).filter(Boolean),
      keySource: keyRow?.source ?? 'none',
    };
  });
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

/** Parses a one-dimensional PostgreSQL text array literal such as `{a,"b c","d\\"e"}`. */
export function parseTextArray(literal: string): string[] {
  const items: string[] = [];
  let i = 1;
  while (i < literal.length - 1) {
    let item = '';
    if (literal[i] === '"') {
      i++;
      while (literal[i] !== '"') {
        if (literal[i] === '\\') i++;
        item += literal[i++];
      }
      i++;
    } else {
      while (literal[i] !== ',' && i < literal.length - 1) item += literal[i++];
    }
    items.push(item);
    i++; // the comma
  }
  return items;
}
