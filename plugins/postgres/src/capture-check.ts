import type pg from 'pg';
import type { CaptureProblem, TableRef } from '@bucardo/plugin-sdk';
import { CAPTURE_SCHEMA, CAPTURE_TRIGGER, TRUNCATE_TRIGGER, captureNames, capturedKeySql } from './capture-names.js';
import { unnestRows } from './unnest.js';

/** `pg_trigger.tgenabled` values under which a trigger fires for the application's writes. */
const FIRING = new Set(['O', 'A']);

/**
 * The tables whose capture triggers are missing (dropped) or disabled (`ALTER TABLE … DISABLE TRIGGER`,
 * or enabled for replicas only): the application's changes to them are not recorded, and nothing else
 * would say so. One catalog statement for every table. A table that is not there is left to the table
 * check, which names it as missing.
 */
export async function captureProblems(client: pg.Client, tables: readonly TableRef[]): Promise<CaptureProblem[]> {
  if (tables.length === 0) return [];
  const result = await client.query<{ i: string; found: string; tgname: string | null; tgenabled: string | null }>(
    `SELECT s.i, c.oid IS NOT NULL AS found, t.tgname, t.tgenabled FROM ${unnestRows(['$1::text[]', '$2::text[]'])} WITH ORDINALITY AS s(schemaname, tablename, i)
      LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = s.schemaname
      LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = s.tablename
      LEFT JOIN pg_catalog.pg_trigger t ON t.tgrelid = c.oid AND t.tgname IN ($3, $4)`,
    [tables.map((table) => table.schema), tables.map((table) => table.name), CAPTURE_TRIGGER, TRUNCATE_TRIGGER],
  );
  const found = new Map<number, Map<string, string>>();
  for (const row of result.rows) {
    // a table that is not there at all is no capture problem: the table check names it as missing
    if (row.found !== 't') continue;
    const triggers = found.get(Number(row.i)) ?? new Map<string, string>();
    if (row.tgname !== null) triggers.set(row.tgname, row.tgenabled ?? 'O');
    found.set(Number(row.i), triggers);
  }
  const problems: CaptureProblem[] = [];
  tables.forEach((table, index) => {
    const triggers = found.get(index + 1);
    if (!triggers) return;
    for (const trigger of [CAPTURE_TRIGGER, TRUNCATE_TRIGGER]) {
      const enabled = triggers.get(trigger);
      if (enabled === undefined) problems.push({ table, trigger, state: 'missing' });
      else if (!FIRING.has(enabled)) problems.push({ table, trigger, state: 'disabled' });
    }
  });
  return problems;
}

/**
 * Per table, the key columns its delta table holds (as the table's description reads them), or
 * `undefined` without capture. One catalog statement.
 */
export async function capturedKeys(client: pg.Client, tables: readonly TableRef[]): Promise<Array<readonly string[] | undefined>> {
  if (tables.length === 0) return [];
  const result = await client.query<{ i: string; names: unknown }>(
    `SELECT s.i, pg_catalog.to_json(captured.names) AS names
       FROM pg_catalog.unnest($1::text[]) WITH ORDINALITY AS s(delta, i)
       LEFT JOIN LATERAL (${capturedKeySql('s.delta', '$2')}) AS captured ON true ORDER BY s.i`,
    [tables.map((table) => captureNames(table).deltaName), CAPTURE_SCHEMA],
  );
  // the sessions read every type as text: the names come as JSON
  return result.rows.map((row) => (row.names === null ? undefined : (typeof row.names === 'string' ? JSON.parse(row.names) : row.names) as string[]));
}
