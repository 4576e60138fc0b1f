import type pg from 'pg';
import type { ColumnInfo, TableRef, TableShape } from '@bucardo/plugin-sdk';
import { CAPTURE_SCHEMA, captureNames, capturedKeySql } from './capture-names.js';
import { leafForeignKeys, selfAndAncestors } from './leaf-foreign-keys.js';
import { unnestRows } from './unnest.js';

/**
 * `FROM` these tables by name, in one statement whatever their number: each with its 1-based position in
 * the list (`w.ord`) and its `pg_class` row (`c`); a table that does not exist has no row. Its parameters,
 * `$1` and `$2`, are `namedTablesParams(tables)`.
 */
export const NAMED_TABLES = `${unnestRows(['$1::text[]', '$2::text[]'])} WITH ORDINALITY AS w(schema, name, ord)
       JOIN pg_namespace n ON n.nspname = w.schema
       JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.name`;

export function namedTablesParams(tables: readonly TableRef[]): [string[], string[]] {
  return [tables.map((table) => table.schema), tables.map((table) => table.name)];
}

/**
 * Reads tables' columns and keys, in one statement whatever their number (a run on kept sessions reads
 * its changed tables on the first source after every capture: one round trip, not three). The key is the one the table's capture here records
 * changes by while it is still a key (see below), else the primary key, else the unique, non-partial,
 * expression-free index with the fewest columns whose columns are all NOT NULL (newest wins a tie, as in
 * Bucardo); a unique index over nullable columns would let several rows share a NULL "key". Generated
 * columns are left out: they cannot be written, and every database computes its own. `undefined` for a
 * table that does not exist.
 *
 * The captured key comes first because the capture's trigger and delta table were made for it: a primary
 * key added later, a new unique index, its columns in another order, or `REINDEX CONCURRENTLY` (which
 * gives an index a new oid, and so can turn a tie the other way) must not move a sync off it while it
 * still holds; it keeps the captured order of its columns too. It is read from the delta table's columns
 * (those before `bucardo_op`), in the catalog, so a database without capture needs no `bucardo` schema.
 * A captured key that is no longer a key is the capture's to report (it cannot read its changes by the
 * new one): on a database that is not the sync's first source, the sync's key is the first source's, and
 * this one's own may differ. `references` lists the tables its foreign keys point at (itself too, for a tree), as
 * `foreignKeys` reads them: the partitions of a partitioned table, which are what a herd holds.
 */
