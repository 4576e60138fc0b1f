/**
 * PostgreSQL's array text output (`array_out`), parsed into nested JavaScript arrays of element texts:
 * `{1,2,NULL}`, `{"a b","say \"hi\"",NULL,"NULL"}`, `{{1,2},{3,4}}`, `[0:1]={7,8}`, `{}`.
 *
 * Rules (as `array_in` reads them): elements are separated by the type's delimiter (a comma for every
 * type but `box`, which uses a semicolon); an element is double-quoted when it is empty, contains the
 * delimiter, braces, quotes, backslashes or white space, or spells NULL; inside quotes and outside,
 * a backslash makes the next character literal; an unquoted `NULL` (any case) is the SQL null, a quoted
 * one the text `NULL`; white space around unquoted elements is not part of them. A leading dimension
 * decoration (`[1:2][0:1]=`), printed when a lower bound is not 1, is skipped: the bounds are lost.
 */

/** An element's text (`null` for SQL NULL), or a nested array for a further dimension. */
export type PgArrayItem = string | null | PgArrayItem[];

export class PgArrayParseError extends SyntaxError {
  constructor(text: string, position: number, problem: string) {
    super(`Not a PostgreSQL array (${problem} at position ${position}): ${text.length > 80 ? `${text.slice(0, 77)}...` : text}`);
    this.name = 'PgArrayParseError';
  }
}

export function parsePgArray(text: string, delimiter = ','): PgArrayItem[] {
  let pos = 0;
  const fail = (problem: string): never => { throw new PgArrayParseError(text, pos, problem); };
  const skipSpace = (): void => { while (pos < text.length && isSpace(text[pos]!)) pos++; };

  skipSpace();
  if (text[pos] === '[') {
    // dimension decoration: [lo:hi][lo:hi]...=
    const equals = text.indexOf('=', pos);
    if (equals === -1 || !/^(\[\s*-?\d+\s*:\s*-?\d+\s*\]\s*)+$/.test(text.slice(pos, equals))) fail('bad dimension decoration');
    pos = equals + 1;
    skipSpace();
  }

  const parseArray = (): PgArrayItem[] => {
    if (text[pos] !== '{') fail('expected "{"');
    pos++;
    const items: PgArrayItem[] = [];
    skipSpace();
    if (text[pos] === '}') { pos++; return items; }
    for (;;) {
      skipSpace();
      if (text[pos] === '{') items.push(parseArray());
      else if (text[pos] === '"') items.push(parseQuoted());
      else items.push(parseUnquoted());
      skipSpace();
      const ch = text[pos];
      if (ch === delimiter) { pos++; continue; }
      if (ch === '}') { pos++; return items; }
      return fail(ch === undefined ? 'unexpected end' : `unexpected "${ch}"`);
    }
  };

  const parseQuoted = (): string => {
    pos++; // opening quote
    let value = '';
    for (;;) {
      const ch = text[pos];
      if (ch === undefined) return fail('unterminated quoted element');
      pos++;
      if (ch === '"') return value;
      if (ch === '\\') {
        const next = text[pos];
        if (next === undefined) return fail('backslash at end');
        value += next;
        pos++;
      } else value += ch;
    }
  };

  const parseUnquoted = (): string | null => {
    let value = '';
    // trailing white space is dropped unless it was escaped
    let keep = 0;
    let escaped = false;
    for (;;) {
      const ch = text[pos];
      if (ch === undefined) return fail('unexpected end');
      if (ch === delimiter || ch === '}') break;
      if (ch === '{' || ch === '"') return fail(`unexpected "${ch}"`);
      pos++;
      if (ch === '\\') {
        const next = text[pos];
        if (next === undefined) return fail('backslash at end');
        value += next;
        pos++;
        keep = value.length;
        escaped = true;
      } else {
        value += ch;
        if (!isSpace(ch)) keep = value.length;
      }
    }
    value = value.slice(0, keep);
    if (value.length === 0) return fail('empty element');
    if (!escaped && value.toUpperCase() === 'NULL') return null;
    return value;
  };

  const result = parseArray();
  skipSpace();
  if (pos !== text.length) fail('text after the array');
  return result;
}

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\v' || ch === '\f';
}
