import type { ColumnInfo, KeyText, TableShape } from '@bucardo/plugin-sdk';
import { decodeKey, keyPartKind } from '@bucardo/plugin-sdk';
import { quoteIdent, quoteLiteral } from './connect.js';
import { unnestRows } from './unnest.js';

/**
 * A key column as this plugin's statements compare it: with the schema of its equality on the database the
 * statement runs on (`KeyIndexes.local`), never the one of the shape's database.
 */
export interface KeyColumn extends ColumnInfo {
  readonly operatorSchema?: string;
}

/** Each key column's values, from the encoded keys. */
export function keyColumnsOf(shape: TableShape, keys: readonly KeyText[]): string[][] {
  if (shape.key.length === 1) return [keys as string[]];
  const columns: string[][] = shape.key.map(() => []);
  for (const key of keys) decodeKey(key, shape.key.length).forEach((part, index) => columns[index]!.push(part));
  return columns;
}

/** "The key is one of the rows of these arrays (one a key column)", for a composite key. */
function inArrays(shape: TableShape, alias: string, arrays: readonly string[]): string {
  const names = shape.key.map((column) => `${alias}${quoteIdent(column.name)}`);
  const rows = unnestRows(arrays);
  const operator = rowOperator(shape.key, '=');
  if (operator !== undefined) return `(${names.join(', ')}) ${operator} ANY (SELECT * FROM ${rows})`;
  const matched = shape.key.map((column, index) => `${names[index]} ${keyOperator(column, '=')} bucardo_keys.k${index}`).join(' AND ');
  return `EXISTS (SELECT FROM ${rows} AS bucardo_keys(${shape.key.map((_, index) => `k${index}`).join(', ')}) WHERE ${matched})`;
}

/**
 * A key column's comparison operator (`=`, `>`) named with its schema, `OPERATOR(pg_catalog.=)`: a bare
 * `=` is looked up on the session's search_path, where anyone who may create in `public` can put a
 * `=(varchar, varchar)` that matches a varchar key better than the built-in one, and would run their code
 * as the sync's role. The schema is read from the catalog of the database the statement runs on
 * (`KeyIndexes.local`): that of a key index's operators there, so the comparison and the index's stay the
 * same (citext's own `=`, not pg_catalog's). A column not looked up there keeps the bare operator.
 */
export function keyOperator(column: KeyColumn, operator: '=' | '>'): string {
  return column.operatorSchema === undefined ? operator : `OPERATOR(${quoteIdent(column.operatorSchema)}.${operator})`;
}

/** The operator that compares whole key rows, `(a, b) = (x, y)`: one name for every column, so only where they share a schema. */
function rowOperator(columns: readonly KeyColumn[], operator: '=' | '>'): string | undefined {
  const schemas = new Set(columns.map((column) => column.operatorSchema));
  return schemas.size === 1 ? keyOperator(columns[0]!, operator) : undefined;
}

/** `left.k1 = right.k1 AND …`: two relations' rows with the same key, each column by its own operator. */
export function keysMatch(shape: TableShape, left: string, right: string | ((index: number) => string)): string {
  return shape.key.map((column, index) => {
    const other = typeof right === 'string' ? `${right}.${quoteIdent(column.name)}` : right(index);
    return `${left}.${quoteIdent(column.name)} ${keyOperator(column, '=')} ${other}`;
  }).join(' AND ');
}

/**
 * "The key is after this one", as SQL over the key columns, given each part as an SQL value: a row
 * comparison `(k1, k2) > (v1, v2)`, which an index on the key bounds, or spelt out column by column where
 * the parts' operators live in different schemas (a citext and an integer), which one operator name cannot
 * say.
 */
