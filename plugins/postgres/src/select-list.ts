import type pg from 'pg';
import type { ColumnInfo, TableRef } from '@bucardo/plugin-sdk';
import { qualified } from './capture-names.js';
import { unnestRows } from './unnest.js';

/**
 * The output columns of a custom select list (`bucardo add customcols`) on `table`, as PostgreSQL plans
 * them: `LIMIT 0` checks every expression and names its type without evaluating it on any row.
 */
export async function selectColumns(client: pg.Client, table: TableRef, selectList: string): Promise<ColumnInfo[]> {
  const probe = await client.query(`SELECT ${selectList} FROM ONLY ${qualified(table)} LIMIT 0`);
  const types = await client.query<{ type: string }>(
    `SELECT pg_catalog.format_type(t, nullif(m, -1)) AS type FROM ${unnestRows(['$1::oid[]', '$2::int[]'])} WITH ORDINALITY AS f(t, m, n) ORDER BY n`,
    [probe.fields.map((field) => field.dataTypeID), probe.fields.map((field) => field.dataTypeModifier)],
  );
  return probe.fields.map((field, index) => ({ name: field.name, type: types.rows[index]!.type }));
}

/** `SELECT <list> FROM ONLY table WHERE <where>`: the images of a custom select list. */
export function customSelect(table: TableRef, selectList: string, where: string): string {
  return `SELECT ${selectList} FROM ONLY ${qualified(table)} WHERE ${where}`;
}
