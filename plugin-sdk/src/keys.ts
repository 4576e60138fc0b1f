/**
 * A row's key travels as text: each key column in its PostgreSQL text output form, which every type has
 * and which round-trips exactly through the type's input function. A composite key joins its parts with
 * NUL, a character that PostgreSQL text can never contain.
 */
export type KeyText = string;

const SEPARATOR = '\u0000';

export function encodeKey(parts: readonly string[]): KeyText {
  return parts.length === 1 ? parts[0]! : parts.join(SEPARATOR);
}

export function decodeKey(key: KeyText, columnCount: number): string[] {
  return columnCount === 1 ? [key] : key.split(SEPARATOR);
}

/** A key for people to read: `42`, or `(1, 'abc')` for a composite key. */
export function displayKey(key: KeyText): string {
  const parts = key.split(SEPARATOR);
  return parts.length === 1 ? parts[0]! : `(${parts.join(', ')})`;
}
