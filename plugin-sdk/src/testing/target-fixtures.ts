/**
 * The tables and rows the target conformance kit writes. Every value is the text PostgreSQL prints for
 * it in a Bucardo session (UTC, ISO dates, hex bytea), which is how row images reach every target; the
 * types are spelled as `format_type()` prints them, so a PostgreSQL target's `describeTable` matches.
 */
import { keyMaker, type KeyText } from '../keys.js';
import type { TextValue } from '../copy-text.js';
import type { TableShape } from '../table.js';

function table(name: string, columns: ReadonlyArray<readonly [string, string]>, key: readonly string[]): TableShape {
  const cols = columns.map(([column, type]) => Object.freeze({ name: column, type }));
  return Object.freeze({
    table: Object.freeze({ schema: 'public', name }),
    columns: Object.freeze(cols),
    key: Object.freeze(key.map((column) => cols.find((c) => c.name === column)!)),
    keySource: 'primary key',
  });
}

/** `kit_items`: an integer key and plain columns; the table most scenarios write. */
export const itemsTable: TableShape = table('kit_items', [['id', 'integer'], ['name', 'text'], ['qty', 'integer'], ['price', 'numeric(10,2)']], ['id']);

/** `kit_pairs`: a composite key of text and bigint (a key part beyond 2^53, and parts with quotes, tabs and backslashes). */
export const pairsTable: TableShape = table('kit_pairs', [['region', 'text'], ['seq', 'bigint'], ['note', 'text']], ['region', 'seq']);

/** `kit_awkward`: one column of each awkward type. */
export const awkwardTable: TableShape = table('kit_awkward', [
  ['id', 'integer'], ['t', 'text'], ['b', 'bytea'], ['n', 'numeric'], ['ts', 'timestamp with time zone'],
  ['j', 'jsonb'], ['ia', 'integer[]'], ['ta', 'text[]'],
], ['id']);

/** Every table the kit writes, in the order it creates them. */
export const conformanceTables: readonly TableShape[] = Object.freeze([itemsTable, pairsTable, awkwardTable]);

/**
 * `CREATE TABLE` statements for the kit's tables, for targets that need them to exist (a PostgreSQL target,
 * or the database a flat file is replayed into). Identifiers are double-quoted.
 */
export function postgresDdl(tables: readonly TableShape[] = conformanceTables): string {
  const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
  return tables.map((shape) => {
    const columns = shape.columns.map((column) => `${quote(column.name)} ${column.type}`);
    const key = shape.key.map((column) => quote(column.name)).join(', ');
    return `CREATE TABLE ${quote(shape.table.schema)}.${quote(shape.table.name)} (${columns.join(', ')}, PRIMARY KEY (${key}));\n`;
  }).join('');
}

/**
 * `ALTER TABLE … ADD COLUMN` statements that make a PostgreSQL table of shape `from` have the columns of
 * `to` (the kit's shape changes only add columns; each goes at the end, as PostgreSQL adds it).
 */
export function postgresAddColumnsDdl(from: TableShape, to: TableShape): string {
  const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
  const added = to.columns.filter((column) => !from.columns.some((c) => c.name === column.name));
  if (added.length === 0) return '';
  return `ALTER TABLE ${quote(to.table.schema)}.${quote(to.table.name)} ${added.map((column) => `ADD COLUMN ${quote(column.name)} ${column.type}`).join(', ')};\n`;
}

/** A row of `kit_items`. */
export function item(id: number, name: string | null = `item ${id}`, qty: number | null = id * 10, price: string | null = `${id}.50`): TextValue[] {
  return [String(id), name, qty === null ? null : String(qty), price];
}

/** Rows of `kit_items` with ids `from` to `to`, named by `name` if given. */
export function items(from: number, to: number, name?: (id: number) => string): TextValue[][] {
  const rows: TextValue[][] = [];
  for (let id = from; id <= to; id++) rows.push(name ? item(id, name(id)) : item(id));
  return rows;
}

/** Keys of `kit_items`. */
export const itemKeys = (...ids: number[]): KeyText[] => ids.map(String);

/** Rows of `kit_pairs`: keys that share a first part, a bigint beyond 2^53, and awkward text parts. */
export const pairRows: readonly (readonly TextValue[])[] = Object.freeze([
  ['north', '1', 'n1'],
  ['north', '2', 'n2'],
  ['south', '1', 's1'],
  ["o'ne\\il", '1', 'quote and backslash in the key'],
  ['tab\there', '9007199254740993', 'beyond 2^53'],
  ['', '-1', 'empty text part'],
]);

/**
 * Rows of `kit_awkward`: quotes, backslashes, `\N` as text, newlines, carriage returns, tabs, control
 * characters, NULL next to empty strings and the word NULL, non-ASCII, bytea, numeric with its scale, NaN,
 * timestamptz with microseconds and infinity, jsonb (in PostgreSQL's output form: keys sorted, `": "`
 * spacing), JSON null, and arrays with NULL, quoted and empty elements.
 */
export const awkwardRows: readonly (readonly TextValue[])[] = Object.freeze([
  ['1', 'it\'s a "quote"', '\\x00ff5c0a0d09', '1.50', '2024-02-29 23:59:59.123456+00',
    '{"a": [1, "x\\\\y", null], "q": "say \\"hi\\""}', '{1,NULL,3}', '{"a\\"b",NULL,"c,d","NULL","","back\\\\slash"}'],
  ['2', '\\N', '\\x5c4e', '-0.000100', '1970-01-01 00:00:00+00', '{"é": "é \\" \\\\", "nested": {"k": [[], {}, ""]}}', '{}', '{}'],
  ['3', 'line1\nline2\r\nend\ttab\\', null, null, null, null, null, null],
  ['4', 'ünïcødé – 日本語 🐘', '\\x', 'NaN', 'infinity', 'null', '{-2147483648,2147483647}', '{"tab\there","new\nline"}'],
  ['5', '', '\\x00', '12345678901234567890.123456789', '1999-12-31 23:59:59.999999+00', '[]', '{NULL}', '{NULL,"",ü}'],
  ['6', 'NULL', null, '0', '-infinity', '{"": 0, "sp ace": "\\t"}', null, '{"{}","a b"}'],
  ['7', '\u0001\u001f\u007f\'; DROP TABLE kit_awkward; --', '\\xdeadbeef', '-0.00000000000000000001', '2000-02-29 12:00:00.5+00', '"just a string"', '{0}', '{"\\\\N"}'],
  ['8', null, null, null, null, null, null, null],
]);

/** The key of a row of `kit_pairs`. */
export const pairKey = (region: string, seq: string): KeyText => keyOf(pairsTable, [region, seq, null]);

/** The canonical key of a row of `shape` (as the core makes keys: numeric `1.50` and `1.5` are one key). */
export function keyOf(shape: TableShape, row: readonly TextValue[]): KeyText {
  const make = keyMaker(shape.key.map((column) => column.type));
  return make(shape.key.map((keyColumn) => row[shape.columns.findIndex((column) => column.name === keyColumn.name)] ?? ''));
}
