import type pg from 'pg';
import { BucardoError } from '@bucardo/plugin-sdk';
import { controlSchemaSql } from './control-schema.js';

type Queryable = Pick<pg.Client, 'query'>;

/**
 * The tables of this version's schema and the columns added to them later, read from the schema's own
 * statements: exactly what `bucardo install` creates when missing, so that a schema lacking one of them
 * is an older schema that install brings up to date.
 */
const TABLES = [...controlSchemaSql.matchAll(/CREATE TABLE IF NOT EXISTS bucardo\.(\w+)/g)].map((match) => match[1]!);
export const ADDED_COLUMNS = [...controlSchemaSql.matchAll(/ALTER TABLE bucardo\.(\w+) ADD COLUMN IF NOT EXISTS (\w+)/g)].map((match) => [match[1]!, match[2]!] as const);
/**
 * Tables created after the first release: one of them missing from a schema that has the others is an
 * older schema, not none. The statements cannot tell which came later, so each new table is added here.
 */
export const ADDED_TABLES: ReadonlySet<string> = new Set(['reload_request', 'customname', 'log_message', 'customcols']);

/** A control database without the schema: install creates it. */
export function noSchema(dbname: string, fields: { sqlstate?: string; cause?: unknown } = {}): BucardoError {
  return new BucardoError('CONTROL_NOT_INSTALLED', `The control database "${dbname}" has no Bucardo schema: run "bucardo install" first`, { db: dbname, ...fields });
}

/** A schema of an older version, lacking `what`: install brings it up to date and keeps its data. */
export function olderSchema(dbname: string, what: string, fields: { sqlstate?: string; item?: string; cause?: unknown } = {}): BucardoError {
  return new BucardoError('CONTROL_NOT_INSTALLED',
    `The Bucardo schema in control database "${dbname}" is older than this version (${what}): run "bucardo install" to bring it up to date; its data is kept`,
    { db: dbname, ...fields });
}

/** What of this version's schema the control database lacks, as `bucardo.table` and `bucardo.table.column`. */
export async function missingSchemaParts(db: Queryable): Promise<string[]> {
  const result = await db.query<{ part: string }>(
    `SELECT 'bucardo.' || t AS part FROM unnest($1::text[]) AS t WHERE to_regclass('bucardo.' || t) IS NULL
     UNION ALL
     SELECT 'bucardo.' || t || '.' || c FROM unnest($2::text[], $3::text[]) AS added(t, c)
      WHERE to_regclass('bucardo.' || t) IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('bucardo.' || t) AND attname = c AND NOT attisdropped)
     ORDER BY part`,
    [TABLES, ADDED_COLUMNS.map(([table]) => table), ADDED_COLUMNS.map(([, column]) => column)],
  );
  return result.rows.map((row) => row.part);
}

/**
 * Refuses a control database whose schema is missing or older than this version (CONTROL_NOT_INSTALLED,
 * naming what it lacks), before a daemon is started on it: a daemon would otherwise fail on every round.
 */
export async function checkControlSchema(db: Queryable, dbname: string): Promise<void> {
  const missing = await missingSchemaParts(db);
  if (missing.length === 0) return;
  if (missing.length >= TABLES.length && TABLES.every((table) => missing.includes(`bucardo.${table}`))) throw noSchema(dbname);
  throw olderSchema(dbname, `it lacks ${missing.join(', ')}`, { item: missing.join(', ') });
}
