import { createHash } from 'node:crypto';
import type { TableRef } from '@bucardo/plugin-sdk';
import { quoteIdent } from './connect.js';

/** The schema that holds capture objects on every source database. */
export const CAPTURE_SCHEMA = 'bucardo';
/** The row trigger on each captured table. */
export const CAPTURE_TRIGGER = 'bucardo_capture';
/** The statement trigger that records a TRUNCATE of a captured table. */
export const TRUNCATE_TRIGGER = 'bucardo_capture_truncate';
/** Where truncates are recorded, one row per TRUNCATE of a captured table. */
export const TRUNCATE_LOG = `${CAPTURE_SCHEMA}.truncate_log`;
/** The shared function of the truncate triggers. */
export const TRUNCATE_FUNCTION = `${CAPTURE_SCHEMA}.capture_truncate`;
/**
 * The transaction-local setting that makes capture triggers skip a row: set by the apply transaction so
 * that rows a sync writes are not captured again (echo), without `session_replication_role`, which needs a
 * superuser and also silences user triggers and foreign keys.
 */
export const SKIP_CAPTURE_SETTING = 'bucardo.replicating';
/**
 * The shared function of the capture triggers' `WHEN` clause: false while `SKIP_CAPTURE_SETTING` is on.
 * A call to it is the shortest `WHEN` the server can store, and a `WHEN` is read back from its stored form
 * at every statement: spelt out, the test cost about 34,000 instructions a statement, the call about 14,000.
 */
export const CAPTURING_FUNCTION = `${CAPTURE_SCHEMA}.capturing`;
/**
 * makedelta's marks: per table, the transactions in which a sync recorded here what it wrote (change records,
 * a truncate), and which sync. A transaction that writes with `SKIP_CAPTURE_SETTING` holds no record of the
 * application's, so every record of a marked transaction is that sync's, which its own capture skips. A
 * mark, not a column of the delta tables: an extra column, even NULL, cost the application's writes 0.6 %
 * more instructions per TPC-B transaction (bench, `--only instructions`). Purged with the records it marks.
 */
export const MADE_DELTA = `${CAPTURE_SCHEMA}.made_delta`;

/** The statement that makes `MADE_DELTA` (capture install, and a recorder finding a capture made before it). */
export const MADE_DELTA_SQL = `CREATE TABLE IF NOT EXISTS ${MADE_DELTA} (
  schemaname text NOT NULL, tablename text NOT NULL, bucardo_txid xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(), sync text NOT NULL,
  PRIMARY KEY (schemaname, tablename, bucardo_txid, sync))`;

/**
 * SQL: "this change record of the table (SQL expressions) was not made by `sync`" (an SQL expression). A
 * `NOT IN`, which the server hashes once per statement, where a correlated `NOT EXISTS` would probe the
 * marks' index once per record of a large backlog.
 */
export function notMadeBy(sync: string, schema: string, table: string): string {
  return `bucardo_txid NOT IN (SELECT m.bucardo_txid FROM ${MADE_DELTA} m WHERE m.schemaname = ${schema} AND m.tablename = ${table} AND m.sync = ${sync})`;
}

/** SQL: "this truncate log row was not made by `sync`" (an SQL expression), hashed as `notMadeBy`. */
export function truncateNotMadeBy(sync: string): string {
  return `(schemaname, tablename, bucardo_txid) NOT IN (SELECT m.schemaname, m.tablename, m.bucardo_txid FROM ${MADE_DELTA} m WHERE m.sync = ${sync})`;
}

export interface CaptureNames {
  /** `bucardo."delta_<schema>_<table>"`, quoted and qualified. */
  readonly delta: string;
  readonly deltaName: string;
  readonly txidIndex: string;
  /** `bucardo."capture_<schema>_<table>"`, quoted and qualified. */
  readonly function: string;
}

export function captureNames(table: TableRef): CaptureNames {
  const deltaName = identifier(`delta_${table.schema}_${table.name}`);
  return {
    delta: `${quoteIdent(CAPTURE_SCHEMA)}.${quoteIdent(deltaName)}`,
    deltaName,
    txidIndex: quoteIdent(identifier(`delta_${table.schema}_${table.name}_txid`)),
    function: `${quoteIdent(CAPTURE_SCHEMA)}.${quoteIdent(identifier(`capture_${table.schema}_${table.name}`))}`,
  };
}

/** Keeps a generated name within PostgreSQL's 63 bytes; long names end in a hash so they stay unique. */
function identifier(base: string): string {
  if (Buffer.byteLength(base) <= 63) return base;
  const hash = createHash('md5').update(base).digest('hex').slice(0, 8);
  let prefix = base;
  while (Buffer.byteLength(prefix) > 54) prefix = prefix.slice(0, -1);
  return `${prefix}_${hash}`;
}

export function qualified(table: TableRef): string {
  return `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
}

/**
 * The key columns a delta table holds (those before `bucardo_op`), as `names` (an array, NULL without
 * capture): `deltaName` and `schema` are SQL expressions for its name and the capture schema. The
 * table's description and `bucardo validate`'s key check read the captured key alike.
 */
export function capturedKeySql(deltaName: string, schema: string): string {
  return `SELECT pg_catalog.array_agg(da.attname::text ORDER BY da.attnum) AS names
           FROM pg_catalog.pg_namespace dn
           JOIN pg_catalog.pg_class d ON d.relnamespace = dn.oid AND d.relname = ${deltaName}
           JOIN pg_catalog.pg_attribute op ON op.attrelid = d.oid AND op.attname = 'bucardo_op'
           JOIN pg_catalog.pg_attribute da ON da.attrelid = d.oid AND da.attnum > 0 AND da.attnum < op.attnum AND NOT da.attisdropped
          WHERE dn.nspname = ${schema}`;
}

/** The delta table's column holding the change of an additive column (new - old). */
export function additiveColumn(column: string): string {
  return quoteIdent(identifier(`bucardo_add_${column}`));
}
