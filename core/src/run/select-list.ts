import { BucardoError } from '@bucardo/plugin-sdk';

/** One item of a custom select list: the column it fills on the target, and whether it is that column as it is. */
export interface SelectItem {
  /** The output column's name, as PostgreSQL spells it (an unquoted name folded to lower case). */
  readonly name: string;
  /** A plain column of the table (`id`, `"Id"`), not an expression. */
  readonly plain: boolean;
}

/** A custom select list (`bucardo add customcols`), read: the list without its SELECT, and its items. */
export interface SelectList {
  readonly list: string;
  readonly items: readonly SelectItem[];
}

const identifier = String.raw`(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")`;
const plainItem = new RegExp(String.raw`^(${identifier})$`);
const aliased = new RegExp(String.raw`\s+as\s+(${identifier})$`, 'i');
/** Words that make a clause more than a select list (its rows must be the table's, key for key). */
const clauseWords = /\b(from|where|group|having|order|limit|offset|union|intersect|except|into|distinct|window)\b/i;

/**
 * Reads `SELECT a, upper(b) AS b, c`: every item is a plain column or an aliased expression (the alias is
 * the target's column), as Bucardo asks; anything past a select list (FROM, WHERE, a second statement) is
 * refused. Quoted names and literals are skipped over, so that `'a, from'` is one value, not two items.
 * Only the text is read here: the source checks the expressions (`SourceSession.selectColumns`).
 */
export function parseSelectList(clause: string, table: string): SelectList {
  const refuse = (why: string, item?: string) => new BucardoError('INVALID_ARGUMENT', `Invalid customcols for table "${table}": ${why}`, { table, item: item ?? clause });
  const match = /^\s*select\s+([\s\S]*?)\s*$/i.exec(clause);
  if (!match || match[1]!.length === 0) throw refuse(`"${clause}" is not a select list (SELECT col, expression AS col, …)`);
  const list = match[1]!;
  const items: string[] = [];
  // The text at parenthesis depth 0, literals and quoted names blanked: clause words are looked for there
  // only, since `extract(year from ts)` or `trim(both ' ' from v)` is one expression, not a FROM clause.
  let topLevel = '';
  let start = 0;
  let depth = 0;
  for (let index = 0; index < list.length; index++) {
    const char = list[index]!;
    if (char === "'" || char === '"') {
      const end = closing(list, index, char);
      if (end < 0) throw refuse(`${char === "'" ? 'a literal' : 'a quoted name'} is not closed`);
      topLevel += ' '.repeat(end - index + 1);
      index = end;
      continue;
    }
    topLevel += depth > 0 || char === '(' || char === ')' ? ' ' : char;
    if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (char === ';') throw refuse('a select list is one statement: ";" is not allowed');
    else if (char === ',' && depth === 0) {
      items.push(list.slice(start, index).trim());
      start = index + 1;
    }
  }
  items.push(list.slice(start).trim());
  const word = clauseWords.exec(topLevel);
  if (word) throw refuse(`only a select list is taken, "${word[1]!.toUpperCase()}" is not allowed (the rows are the table's, key by key)`);
  if (depth !== 0) throw refuse('its parentheses do not match');
  return { list, items: items.map((item) => readItem(item, refuse)) };
}

function readItem(item: string, refuse: (why: string, item?: string) => BucardoError): SelectItem {
  if (item.length === 0) throw refuse('it has an empty item (two commas, or a comma at the end)');
  if (item === '*' || item.endsWith('.*')) throw refuse(`"${item}": name the columns one by one`, item);
  const plain = plainItem.exec(item);
  if (plain) return { name: nameOf(plain[1]!), plain: true };
  const alias = aliased.exec(item);
  if (alias) return { name: nameOf(alias[1]!), plain: false };
  throw refuse(`expression "${item}" needs the name of the column it fills: "${item} AS column"`, item);
}

/** A name as PostgreSQL reads it: quoted as it is, unquoted in lower case. */
function nameOf(text: string): string {
  return text.startsWith('"') ? text.slice(1, -1).replaceAll('""', '"') : text.toLowerCase();
}

/** Where the literal or quoted name opened at `from` ends (a doubled quote stays inside); -1 when it does not. */
function closing(text: string, from: number, quote: string): number {
  for (let index = from + 1; index < text.length; index++) {
    if (text[index] !== quote) continue;
    if (text[index + 1] === quote) index++;
    else return index;
  }
  return -1;
}
