import { createHash } from 'node:crypto';

/**
 * A row's key travels as text: each key column in its PostgreSQL text output form, which every type has
 * and which round-trips exactly through the type's input function. A composite key joins its parts with
 * NUL, a character that PostgreSQL text can never contain.
 */
export type KeyText = string;

const SEPARATOR = '\u0000';

/** A key from its parts (key columns' text values, in key order). */
export function encodeKey(parts: readonly string[]): KeyText {
  return parts.length === 1 ? parts[0]! : parts.join(SEPARATOR);
}

/** The parts of a key of a table whose key has `columnCount` columns. */
export function decodeKey(key: KeyText, columnCount: number): string[] {
  return columnCount === 1 ? [key] : key.split(SEPARATOR);
}

/** The parts of any key, one for a one-column key (where the key's width is not at hand). */
export function keyParts(key: KeyText): string[] {
  return key.split(SEPARATOR);
}

/**
 * A key for people to read: `42`, or `(1, abc)` for a composite key. A part that would read ambiguously
 * (empty, with a comma, a parenthesis, a quote, a backslash, a control character, or blanks at either end:
 * `(ap, 2, 5)` could be three parts or two), or the text NULL, is an SQL string literal: `('ap, 2', 5)`,
 * `('', 1)`, `('NULL', 4)`, `E'two\nlines'`.
 */
export function displayKey(key: KeyText): string {
  const parts = keyParts(key).map(displayPart);
  return parts.length === 1 ? parts[0]! : `(${parts.join(', ')})`;
}

const AMBIGUOUS = /^$|^\s|\s$|[,()'"\\\u0000-\u001f\u007f]/;

function displayPart(part: string): string {
  // the text NULL is not SQL's NULL, which a key never holds
  if (!AMBIGUOUS.test(part) && part.toUpperCase() !== 'NULL') return part;
  return textLiteral(part);
}

/**
 * A text as an SQL string literal that stays on one line: `'o''ne'`, or `E'two\nlines'` where it holds a
 * backslash or a control character.
 */
export function textLiteral(text: string): string {
  const quoted = text.replace(/'/g, "''");
  if (!/[\\\u0000-\u001f\u007f]/.test(text)) return `'${quoted}'`;
  const escaped = quoted.replace(/\\/g, '\\\\').replace(/[\u0000-\u001f\u007f]/g, (ch) => CONTROL[ch] ?? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `E'${escaped}'`;
}

const CONTROL: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/**
 * Two spellings of one key value must make one key: PostgreSQL compares `numeric` by value (1.50 = 1.5)
 * and floats treat -0 as 0, while their text outputs differ. Returns the function that brings a key
 * column's text to one form, or undefined for types whose text output is already unique per value.
 */
export function keyPartCanonicalizer(type: string): ((text: string) => string) | undefined {
  const kind = keyPartKind(type);
  if (kind === 'numeric') return canonicalNumeric;
  if (kind === 'float') return (text) => (text === '-0' ? '0' : text);
  return undefined;
}

/**
 * Which key column types print one value several ways: `numeric` (scale), `float` (-0), or undefined. For
 * drivers that canonicalize in their own query language, as `keyPartCanonicalizer` does in JS.
 */
export function keyPartKind(type: string): 'numeric' | 'float' | undefined {
  // an array prints as {…}: its elements keep their spellings, and `numeric(10,2)[]` is no numeric
  if (type.trim().endsWith(']')) return undefined;
  const base = type.replace(/\(.*$/, '').trim().toLowerCase();
  if (base === 'numeric' || base === 'decimal') return 'numeric';
  if (base === 'real' || base === 'double precision' || base === 'float4' || base === 'float8') return 'float';
  return undefined;
}

function canonicalNumeric(text: string): string {
  if (!text.includes('.')) return text === '-0' ? '0' : text;
  const trimmed = text.replace(/0+$/, '').replace(/\.$/, '');
  return trimmed === '-0' ? '0' : trimmed;
}

/** Builds the canonical key of a table's rows from their key columns' text values, in key order. */
export function keyMaker(keyTypes: readonly string[]): (parts: readonly string[]) => KeyText {
  const canonicalizers = keyTypes.map(keyPartCanonicalizer);
  if (canonicalizers.every((c) => c === undefined)) return (parts) => encodeKey(parts);
  return (parts) => encodeKey(parts.map((part, index) => canonicalizers[index]?.(part) ?? part));
}

/**
 * The partition (0 … count-1) of a key when a large backlog is captured in parts. Every source of a sync
 * must put a key in the same partition, whatever its type, or a key changed on two sources would be
 * settled twice (once per partition) instead of as a conflict; so the function is defined here, on the
 * canonical key text, and a driver that filters in its own query language must compute exactly this:
 *
 * - a one-column key whose text is a decimal integer (`-?[0-9]+`, any length): the integer modulo `count`,
 *   taken non-negative (the common serial and bigint keys, for which the server then needs no hash);
 * - any other key: the first 32 bits (big-endian) of the MD5 of the hash input, modulo `count`. The hash
 *   input is the key's UTF-8 bytes for a one-column key; for a composite key, each part as
 *   `<UTF-8 byte length>:<part>`, concatenated (NUL, the separator in `KeyText`, cannot be written in
 *   PostgreSQL text).
 */
export function keyPartition(key: KeyText, columnCount: number, count: number): number {
  if (count <= 1) return 0;
  if (columnCount === 1 && INTEGER.test(key)) {
    // exact in a double up to 15 digits; beyond, BigInt
    if (key.length <= 15) return ((Number(key) % count) + count) % count;
    const big = BigInt(count);
    return Number(((BigInt(key) % big) + big) % big);
  }
  const input = columnCount === 1 ? key : decodeKey(key, columnCount).map((part) => `${Buffer.byteLength(part, 'utf8')}:${part}`).join('');
  return createHash('md5').update(input, 'utf8').digest().readUInt32BE(0) % count;
}

const INTEGER = /^-?[0-9]+$/;
