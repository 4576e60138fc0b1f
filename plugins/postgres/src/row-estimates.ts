import type pg from 'pg';
import { tableId, type TableRef } from '@bucardo/plugin-sdk';
import { NAMED_TABLES, namedTablesParams } from './introspect.js';

/**
 * `pg_class.reltuples` of each table: the planner's own row count, kept by VACUUM and ANALYZE (and
 * autovacuum), read without touching the tables. A table with no figure yet is left out: -1 since
 * PostgreSQL 14, and 0 rows on 0 pages before, which an empty table analyzed also reports (its new rows
 * then go key by key, as they would without `refreshAbove`).
 */
export async function estimateRows(client: pg.Client, tables: readonly TableRef[]): Promise<Map<string, number>> {
  if (tables.length === 0) return new Map();
  const result = await client.query<{ ord: string; rows: number }>(
    `SELECT w.ord, c.reltuples AS rows FROM ${NAMED_TABLES} AND c.relkind = 'r'
      WHERE c.reltuples OPERATOR(pg_catalog.>) 0 OR (c.reltuples OPERATOR(pg_catalog.=) 0 AND c.relpages > 0)`,
    namedTablesParams(tables),
  );
  return new Map(result.rows.map((row) => [tableId(tables[Number(row.ord) - 1]!), Math.round(Number(row.rows))]));
}
