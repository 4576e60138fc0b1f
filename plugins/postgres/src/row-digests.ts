import type pg from 'pg';
import { encodeKey, type KeyText, type RowDigestRequest, type RowSummary, type RowSummaryRequest, type TableShape } from '@bucardo/plugin-sdk';
import { qualified } from './capture-names.js';
import { quoteIdent } from './connect.js';
import { canonicalPart, partitionOf } from './key-sql.js';

/** What two postgres databases compare their digests by: the same columns, printed alike, through md5. */
export const DIGEST_FORMAT = 'postgres-md5-text-v1';

/**
 * The settings values print by, set alike on every server for the read: a database's own TimeZone would
 * shift every timestamptz's text, its DateStyle every date's, so equal values would look different.
 */
const PRINTING = "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = 'hex'";

/**
 * A row's digest: md5 of its values' text, by column name in the given order. Each value is cast to text
 * first, so that an int here and a bigint there, or varchar and text, print alike; the row's text keeps
 * NULL apart from the empty string.
 */
function rowDigest(shape: TableShape): string {
  return `md5(ROW(${shape.columns.map((column) => `${quoteIdent(column.name)}::text`).join(', ')})::text)`;
}

/**
 * Per key partition, the rows and the sum of their digests' first 64 bits: a sum does not depend on the
 * rows' order, and (as numeric) does not overflow.
 */
export async function summarizeRows(client: pg.Client, request: RowSummaryRequest): Promise<RowSummary> {
  const { shape, partitions } = request;
  const rows = await readOnly(client, `SELECT p, count(*)::int AS n, sum(('x' || substr(h, 1, 16))::bit(64)::bigint)::text AS d
    FROM (SELECT ${partitionOf(shape, partitions)} AS p, ${rowDigest(shape)} AS h FROM ONLY ${qualified(shape.table)}) AS r GROUP BY p`);
  return {
    format: DIGEST_FORMAT,
    partitions: new Map(rows.map((row) => [Number(row.p), { rows: Number(row.n), digest: String(row.d) }])),
  };
}

/** The key and digest of each row in the partitions asked for; keys as the SDK's key text (canonical parts). */
export async function rowDigests(client: pg.Client, request: RowDigestRequest): Promise<Map<KeyText, string>> {
  const { shape, partitions, only } = request;
  const keys = shape.key.map((column, index) => `${canonicalPart(column)}::text AS k${index}`).join(', ');
  const rows = await readOnly(client, `SELECT ${keys}, ${rowDigest(shape)} AS h FROM ONLY ${qualified(shape.table)}
    WHERE ${partitionOf(shape, partitions)} = ANY($1::int[])`, [only]);
  const digests = new Map<KeyText, string>();
  for (const row of rows) digests.set(encodeKey(shape.key.map((_, index) => String(row[`k${index}`]))), String(row.h));
  return digests;
}

async function readOnly(client: pg.Client, sql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  await client.query(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; ${PRINTING}`);
  try {
    const result = await client.query<Record<string, unknown>>(sql, params);
    await client.query('COMMIT');
    return result.rows;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
