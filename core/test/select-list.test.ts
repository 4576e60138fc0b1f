/** parseSelectList: a custom select list's items and output names, and what is not a select list. */
import { describe, expect, it } from 'vitest';
import { parseSelectList } from '../src/run/select-list.js';

const items = (clause: string) => parseSelectList(clause, 'public.t').items.map((item) => `${item.name}${item.plain ? '' : '*'}`);
const refusal = (clause: string) => {
  try {
    parseSelectList(clause, 'public.t');
  } catch (error) {
    return (error as Error).message.replace('Invalid customcols for table "public.t": ', '');
  }
  return 'accepted';
};

describe('parseSelectList', () => {
  it('reads plain columns and aliased expressions, skipping over literals, quoted names and parentheses', () => {
    expect(items('SELECT a, upper(b) AS b, c')).toEqual(['a', 'b*', 'c']);
    expect(items("select Id, coalesce(x, 'a, from where') as \"Mixed Case\", \"Quoted\"\"Col\"")).toEqual(['id', 'Mixed Case*', 'Quoted"Col']);
    expect(parseSelectList('  SELECT a,b  ', 'public.t').list).toBe('a,b');
  });

  it('refuses what is not a select list, naming the reason', () => {
    expect(refusal('a, b')).toBe('"a, b" is not a select list (SELECT col, expression AS col, …)');
    expect(refusal('SELECT')).toBe('"SELECT" is not a select list (SELECT col, expression AS col, …)');
    expect(refusal('SELECT a FROM t')).toBe('only a select list is taken, "FROM" is not allowed (the rows are the table\'s, key by key)');
    expect(refusal('SELECT a; DROP TABLE t')).toBe('a select list is one statement: ";" is not allowed');
    expect(refusal('SELECT a, b + 1')).toBe('expression "b + 1" needs the name of the column it fills: "b + 1 AS column"');
    expect(refusal('SELECT *')).toBe('"*": name the columns one by one');
    expect(refusal('SELECT a,, b')).toBe('it has an empty item (two commas, or a comma at the end)');
    expect(refusal("SELECT 'a")).toBe('a literal is not closed');
    expect(refusal('SELECT (a AS b')).toBe('its parentheses do not match');
    // a name or literal that holds a keyword is not one
    expect(refusal("SELECT a, 'from' AS \"where\"")).toBe('accepted');
  });

  it('takes FROM and other clause words inside parentheses, as part of an expression', () => {
    expect(items('SELECT id, extract(year from ts) AS y')).toEqual(['id', 'y*']);
    expect(items('SELECT id, substring(v from 1 for 3) AS v')).toEqual(['id', 'v*']);
    expect(items("SELECT id, trim(both ' ' from v) AS v")).toEqual(['id', 'v*']);
    expect(items('SELECT id, overlay(v placing \'x\' from 2) AS v, (extract(epoch from ts)) AS e')).toEqual(['id', 'v*', 'e*']);
    // the same word after the parentheses close is a clause again
    expect(refusal('SELECT id, upper(v) AS v FROM t')).toBe('only a select list is taken, "FROM" is not allowed (the rows are the table\'s, key by key)');
    expect(refusal('SELECT (a) FROM t')).toBe('only a select list is taken, "FROM" is not allowed (the rows are the table\'s, key by key)');
  });
});
