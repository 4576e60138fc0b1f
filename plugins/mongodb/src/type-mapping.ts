/**
 * PostgreSQL text output → BSON values, by the column's type as `format_type()` prints it
 * (`integer`, `numeric(10,2)`, `timestamp(3) with time zone`, `character varying(20)[]`).
 *
 * Row images reach targets as each type's text output, read by sessions set to UTC, ISO dates, hex
 * bytea and full float precision (see the PostgreSQL plugin); every converter here takes that text.
 * A type that is not listed keeps its text (a string), as do values a BSON type cannot hold exactly
 * (numerics over 34 digits, infinite timestamps and dates, years out of JavaScript's Date range).
 */
import { Binary, Decimal128, Double, Long, UUID } from 'mongodb';
import { parsePgArray, type PgArrayItem } from './pg-array.js';

/** Converts one non-null text value. */
export type Converter = (text: string) => unknown;

/** What kind of BSON value a PostgreSQL base type becomes (for the README table and the tests). */
export type MappedKind =
  | 'int' | 'bigint' | 'decimal' | 'double' | 'boolean' | 'string'
  | 'timestamptz' | 'timestamp' | 'date' | 'binary' | 'uuid' | 'json';

const kinds: Readonly<Record<string, MappedKind>> = Object.freeze({
  smallint: 'int', integer: 'int', int: 'int', int2: 'int', int4: 'int',
  bigint: 'bigint', int8: 'bigint',
  numeric: 'decimal', decimal: 'decimal',
  real: 'double', 'double precision': 'double', float4: 'double', float8: 'double',
  boolean: 'boolean', bool: 'boolean',
  text: 'string', 'character varying': 'string', varchar: 'string', character: 'string', char: 'string', bpchar: 'string', name: 'string', citext: 'string',
  'timestamp with time zone': 'timestamptz', timestamptz: 'timestamptz',
  'timestamp without time zone': 'timestamp', timestamp: 'timestamp',
  date: 'date',
  bytea: 'binary',
  uuid: 'uuid',
  json: 'json', jsonb: 'json',
});

/** A type name without modifiers and array brackets, in lower case, and its number of `[]`. */
export function baseType(type: string): { base: string; array: boolean } {
  let text = type.trim().toLowerCase();
  let array = false;
  while (text.endsWith('[]')) {
    array = true;
    text = text.slice(0, -2).trimEnd();
  }
  text = text.replace(/\([^)]*\)/g, '').replace(/\s+/g, ' ').trim();
  return { base: text, array };
}

/** The kind of value a column type maps to; arrays map their elements. */
export function mappedKind(type: string): MappedKind {
  return kinds[baseType(type).base] ?? 'string';
}

const TWO_53 = 2n ** 53n;

const scalarConverters: Readonly<Record<MappedKind, Converter>> = Object.freeze({
  int: (text) => toFiniteInteger(text),
  bigint: (text) => {
    const value = BigInt(text.trim());
    return value <= TWO_53 && value >= -TWO_53 ? Number(value) : Long.fromBigInt(value);
  },
  decimal: (text) => {
    try {
      return Decimal128.fromString(text);
    } catch {
      return text; // more than 34 significant digits: Decimal128 would round, so the exact text is kept
    }
  },
  // a BSON double even when the value is whole (a bare JavaScript number 1 would be stored as int32)
  double: (text) => new Double(Number(text)),
  boolean: (text) => {
    if (text === 't' || text === 'true') return true;
    if (text === 'f' || text === 'false') return false;
    throw new TypeError(`"${text}" is not a boolean`);
  },
  string: (text) => text,
  timestamptz: (text) => parseTimestamp(text, true) ?? text,
  timestamp: (text) => parseTimestamp(text, false) ?? text,
  date: (text) => parseDate(text) ?? text,
  binary: (text) => new Binary(parseBytea(text)),
  uuid: (text) => new UUID(text),
  json: (text) => JSON.parse(text) as unknown,
});

