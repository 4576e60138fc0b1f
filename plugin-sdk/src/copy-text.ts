/**
 * PostgreSQL's COPY text format, the wire form of row images: one line per row, columns separated by
 * tabs, NULL written `\N`, and backslash escapes for backslash, newline, carriage return, tab and friends.
 * It is lossless for every type (each value is the type's text output), and PostgreSQL targets take it
 * as is, so the core moves row images in this form and decodes them only when someone asks.
 */

export type TextValue = string | null;

const BACKSLASH = 0x5c;
const TAB = 0x09;
const NEWLINE = 0x0a;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Splits a buffer of COPY text into the byte ranges of its lines (without the newline). */
export function copyLineRanges(data: Uint8Array): Array<[start: number, end: number]> {
  const ends = copyLineEnds(data);
  return Array.from(ends, (end, line): [number, number] => [line === 0 ? 0 : ends[line - 1]! + 1, end]);
}

/**
 * Where each line of a buffer of COPY text ends (the offset of its newline, or the buffer's end): the
 * compact form of `copyLineRanges`, a number per row instead of an array per row.
 */
export function copyLineEnds(data: Uint8Array): Uint32Array {
  let count = 0;
  for (let i = data.indexOf(NEWLINE); i !== -1; i = data.indexOf(NEWLINE, i + 1)) count++;
  const unterminated = data.length > 0 && data[data.length - 1] !== NEWLINE;
  const ends = new Uint32Array(count + (unterminated ? 1 : 0));
  let line = 0;
  for (let i = data.indexOf(NEWLINE); i !== -1; i = data.indexOf(NEWLINE, i + 1)) ends[line++] = i;
  if (unterminated) ends[line] = data.length;
  return ends;
}

/** Decodes one COPY text line into its values. */
export function parseCopyLine(line: Uint8Array): TextValue[] {
  const values: TextValue[] = [];
  let fieldStart = 0;
  for (let i = 0; i <= line.length; i++) {
    if (i === line.length || line[i] === TAB) {
      values.push(decodeField(line.subarray(fieldStart, i)));
      fieldStart = i + 1;
    }
  }
  return values;
}

function decodeField(field: Uint8Array): TextValue {
  if (field.length === 2 && field[0] === BACKSLASH && field[1] === 0x4e /* N */) return null;
  if (!field.includes(BACKSLASH)) return decoder.decode(field);
  const out: number[] = [];
  for (let i = 0; i < field.length; i++) {
    const byte = field[i]!;
    if (byte !== BACKSLASH || i + 1 === field.length) { out.push(byte); continue; }
    const next = field[++i]!;
    switch (next) {
      case 0x62: out.push(0x08); break; // \b
      case 0x66: out.push(0x0c); break; // \f
      case 0x6e: out.push(0x0a); break; // \n
      case 0x72: out.push(0x0d); break; // \r
      case 0x74: out.push(0x09); break; // \t
      case 0x76: out.push(0x0b); break; // \v
      case 0x78: { // \xHH
        let value = 0;
        let digits = 0;
        while (digits < 2 && i + 1 < field.length && isHex(field[i + 1]!)) { value = value * 16 + hexValue(field[++i]!); digits++; }
        out.push(digits === 0 ? 0x78 : value);
        break;
      }
      default:
        if (next >= 0x30 && next <= 0x37) { // \ooo
          let value = next - 0x30;
          for (let digits = 1; digits < 3 && i + 1 < field.length && field[i + 1]! >= 0x30 && field[i + 1]! <= 0x37; digits++) {
            value = value * 8 + (field[++i]! - 0x30);
          }
          out.push(value & 0xff);
        } else out.push(next);
    }
  }
  return decoder.decode(Uint8Array.from(out));
}

const isHex = (b: number) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
const hexValue = (b: number) => (b <= 0x39 ? b - 0x30 : (b | 0x20) - 0x61 + 10);

/** Encodes values as one COPY text line, newline included. */
export function encodeCopyLine(values: readonly TextValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += '\t';
    const value = values[i];
    line += value === null || value === undefined ? '\\N' : escapeField(value);
  }
  return line + '\n';
}

const needsEscape = /[\\\n\r\t\b\f\v]/;
const escapes: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\v': '\\v' };

function escapeField(value: string): string {
  return needsEscape.test(value) ? value.replace(/[\\\n\r\t\b\f\v]/g, (ch) => escapes[ch]!) : value;
}

/** Encodes rows as COPY text, one line each, as UTF-8 bytes. */
export function encodeCopyLines(rows: Iterable<readonly TextValue[]>): Uint8Array {
  let text = '';
  for (const row of rows) text += encodeCopyLine(row);
  return encoder.encode(text);
}

const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * Addition of two numbers in PostgreSQL's text form, for additive columns: exact for integers and numeric
 * (JavaScript numbers would round large sums); `real` and `double precision` values (`1.5e-07`, `1e+20`),
 * `NaN` and `±Infinity` are added as floats, as PostgreSQL adds them. Anything else is a TypeError naming it.
 */
export function addDecimal(a: string, b: string): string {
  if (!PLAIN_DECIMAL.test(a) || !PLAIN_DECIMAL.test(b)) return addFloat(a, b);
  const [ai, af = ''] = a.split('.');
  const [bi, bf = ''] = b.split('.');
  const scale = Math.max(af.length, bf.length);
  const scaled = (integer: string, fraction: string) => {
    const negative = integer.startsWith('-');
    const digits = BigInt(`${integer.replace('-', '') || '0'}${fraction.padEnd(scale, '0')}`);
    return negative ? -digits : digits;
  };
  const sum = scaled(ai!, af) + scaled(bi!, bf);
  if (scale === 0) return sum.toString();
  const negative = sum < 0n;
  const digits = (negative ? -sum : sum).toString().padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

const FLOAT_TEXT = /^(-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?|NaN|-?Infinity)$/;

function addFloat(a: string, b: string): string {
  for (const value of [a, b]) if (!FLOAT_TEXT.test(value)) throw new TypeError(`addDecimal: "${value}" is not a number`);
  const sum = Number(a) + Number(b);
  return Number.isNaN(sum) ? 'NaN' : sum === Infinity ? 'Infinity' : sum === -Infinity ? '-Infinity' : String(sum);
}
