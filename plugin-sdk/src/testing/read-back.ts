/**
 * Comparing what a target holds with what it was sent. A target's `readBack` returns rows as text values
 * (a PostgreSQL database, a replayed file) or as documents (MongoDB); the kit maps each expected text
 * value through the target's `expectedValue` and compares rows whole, in a stable order.
 */
import type { TextValue } from '../copy-text.js';
import type { ColumnInfo, TableShape } from '../table.js';

/**
 * A row as `readBack` returns it: the columns' values in `shape.columns` order, or a record by column
 * name. Record fields that are not columns of the table (MongoDB's `_id`) are ignored.
 */
export type ReadBackRow = readonly TextValue[] | Readonly<Record<string, unknown>>;

/** What a target stores for one text value of a column, as its `readBack` returns it. */
export type ExpectedValue = (text: TextValue, column: ColumnInfo, shape: TableShape) => unknown;

/** The default `expectedValue`: the target stores the text exactly (NULL as `null`). */
export const sameText: ExpectedValue = (text) => text;

/** A row as a record of the table's columns, in column order. */
export function rowRecord(shape: TableShape, row: ReadBackRow): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  if (Array.isArray(row)) {
    if (row.length !== shape.columns.length) {
      throw new Error(`readBack returned a row of ${row.length} values for table ${shape.table.name}, which has ${shape.columns.length} columns: ${stableString(row)}`);
    }
    shape.columns.forEach((column, index) => { record[column.name] = row[index]; });
  } else {
    const fields = row as Readonly<Record<string, unknown>>;
    for (const column of shape.columns) record[column.name] = fields[column.name];
  }
  return record;
}

/** The expected record of a row the kit wrote, through `expectedValue`. */
export function expectedRecord(shape: TableShape, row: readonly TextValue[], expectedValue: ExpectedValue): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  shape.columns.forEach((column, index) => { record[column.name] = expectedValue(row[index] ?? null, column, shape); });
  return record;
}

/** Records sorted by their key columns' values (as `stableString` prints them), for a whole-table comparison. */
export function sortByKey(shape: TableShape, records: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  const keyed = records.map((record) => [stableString(shape.key.map((column) => record[column.name])), record] as const);
  keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return keyed.map(([, record]) => record);
}

/**
 * A deterministic text for any value a target may return: JSON-like, with `bigint`, `Date`, byte arrays
 * and objects with `toJSON` (BSON's Decimal128, Long, Binary) handled, and object fields sorted.
 */
export function stableString(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value) ?? String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  if (value instanceof Uint8Array) return `bytes(${[...value].map((byte) => byte.toString(16).padStart(2, '0')).join('')})`;
  if (Array.isArray(value)) return `[${value.map(stableString).join(',')}]`;
  if (typeof value === 'object') {
    const toJSON = (value as { toJSON?: () => unknown }).toJSON;
    if (typeof toJSON === 'function') return `${value.constructor?.name ?? 'Object'}(${stableString(toJSON.call(value))})`;
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([field, v]) => `${JSON.stringify(field)}:${stableString(v)}`).join(',')}}`;
  }
  return String(value);
}
