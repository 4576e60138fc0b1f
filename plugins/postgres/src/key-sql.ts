import type { ColumnInfo, KeyText, TableShape } from '@bucardo/plugin-sdk';
import { decodeKey, keyPartKind } from '@bucardo/plugin-sdk';
import { quoteIdent, quoteLiteral } from './connect.js';

/** Each key column's values, from the encoded keys. */
export function keyColumnsOf(shape: TableShape, keys: readonly KeyText[]): string[][] {
  if (shape.key.length === 1) return [keys as string[]];
  const columns: string[][] = shape.key.map(() => []);
  for (const key of keys) decodeKey(key, shape.key.length).forEach((part, index) => columns[index]!.push(part));
  return columns;
}

function keyList(shape: TableShape, alias: string): string {
  const names = shape.key.map((column) => `${alias}${quoteIdent(column.name)}`);
  return names.length === 1 ? names[0]! : `(${names.join(', ')})`;
}

function arrayOf(column: ColumnInfo, source: string): string {
  return `${source}::text[]::${column.type}[]`;
}

/**
 * The array for `key = ANY(…)`. Given the array as a constant (a literal, or a bound parameter, which the
 * server plans as one), the planner estimates the selectivity of every element in turn: 2k instructions
 * per key, a third of a 30,000-key DELETE's server time. With `hide` (only where the table has an index
 * led by the key here, KeyIndexes.hideKeys): behind a scalar subquery the planner sees an array of unknown
 * length, still plans an index scan on the key, and the executor casts the array once. Without such an
 * index the lookup is a sequential scan, and only a constant array is hashed: behind the subquery every
 * row would walk the whole array.
 */
function keyArrayOf(column: ColumnInfo, source: string, hide: boolean): string {
  return hide ? `(SELECT ${arrayOf(column, source)})::${column.type}[]` : arrayOf(column, source);
}

/**
 * `WHERE`-ready condition "the key is one of these", with the keys as bind parameters (text arrays cast to
 * the key types): one statement per batch, whatever its size.
 */
export function keyCondition(shape: TableShape, keys: readonly KeyText[], hide: boolean, firstParam = 1, alias = ''): { sql: string; params: string[] } {
  // Array literals built here, not by the driver: one pass per column instead of pg's per-element escaping.
  const params = keyColumnsOf(shape, keys).map(arrayLiteral);
  if (shape.key.length === 1) return { sql: `${keyList(shape, alias)} = ANY(${keyArrayOf(shape.key[0]!, `$${firstParam}`, hide)})`, params };
  const arrays = shape.key.map((column, index) => arrayOf(column, `$${firstParam + index}`));
  return { sql: `${keyList(shape, alias)} IN (SELECT * FROM unnest(${arrays.join(', ')}))`, params };
}

/** The same condition with the keys inlined as quoted literals, for COPY, which takes no parameters. */
export function inlineKeyCondition(shape: TableShape, keys: readonly KeyText[], hide: boolean): string {
  const literals = keyColumnsOf(shape, keys).map((values) => quoteLiteral(arrayLiteral(values)));
  if (shape.key.length === 1) return `${keyList(shape, '')} = ANY(${keyArrayOf(shape.key[0]!, literals[0]!, hide)})`;
  const arrays = literals.map((literal, index) => arrayOf(shape.key[index]!, literal));
  return `${keyList(shape, '')} IN (SELECT * FROM unnest(${arrays.join(', ')}))`;
}

/** A PostgreSQL text array literal: every element double-quoted, with `"` and `\` escaped. */
export function arrayLiteral(values: readonly string[]): string {
  // One join and one scan for the usual keys (nothing to escape): per-element escaping was a second of a
  // million-key backlog.
  if (values.length === 0) return '{}';
  if (!/[\\"]/.test(values.join(''))) return `{"${values.join('","')}"}`;
  let literal = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) literal += ',';
    literal += `"${values[i]!.replace(/[\\"]/g, '\\$&')}"`;
  }
  return `${literal}}`;
}

/** The table's columns, quoted, in order: what row images are read and written as. */
export function columnList(shape: TableShape): string {
  return shape.columns.map((column) => quoteIdent(column.name)).join(', ');
}

/** The key columns, quoted, in key order. */
export function keyColumnList(shape: TableShape): string {
  return shape.key.map((column) => quoteIdent(column.name)).join(', ');
}

/**
 * "The key is in partition `index` of `count`": the SDK's `keyPartition`, computed by the server over the
 * canonical key text (numeric scale trimmed, float -0 as 0, as `keyMaker` does), so that every source,
 * whatever its type, puts a key in the same partition. An integer key is its own hash: a partition's
 * filter then costs a modulo per change record instead of an MD5 (60 ms against 800 ms per million).
 */
export function partitionCondition(shape: TableShape, index: number, count: number): string {
  return `${partitionOf(shape, count)} = ${index}`;
}

/** The partition of a row's key, `keyPartition`'s, as an SQL expression over the table's key columns. */
export function partitionOf(shape: TableShape, count: number): string {
  const md5Partition = (input: string) => `('x' || substr(md5(convert_to(${input}, 'UTF8')), 1, 8))::bit(32)::bigint % ${count}`;
  const parts = shape.key.map((column) => `${canonicalPart(column)}::text`);
  if (parts.length > 1) return md5Partition(parts.map((part) => `octet_length(convert_to(${part}, 'UTF8'))::text || ':' || ${part}`).join(' || '));
  const column = shape.key[0]!;
  if (INTEGER_TYPES.has(column.type.toLowerCase())) return `(${quoteIdent(column.name)} % ${count} + ${count}) % ${count}`;
  // any other type: its text may still be an integer (a numeric 5.0, a text '007')
  const text = parts[0]!;
  return `(CASE WHEN ${text} ~ '^-?[0-9]+$' THEN (mod(${text}::numeric, ${count}) + ${count}) % ${count} ELSE ${md5Partition(text)} END)`;
}

const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint', 'int2', 'int4', 'int8']);

/** The SQL of `keyPartCanonicalizer`: one text per key value for the types whose output has several. */
export function canonicalPart(column: ColumnInfo): string {
  const name = quoteIdent(column.name);
  const kind = keyPartKind(column.type);
  if (kind === 'numeric') return `trim_scale(${name})`;
  if (kind === 'float') return `(CASE WHEN ${name} = 0 THEN 0 ELSE ${name} END)`;
  return name;
}