export function keyAfter(shape: TableShape, values: readonly string[]): string {
  const names = shape.key.map((column) => quoteIdent(column.name));
  if (names.length === 1) return `${names[0]} ${keyOperator(shape.key[0]!, '>')} ${values[0]}`;
  const operator = rowOperator(shape.key, '>');
  if (operator !== undefined) return `(${names.join(', ')}) ${operator} (${values.join(', ')})`;
  const after = shape.key.map((column, index) => [
    ...shape.key.slice(0, index).map((before, at) => `${names[at]} ${keyOperator(before, '=')} ${values[at]}`),
    `${names[index]} ${keyOperator(column, '>')} ${values[index]}`,
  ].join(' AND '));
  return `(${after.map((part) => `(${part})`).join(' OR ')})`;
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
  if (shape.key.length === 1) return { sql: `${singleKey(shape, alias)} ANY(${keyArrayOf(shape.key[0]!, `$${firstParam}`, hide)})`, params };
  const arrays = shape.key.map((column, index) => arrayOf(column, `$${firstParam + index}`));
  return { sql: inArrays(shape, alias, arrays), params };
}

/** The same condition with the keys inlined as quoted literals, for COPY, which takes no parameters. */
export function inlineKeyCondition(shape: TableShape, keys: readonly KeyText[], hide: boolean): string {
  const literals = keyColumnsOf(shape, keys).map((values) => quoteLiteral(arrayLiteral(values)));
  if (shape.key.length === 1) return `${singleKey(shape, '')} ANY(${keyArrayOf(shape.key[0]!, literals[0]!, hide)})`;
  const arrays = literals.map((literal, index) => arrayOf(shape.key[index]!, literal));
  return inArrays(shape, '', arrays);
}

/** `k OPERATOR(…=)`, before `ANY(…)`. */
function singleKey(shape: TableShape, alias: string): string {
  const column = shape.key[0]!;
  return `${alias}${quoteIdent(column.name)} ${keyOperator(column, '=')}`;
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
  return `${partitionOf(shape, count)} OPERATOR(pg_catalog.=) ${index}`;
}

/** The partition of a row's key, `keyPartition`'s, as an SQL expression over the table's key columns. */
export function partitionOf(shape: TableShape, count: number): string {
  // every function and operator named with its schema (see keyOperator): a smallint key's `% 8` has no
  // exact match in pg_catalog, and an `%(smallint, integer)` of someone else's would be taken
  const md5Partition = (input: string) => `('x' OPERATOR(pg_catalog.||) pg_catalog.substr(pg_catalog.md5(pg_catalog.convert_to(${input}, 'UTF8')), 1, 8))::bit(32)::bigint OPERATOR(pg_catalog.%) ${count}`;
  const parts = shape.key.map((column) => `${canonicalPart(column)}::text`);
  if (parts.length > 1) return md5Partition(parts.map((part) => `pg_catalog.octet_length(pg_catalog.convert_to(${part}, 'UTF8'))::text OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) ${part}`).join(' OPERATOR(pg_catalog.||) '));
  const column = shape.key[0]!;
  if (INTEGER_TYPES.has(column.type.toLowerCase())) return `(${quoteIdent(column.name)} OPERATOR(pg_catalog.%) ${count} OPERATOR(pg_catalog.+) ${count}) OPERATOR(pg_catalog.%) ${count}`;
  // any other type: its text may still be an integer (a numeric 5.0, a text '007')
  const text = parts[0]!;
  return `(CASE WHEN ${text} OPERATOR(pg_catalog.~) '^-?[0-9]+$' THEN (pg_catalog.mod(${text}::numeric, ${count}) OPERATOR(pg_catalog.+) ${count}) OPERATOR(pg_catalog.%) ${count} ELSE ${md5Partition(text)} END)`;
}

const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint', 'int2', 'int4', 'int8']);

/** The SQL of `keyPartCanonicalizer`: one text per key value for the types whose output has several. */
export function canonicalPart(column: ColumnInfo): string {
  const name = quoteIdent(column.name);
  const kind = keyPartKind(column.type);
  if (kind === 'numeric') return `pg_catalog.trim_scale(${name})`;
  if (kind === 'float') return `(CASE WHEN ${name} OPERATOR(pg_catalog.=) 0 THEN 0 ELSE ${name} END)`;
  return name;
}