export async function describeTables(client: pg.Client, tables: readonly TableRef[]): Promise<Array<TableShape | undefined>> {
  if (tables.length === 0) return [];
  const result = await client.query<{ ord: string; columns: unknown; key: unknown; captured: unknown; refs: unknown }>({
    // prepared once per connection: a kept session runs it every run, and planning it costs three times
    // what running it does for a few tables (1 against 0.3 ms); its text never changes
    name: 'bucardo_read_tables',
    text: `SELECT w.ord,
            (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_array(a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum), '[]')
               FROM pg_attribute a
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '') AS columns,
            (SELECT pg_catalog.json_build_array(chosen.names, chosen.source) FROM (
               SELECT pg_catalog.array_agg(a.attname::text ORDER BY k.ord) AS names,
                      CASE WHEN i.indisprimary THEN 'primary key' ELSE 'unique index ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(ic.relname) END AS source
                 FROM pg_index i
                 JOIN pg_class ic ON ic.oid = i.indexrelid
                 CROSS JOIN LATERAL pg_catalog.unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                WHERE i.indrelid = c.oid AND i.indisvalid AND (i.indisprimary OR (i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL))
                GROUP BY i.indexrelid, i.indisprimary, ic.relname
               HAVING i.indisprimary OR pg_catalog.bool_and(a.attnotnull)
                ORDER BY (pg_catalog.array_agg(a.attname::text) OPERATOR(pg_catalog.@>) captured.names AND pg_catalog.array_agg(a.attname::text) OPERATOR(pg_catalog.<@) captured.names) IS TRUE DESC,
                         i.indisprimary DESC, pg_catalog.count(*), i.indexrelid DESC
                LIMIT 1) AS chosen) AS key,
            pg_catalog.to_json(captured.names) AS captured,
            (SELECT coalesce(pg_catalog.jsonb_agg(DISTINCT pg_catalog.jsonb_build_array(rn.nspname::text, rc.relname::text)), '[]'::jsonb)
               FROM ${leafForeignKeys(`f.conrelid IN ${selfAndAncestors('c.oid')}`)} AS f
               JOIN pg_class rc ON rc.oid = f.confrelid
               JOIN pg_namespace rn ON rn.oid = rc.relnamespace
              WHERE f.conrelid = c.oid) AS refs
       FROM ${NAMED_TABLES} AND c.relkind IN ('r', 'p')
       LEFT JOIN LATERAL (${capturedKeySql('($3::text[])[w.ord]', '$4')}) AS captured ON true`,
    values: [...namedTablesParams(tables), tables.map((table) => captureNames(table).deltaName), CAPTURE_SCHEMA],
  });
  const found = new Map(result.rows.map((row) => [Number(row.ord) - 1, row]));
  return tables.map((table, index) => {
    const row = found.get(index);
    if (!row) return undefined;
    const columns = jsonOf<Array<[string, string]>>(row.columns).map(([name, type]) => ({ name, type }));
    const [keyNames, keySource] = row.key === null ? [[], 'none'] : jsonOf<[string[], string]>(row.key);
    const captured = row.captured === null ? undefined : jsonOf<string[] | null>(row.captured) ?? undefined;
    // the captured key, in its captured order: key texts and partitions are made in that order
    const ordered = captured && sameColumns(keyNames, captured) ? captured : keyNames;
    // the tables its foreign keys point at: the core writes those first
    const references = jsonOf<Array<[string, string]>>(row.refs).map(([schema, name]) => ({ schema, name }));
    return {
      table,
      columns,
      key: ordered.map((name) => columns.find((column) => column.name === name)!).filter(Boolean),
      keySource,
      ...(references.length > 0 ? { references } : {}),
    };
  });
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name) => b.includes(name));
}

/** A json column's value: the sessions read every type as raw text, a client with pg's default parsers does not. */
function jsonOf<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** Per table, the columns a row written without a value fails on: NOT NULL, no default, not identity or generated. */
export async function requiredColumns(client: pg.Client, tables: readonly TableRef[]): Promise<Array<readonly string[]>> {
  if (tables.length === 0) return [];
  const result = await client.query<{ ord: string; names: unknown }>(
    `SELECT w.ord, pg_catalog.json_agg(a.attname::text ORDER BY a.attnum) AS names
       FROM ${NAMED_TABLES} AND c.relkind IN ('r', 'p')
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = ''
      GROUP BY w.ord`,
    namedTablesParams(tables),
  );
  const found = new Map(result.rows.map((row) => [Number(row.ord) - 1, jsonOf<string[]>(row.names)]));
  return tables.map((_, index) => found.get(index) ?? []);
}

export async function describeTable(client: pg.Client, table: TableRef): Promise<TableShape | undefined> {
  return (await describeTables(client, [table]))[0];
}

/** The schemas holding a table of this name; the one visible on the search path alone when there is one. */
export async function findTable(client: pg.Client, name: string): Promise<TableRef[]> {
  const result = await client.query<{ schema: string; visible: string }>(
    `SELECT n.nspname AS schema, pg_catalog.pg_table_is_visible(c.oid) AS visible
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $1 AND c.relkind IN ('r', 'p')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'bucardo') AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY n.nspname`,
    [name],
  );
  const visible = result.rows.filter((row) => row.visible === 't');
  return (visible.length === 1 ? visible : result.rows).map((row) => ({ schema: row.schema, name }));
}

/**
 * The database's own tables (`r`, partitions included; partitioned parents hold no rows) or sequences, for
 * `bucardo add all`: not the system's schemas, nor Bucardo's capture schema.
 */
export async function listTables(client: pg.Client, kind: 'table' | 'sequence'): Promise<TableRef[]> {
  const result = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = $1
        AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'bucardo') AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY n.nspname, c.relname`,
    [kind === 'table' ? 'r' : 'S'],
  );
  return result.rows.map((row) => ({ schema: row.schema, name: row.name }));
}
