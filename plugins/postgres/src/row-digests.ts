import type pg from 'pg';
import { encodeKey, type ColumnInfo, type KeyText, type PartitionDigests, type RowDigestRequest, type RowSummary, type RowSummaryRequest, type TableShape } from '@bucardo/plugin-sdk';
import { cancellable } from './cancel.js';
import { qualified } from './capture-names.js';
import { canonicalPart, partitionOf } from './key-sql.js';

/** What two postgres databases compare their digests by: the same columns, printed alike, through md5. */
export const DIGEST_FORMAT = 'postgres-md5-text-v2';

/** Rows fetched from the digest cursor at a time. */
const FETCH_ROWS = 10_000;

/** Hex digits of a column's fingerprint: enough to tell which columns of a row known to differ differ. */
const FINGERPRINT = 8;

/**
 * A value's text for the digest: as a key part's (`canonicalPart`: a numeric without its trailing zeros, so
 * 1.50 in a `numeric(10,2)` is the 1.5 another database keeps in a `numeric`; a float's -0 as 0), any other
 * value as it prints. The session settings (`TEXT_STABLE_SETTINGS`) make every server print alike.
 */
function valueText(column: ColumnInfo): string {
  return `${canonicalPart(column)}::text`;
}

/**
 * A row's digest: md5 of its values' text in the request's column order, in UTF-8 whatever the database's
 * encoding. Each value is text first, so that an int here and a bigint there, or varchar and text, print
 * alike; the row's text keeps NULL apart from the empty string.
 */
function rowDigest(shape: TableShape): string {
  return `pg_catalog.md5(pg_catalog.convert_to(ROW(${shape.columns.map(valueText).join(', ')})::text, 'UTF8'))`;
}

/** Each column's fingerprint, run together: the first hex digits of its value's md5, dashes for NULL. */
function columnFingerprints(shape: TableShape): string {
  const dashes = '-'.repeat(FINGERPRINT);
  return `pg_catalog.concat(${shape.columns.map((column) => `coalesce(pg_catalog.left(pg_catalog.md5(pg_catalog.convert_to(${valueText(column)}, 'UTF8')), ${FINGERPRINT}), '${dashes}')`).join(', ')})`;
}

/**
 * The rows a request digests: the table's own, or those of a customcols select list read from it (its
 * output columns are what the digests name, as the table's columns are otherwise).
 */
function rowsOf(request: RowSummaryRequest): string {
  const table = `ONLY ${qualified(request.shape.table)}`;
  return request.selectList === undefined ? table : `(SELECT ${request.selectList} FROM ${table}) AS selected`;
}

/**
 * Per key partition, the rows and the sum of their digests' first 64 bits: a sum does not depend on the
 * rows' order, and (as numeric) does not overflow. A table without a key (a fullcopy sync's) is one
 * partition, 0: its rows as a whole.
 */
export function summarizeRows(client: pg.Client, request: RowSummaryRequest): Promise<RowSummary> {
  const { shape, partitions } = request;
  return cancellable(client, request.signal, async () => {
    const result = await client.query<{ p: string | null; n: string; d: string }>(`SELECT p, pg_catalog.count(*)::int AS n, pg_catalog.sum(('x' OPERATOR(pg_catalog.||) pg_catalog.substr(h, 1, 16))::bit(64)::bigint)::text AS d
      FROM (SELECT ${shape.key.length === 0 ? '0' : partitionOf(shape, partitions)} AS p, ${rowDigest(shape)} AS h FROM ${rowsOf(request)}) AS r GROUP BY p`);
    // a NULL key part puts a row in no partition (a table without a key here may hold one)
    const keyed = result.rows.filter((row) => row.p !== null);
    const unkeyed = result.rows.filter((row) => row.p === null).reduce((sum, row) => sum + Number(row.n), 0);
    return { format: DIGEST_FORMAT, partitions: new Map(keyed.map((row) => [Number(row.p), { rows: Number(row.n), digest: row.d }])), unkeyed };
  });
}

/**
 * The rows of the partitions asked for, in partition order, through a cursor: one scan of the table
 * whatever the number of partitions, and one fetch of rows in memory at a time. Keys are read as the
 * SDK's key text (canonical parts, each as its type prints it, as everywhere keys are read).
 */
export async function* rowDigests(client: pg.Client, request: RowDigestRequest): AsyncGenerator<PartitionDigests> {
  const { shape, partitions, only, signal } = request;
  // each key part as its type prints it (the connection reads every value as text): a char(n) keeps its
  // padding, as the key text of capture and fetch does; a cast to text would trim it
  const keys = shape.key.map((column, index) => `${canonicalPart(column)} AS k${index}`).join(', ');
  const wanted = `'{${only.map((partition) => Math.trunc(partition)).join(',')}}'::int[]`;
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  let done = false;
  try {
    await client.query(`DECLARE bucardo_row_digests NO SCROLL CURSOR FOR SELECT p, ${shape.key.map((_, index) => `k${index}`).join(', ')}, h, c
      FROM (SELECT ${partitionOf(shape, partitions)} AS p, ${keys}, ${rowDigest(shape)} AS h, ${columnFingerprints(shape)} AS c FROM ${rowsOf(request)}) AS r
      WHERE p OPERATOR(pg_catalog.=) ANY(${wanted}) ORDER BY p`);
    let current: { partition: number; keys: KeyText[]; digests: string[]; columns: string[][] } | undefined;
    for (;;) {
      const batch = await cancellable(client, signal, () => client.query<Record<string, string>>(`FETCH ${FETCH_ROWS} FROM bucardo_row_digests`));
      for (const row of batch.rows) {
        const partition = Number(row.p);
        if (current && current.partition !== partition) {
          yield current;
          current = undefined;
        }
        current ??= { partition, keys: [], digests: [], columns: [] };
        current.keys.push(encodeKey(shape.key.map((_, index) => row[`k${index}`]!)));
        current.digests.push(row.h!);
        current.columns.push(shape.columns.map((_, index) => row.c!.slice(index * FINGERPRINT, (index + 1) * FINGERPRINT)));
      }
      if (batch.rows.length < FETCH_ROWS) break;
    }
    if (current) yield current;
    done = true;
  } finally {
    // a reader that stopped early (or failed) leaves the cursor's transaction: end it either way
    await client.query(done ? 'COMMIT' : 'ROLLBACK').catch(() => undefined);
  }
}