const cache = new Map<string, Converter>();

/** The converter for a column type (cached per type name). */
export function converterFor(type: string): Converter {
  let converter = cache.get(type);
  if (!converter) {
    const { base, array } = baseType(type);
    const scalar = scalarConverters[kinds[base] ?? 'string'];
    converter = array ? arrayConverter(scalar, base === 'box' ? ';' : ',') : scalar;
    cache.set(type, converter);
  }
  return converter;
}

/** Converts one text value of a column of this type; NULL stays null. */
export function convertValue(type: string, text: string | null): unknown {
  return text === null ? null : converterFor(type)(text);
}

function arrayConverter(element: Converter, delimiter: string): Converter {
  const convert = (item: PgArrayItem): unknown => {
    if (item === null) return null;
    if (Array.isArray(item)) return item.map(convert);
    return element(item);
  };
  return (text) => parsePgArray(text, delimiter).map(convert);
}

function toFiniteInteger(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || text.trim() === '') throw new TypeError(`"${text}" is not an integer`);
  return value;
}

// 2024-01-02 03:04:05.123456+05:30[:15], years of 4+ digits, optional " BC"
const timestampPattern = /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)?( BC)?$/;
const datePattern = /^(\d{4,})-(\d{2})-(\d{2})( BC)?$/;

/**
 * A timestamp's text as a Date: with time zone, at the offset it was printed with (UTC in Bucardo's
 * sessions); without, read as UTC. Digits below the millisecond are dropped (a Date holds milliseconds).
 * `undefined` for `infinity`, `-infinity` and years a Date cannot hold.
 */
export function parseTimestamp(text: string, withZone: boolean): Date | undefined {
  const match = timestampPattern.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction, sign, oh, om, os, bc] = match;
  if (!withZone && sign !== undefined) return undefined;
  const date = utcDate(Number(y), Number(mo), Number(d), bc !== undefined);
  if (!date) return undefined;
  const millis = fraction === undefined ? 0 : Number(fraction.padEnd(3, '0').slice(0, 3));
  date.setUTCHours(Number(h), Number(mi), Number(s), millis);
  if (sign !== undefined) {
    const offsetSeconds = (Number(oh) * 3600 + Number(om ?? 0) * 60 + Number(os ?? 0)) * (sign === '-' ? -1 : 1);
    date.setTime(date.getTime() - offsetSeconds * 1000);
  }
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A date's text as a Date at midnight UTC; `undefined` for `infinity`, `-infinity` and out-of-range years. */
export function parseDate(text: string): Date | undefined {
  const match = datePattern.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, bc] = match;
  return utcDate(Number(y), Number(mo), Number(d), bc !== undefined);
}

function utcDate(year: number, month: number, day: number, bc: boolean): Date | undefined {
  const date = new Date(0);
  // year N BC is astronomical year 1 - N; setUTCFullYear, unlike Date.UTC, takes years 0-99 as they are
  date.setUTCFullYear(bc ? 1 - year : year, month - 1, day);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** bytea text output: hex (`\x0aff`, what Bucardo's sessions print) or the older escape format. */
export function parseBytea(text: string): Uint8Array {
  if (text.startsWith('\\x')) {
    const hex = text.slice(2);
    if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new TypeError(`"${text.slice(0, 40)}" is not hex bytea`);
    return Uint8Array.from(Buffer.from(hex, 'hex'));
  }
  const bytes: number[] = [];
  const raw = Buffer.from(text, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (byte !== 0x5c) { bytes.push(byte); continue; }
    if (raw[i + 1] === 0x5c) { bytes.push(0x5c); i++; continue; }
    const octal = raw.subarray(i + 1, i + 4).toString('latin1');
    if (!/^[0-3][0-7]{2}$/.test(octal)) throw new TypeError(`"${text.slice(0, 40)}" is not escape-format bytea`);
    bytes.push(parseInt(octal, 8));
    i += 3;
  }
  return Uint8Array.from(bytes);
}
