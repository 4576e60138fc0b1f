/**
 * The SQL text of a flat file: identifiers and literals quoted so that PostgreSQL (through psql) reads
 * back exactly the values the source printed. Every statement is on lines of its own and no literal
 * spans a line (control characters are escaped), so psql never mistakes data for a meta-command.
 */
import { decodeKey, formatTable, type KeyText, type RunInfo, type TableRef, type TableShape, type TextValue } from '@bucardo/plugin-sdk';
import type { FileFormat } from './sqlfile-options.js';

/** An identifier, always double-quoted, with `"` doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."table"`. */
export function quoteTable(table: TableRef): string {
  return `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
}

const needsEscapeString = /[\u0000-\u001f\u007f\\]/;
const escapeStringChars = /[\u0000-\u001f\u007f\\']/g;
const escapes: Record<string, string> = { '\\': '\\\\', "'": "''", '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/**
 * A string literal that means `value` whatever `standard_conforming_strings` is: a plain `'…'` (quotes
 * doubled) when the value has no backslash and no control character, else an escape string `E'…'` with
 * backslashes doubled and control characters written `\n`, `\t`, `\xHH`.
 */
export function quoteLiteral(value: string): string {
  if (!needsEscapeString.test(value)) return `'${value.replaceAll("'", "''")}'`;
  return `E'${value.replace(escapeStringChars, (ch) => escapes[ch] ?? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
}

/**
 * A value as a literal of its column's type (`'1.50'::numeric`, `E'\\x00ff'::bytea`), or `NULL`. `type`
 * is the type as `format_type()` prints it, which is valid SQL.
 */
export function typedLiteral(value: TextValue, type: string): string {
  return value === null ? 'NULL' : `${quoteLiteral(value)}::${type}`;
}

/** `("c1", "c2")`. */
export function columnList(shape: TableShape): string {
  return `(${shape.columns.map((column) => quoteIdent(column.name)).join(', ')})`;
}

/**
 * `DELETE FROM "s"."t" WHERE "k" IN (…);` (or `WHERE ("k1", "k2") IN ((…), …)` for a composite key),
 * at most `chunkSize` keys per statement, one statement per line.
 */
export function deleteStatements(shape: TableShape, keys: readonly KeyText[], chunkSize: number): string[] {
  const statements: string[] = [];
  const keyColumns = shape.key;
  const composite = keyColumns.length > 1;
  const target = composite ? `(${keyColumns.map((column) => quoteIdent(column.name)).join(', ')})` : quoteIdent(keyColumns[0]!.name);
  for (let start = 0; start < keys.length; start += chunkSize) {
    const literals = keys.slice(start, start + chunkSize).map((key) => {
      const parts = decodeKey(key, keyColumns.length);
      const values = keyColumns.map((column, index) => typedLiteral(parts[index] ?? '', column.type));
      return composite ? `(${values.join(', ')})` : values[0]!;
    });
    statements.push(`DELETE FROM ${quoteTable(shape.table)} WHERE ${target} IN (${literals.join(', ')});\n`);
  }
  return statements;
}

/**
 * `INSERT INTO "s"."t" ("c1", …) OVERRIDING SYSTEM VALUE VALUES` and one `(…)` line per row, at most
 * `chunkSize` rows per statement. `OVERRIDING SYSTEM VALUE` lets identity columns take the source's
 * values, as COPY does; it changes nothing on a table without one.
 */
export function insertStatements(shape: TableShape, rows: Iterable<readonly TextValue[]>, chunkSize: number): string[] {
  const statements: string[] = [];
  const head = `INSERT INTO ${quoteTable(shape.table)} ${columnList(shape)} OVERRIDING SYSTEM VALUE VALUES\n`;
  const types = shape.columns.map((column) => column.type);
  let lines: string[] = [];
  const flush = () => {
    if (lines.length === 0) return;
    statements.push(`${head}${lines.join(',\n')};\n`);
    lines = [];
  };
  for (const row of rows) {
    lines.push(`(${types.map((type, index) => typedLiteral(row[index] ?? null, type)).join(', ')})`);
    if (lines.length >= chunkSize) flush();
  }
  flush();
  return statements;
}

/** The line that starts a COPY block; the rows' COPY text and a `\.` line follow. */
export function copyStatement(shape: TableShape): string {
  return `COPY ${quoteTable(shape.table)} ${columnList(shape)} FROM stdin;\n`;
}

export const COPY_END = '\\.\n';

/** Text for a `--` comment: control characters (a newline would end the comment) become `?`. */
export function commentText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, '?');
}

/**
 * A table emptied: a comment line, then `DELETE FROM ONLY` every row (ONLY: a replaying database that has
 * children of the table, by inheritance, keeps theirs, as the source read it).
 */
export function emptyingStatements(shape: TableShape): string[] {
  return [`-- ${commentText(formatTable(shape.table))}: every row deleted\n`, `DELETE FROM ONLY ${quoteTable(shape.table)};\n`];
}

/** A comment line naming a table and what follows for it. */
export function tableComment(shape: TableShape, deletes: number, rows: number): string {
  return `-- ${commentText(formatTable(shape.table))}: ${deletes} key${deletes === 1 ? '' : 's'} deleted, ${rows} row${rows === 1 ? '' : 's'} written\n`;
}

/**
 * The session settings the source printed its values under (the PostgreSQL plugin's text-stable
 * settings), local to the file's transaction, so values read back the same in any replaying session.
 */
const SETTINGS: ReadonlyArray<[string, string]> = [
  ['client_encoding', 'UTF8'],
  ['standard_conforming_strings', 'on'],
  ['DateStyle', 'ISO, YMD'],
  ['IntervalStyle', 'postgres'],
  ['TimeZone', 'UTC'],
  // money prints with the source's lc_monetary, which the postgres plugin sets to C (`$1,234.50`): a
  // replaying database under another locale refused it (a walk-through replayed into de_DE)
  ['lc_monetary', 'C'],
];

/** The start of a file: a comment naming the sync, run and time, `BEGIN;` and the settings. */
export function fileHeader(run: RunInfo, format: FileFormat, db: string): string {
  return [
    `-- Bucardo flat file: sync ${commentText(run.sync)}, run ${commentText(run.runId)}, started ${run.startedAt.toISOString()}`,
    `-- database ${commentText(db)}, format ${format}; replay the files in run order with: psql -X -v ON_ERROR_STOP=1 -f FILE`,
    'BEGIN;',
    ...SETTINGS.map(([name, value]) => `SET LOCAL ${name} = '${value}';`),
    '',
  ].join('\n');
}

export const FILE_FOOTER = 'COMMIT;\n';
