import { describe, expect, it } from 'vitest';
import { parsePgArray, PgArrayParseError } from '../src/pg-array.js';

describe('parsePgArray: PostgreSQL array text output', () => {
  it.each([
    ['{}', []],
    ['{1,2,3}', ['1', '2', '3']],
    ['{NULL,null,NuLl}', [null, null, null]],
    ['{"NULL","null"}', ['NULL', 'null']],
    ['{""}', ['']],
    ['{"a b","c,d","e}f","g{h"}', ['a b', 'c,d', 'e}f', 'g{h']],
    ['{"say \\"hi\\"","back\\\\slash"}', ['say "hi"', 'back\\slash']],
    ['{"line\nbreak","tab\there"}', ['line\nbreak', 'tab\there']],
    ['{héllo,"wörld ☃",🦆}', ['héllo', 'wörld ☃', '🦆']],
    ['{{1,2},{3,4}}', [['1', '2'], ['3', '4']]],
    ['{{{1},{2}},{{3},{NULL}}}', [[['1'], ['2']], [['3'], [null]]]],
    ['{{"a","b"},{NULL,"d"}}', [['a', 'b'], [null, 'd']]],
    ['[0:2]={7,8,9}', ['7', '8', '9']],
    ['[1:2][-1:0]={{1,2},{3,4}}', [['1', '2'], ['3', '4']]],
    ['{2024-01-02 03:04:05+00,"2024-01-02 03:04:05+00"}', ['2024-01-02 03:04:05+00', '2024-01-02 03:04:05+00']],
    ['{"\\\\x0102","\\\\xff"}', ['\\x0102', '\\xff']],
    ['{"{\\"a\\": 1}","[1, 2]"}', ['{"a": 1}', '[1, 2]']],
  ])('%s', (text, expected) => {
    expect(parsePgArray(text)).toEqual(expected);
  });

  it('reads what array_in accepts too: white space around elements, escapes outside quotes', () => {
    expect(parsePgArray(' { 1 , 2 ,  3 } ')).toEqual(['1', '2', '3']);
    expect(parsePgArray('{ a b , c }')).toEqual(['a b', 'c']);
    expect(parsePgArray('{a\\,b,c\\"d,\\NULL, x\\ }')).toEqual(['a,b', 'c"d', 'NULL', 'x ']);
    expect(parsePgArray('{ {1,2} , {3,4} }')).toEqual([['1', '2'], ['3', '4']]);
  });

  it('takes another delimiter (box[] uses a semicolon)', () => {
    expect(parsePgArray('{(1,1),(0,0);(2,2),(1,1)}', ';')).toEqual(['(1,1),(0,0)', '(2,2),(1,1)']);
  });

  it.each([
    ['', 'expected "{"'],
    ['1,2', 'expected "{"'],
    ['{1,2', 'unexpected end'],
    ['{"a}', 'unterminated'],
    ['{1,,2}', 'empty element'],
    ['{1}x', 'text after'],
    ['{a"b}', 'unexpected'],
    ['[1:2{1,2}', 'dimension'],
  ])('rejects %j', (text, problem) => {
    expect(() => parsePgArray(text)).toThrow(PgArrayParseError);
    expect(() => parsePgArray(text)).toThrow(problem);
  });
});
