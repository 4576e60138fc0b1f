import type pg from 'pg';
import type { TableShape } from '@bucardo/plugin-sdk';
import { pointedAt } from './leaf-foreign-keys.js';
import { unnestRows } from './unnest.js';

/**
 * Per table, what the session's role lacks to write it as this plugin does: USAGE on its schema; SELECT
 * (a delete by key reads the key), INSERT (COPY) and DELETE always; UPDATE where rows are written in place
 * (additive columns, or a table a foreign key points at (`pointedAt`), unless the session writes as a replica, where no
 * foreign key fires). From the catalogs, which any role may read: a missing table (said otherwise) lacks
 * nothing. `TRUNCATE` is not asked: refused, a copy empties the table with DELETE. SELECT, INSERT and UPDATE
 * granted on columns only count (`has_any_column_privilege`): a false alarm would stop a sync that works.
 */
export async function missingWritePrivileges(client: pg.Client, shapes: readonly TableShape[]): Promise<{ role: string; missing: Array<readonly string[]> }> {
  const { rows } = await client.query<{ i: string; missing: string; role: string }>(
    `SELECT s.i, current_user AS role, pg_catalog.to_json(pg_catalog.array_remove(ARRAY[
              CASE WHEN NOT pg_catalog.has_schema_privilege(n.oid, 'USAGE') THEN 'USAGE ON SCHEMA ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(n.nspname) END,
              CASE WHEN NOT pg_catalog.has_any_column_privilege(c.oid, 'SELECT') THEN 'SELECT' END,
              CASE WHEN NOT pg_catalog.has_any_column_privilege(c.oid, 'INSERT') THEN 'INSERT' END,
              CASE WHEN NOT pg_catalog.has_table_privilege(c.oid, 'DELETE') THEN 'DELETE' END,
              CASE WHEN (s.additive OR (pg_catalog.current_setting('session_replication_role') <> 'replica'
                          AND ${pointedAt('c.oid')}))
                        AND NOT pg_catalog.has_any_column_privilege(c.oid, 'UPDATE') THEN 'UPDATE' END
            ], NULL))::text AS missing
       FROM ${unnestRows(['$1::text[]', '$2::text[]', '$3::bool[]'])} WITH ORDINALITY AS s(schema, name, additive, i)
       LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = s.schema
       LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = s.name
      ORDER BY s.i`,
    [shapes.map((shape) => shape.table.schema), shapes.map((shape) => shape.table.name), shapes.map((shape) => (shape.additive ?? []).length > 0)],
  );
  const role = rows[0]?.role ?? '';
  // a missing table: c is NULL, every has_*_privilege(NULL) NULL, the CASEs NULL, the array empty
  return { role, missing: rows.map((row) => JSON.parse(row.missing) as string[]) };
}
