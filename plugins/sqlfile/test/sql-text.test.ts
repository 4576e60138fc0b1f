/**
 * The SQL text of a flat file: identifier and literal quoting, DELETE chunks by key (single and
 * composite), INSERT chunks with typed literals, and the COPY block's first line. The literals are also
 * read back by the real PostgreSQL server, with standard_conforming_strings on and off.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encodeKey, type TableShape } from '@bucardo/plugin-sdk';
import { serverFromInfo } from '@bucardo/test';
import { copyStatement, deleteStatements, fileHeader, insertStatements, quoteIdent, quoteLiteral, quoteTable, typedLiteral } from '../src/index.js';
import { commentText, tableComment } from '../src/sql-text.js';
import pg from 'pg';

const shape = (table: { schema: string; name: string }, columns: Array<[string, string]>, key: string[]): TableShape => ({
  table,
  columns: columns.map(([name, type]) => ({ name, type })),
  key: key.map((name) => ({ name, type: columns.find(([column]) => column === name)![1] })),
  keySource: 'primary key',
});

describe('identifiers', () => {
  it('are always double-quoted, with quotes doubled', () => {
    expect(quoteIdent('id')).toBe('"id"');
    expect(quoteIdent('Order Lines')).toBe('"Order Lines"');
    expect(quoteIdent('say "hi"')).toBe('"say ""hi"""');
    expect(quoteIdent('a.b')).toBe('"a.b"');
    expect(quoteTable({ schema: 'My Schema', name: 'T"1' })).toBe('"My Schema"."T""1"');
  });
});

describe('literals', () => {
  it('are plain when they can be, with quotes doubled', () => {
    expect(quoteLiteral('plain')).toBe("'plain'");
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral('')).toBe("''");
    expect(quoteLiteral('ünïcødé 🐘')).toBe("'ünïcødé 🐘'");
    expect(quoteLiteral('"x"')).toBe(`'"x"'`);
  });

  it('are escape strings when they hold backslashes or control characters', () => {
    expect(quoteLiteral('back\\slash')).toBe("E'back\\\\slash'");
    expect(quoteLiteral('new\nline')).toBe("E'new\\nline'");
    expect(quoteLiteral('tab\there')).toBe("E'tab\\there'");
    expect(quoteLiteral('cr\r')).toBe("E'cr\\r'");
    expect(quoteLiteral("it's\\")).toBe("E'it''s\\\\'");
    expect(quoteLiteral('\u0001\u000b\u007f')).toBe("E'\\x01\\x0b\\x7f'");
    // never a raw line break: psql reads each statement from its own lines
    expect(quoteLiteral('a\nb\r\nc')).not.toMatch(/[\r\n]/);
  });

  it('carry their column type, and NULL stays unquoted', () => {
    expect(typedLiteral(null, 'integer')).toBe('NULL');
    expect(typedLiteral('1.50', 'numeric')).toBe("'1.50'::numeric");
    expect(typedLiteral('\\x00ff', 'bytea')).toBe("E'\\\\x00ff'::bytea");
    expect(typedLiteral('{1,NULL}', 'integer[]')).toBe("'{1,NULL}'::integer[]");
    expect(typedLiteral('2024-01-01 00:00:00+00', 'timestamp with time zone')).toBe("'2024-01-01 00:00:00+00'::timestamp with time zone");
    expect(typedLiteral('NULL', 'text')).toBe("'NULL'::text");
  });
});

describe('statements', () => {
  const single = shape({ schema: 'public', name: 't' }, [['id', 'integer'], ['v', 'text']], ['id']);
  const composite = shape({ schema: 'Sales Data', name: 'Order "Lines"' }, [['Order Id', 'numeric'], ['line', 'text'], ['note', 'text']], ['Order Id', 'line']);

  it('delete by one key column with IN, in chunks', () => {
    expect(deleteStatements(single, ['1', '2', '3', '4', '5'], 2)).toEqual([
      `DELETE FROM "public"."t" WHERE "id" IN ('1'::integer, '2'::integer);\n`,
      `DELETE FROM "public"."t" WHERE "id" IN ('3'::integer, '4'::integer);\n`,
      `DELETE FROM "public"."t" WHERE "id" IN ('5'::integer);\n`,
    ]);
    expect(deleteStatements(single, [], 2)).toEqual([]);
  });

  it('delete by a composite key with row constructors, decoding the key parts', () => {
    const keys = [encodeKey(['1.5', "it's"]), encodeKey(['2', 'tab\tnew\nline\\'])];
    expect(deleteStatements(composite, keys, 1000)).toEqual([
      `DELETE FROM "Sales Data"."Order ""Lines""" WHERE ("Order Id", "line") IN (('1.5'::numeric, 'it''s'::text), ('2'::numeric, E'tab\\tnew\\nline\\\\'::text));\n`,
    ]);
  });

  it('insert every value as a typed literal, NULL unquoted, in chunks', () => {
    const rows = [['1', "a'b"], ['2', null], ['3', 'x\\y']];
    expect(insertStatements(single, rows, 2)).toEqual([
      `INSERT INTO "public"."t" ("id", "v") OVERRIDING SYSTEM VALUE VALUES\n('1'::integer, 'a''b'::text),\n('2'::integer, NULL);\n`,
      `INSERT INTO "public"."t" ("id", "v") OVERRIDING SYSTEM VALUE VALUES\n('3'::integer, E'x\\\\y'::text);\n`,
    ]);
    expect(insertStatements(single, [], 2)).toEqual([]);
  });

  it('start a COPY block with the quoted table and columns', () => {
    expect(copyStatement(composite)).toBe('COPY "Sales Data"."Order ""Lines""" ("Order Id", "line", "note") FROM stdin;\n');
  });

  it('keep comments on one line', () => {
    expect(commentText('a\nb\rc')).toBe('a?b?c');
    const odd = shape({ schema: 'public', name: 'new\nline' }, [['id', 'integer']], ['id']);
    expect(tableComment(odd, 1, 2)).toBe('-- public."new?line": 1 key deleted, 2 rows written\n');
    const header = fileHeader({ sync: 's1', runId: '42', startedAt: new Date('2024-05-06T07:08:09.010Z') }, 'sql', 'f1');
    expect(header.split('\n').slice(0, 3)).toEqual([
      '-- Bucardo flat file: sync s1, run 42, started 2024-05-06T07:08:09.010Z',
      '-- database f1, format sql; replay the files in run order with: psql -X -v ON_ERROR_STOP=1 -f FILE',
      'BEGIN;',
    ]);
  });
});

describe('literals read back by PostgreSQL', () => {
  const server = serverFromInfo(inject('pg'));
  const values = [
    "it's", 'say "hi"', 'back\\slash', 'trailing\\', '\\N', '\\x41', 'tab\there', 'new\nline', 'cr\rhere', 'crlf\r\nend',
    '\u0001\u0002\u001f\u007f', 'ünïcødé – 日本語 🐘', '', ' ', "'; DROP TABLE t; --", 'E\'x\'', '$$', ':var', ':"var"', '\\\\\\',
  ];
  let client: pg.Client | undefined;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: server.url() });
    await client.connect();
  });
  afterAll(() => client?.end());

  for (const conforming of ['on', 'off']) {
    it(`text values come back exactly (standard_conforming_strings = ${conforming})`, async () => {
      await client!.query(`SET standard_conforming_strings = ${conforming}`);
      for (const value of values) {
        const result = await client!.query<{ v: string }>(`SELECT ${typedLiteral(value, 'text')} AS v`);
        expect(result.rows[0]!.v, JSON.stringify(value)).toBe(value);
      }
    });
  }

  it('typed values come back as the same text', async () => {
    await client!.query("SET standard_conforming_strings = on; SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET bytea_output = 'hex'; SET extra_float_digits = 3");
    const typed: Array<[string, string]> = [
      ['\\x00ff5c27', 'bytea'], ['\\x', 'bytea'], ['1.50', 'numeric'], ['NaN', 'numeric'], ['-0.0001', 'numeric(10,4)'],
      ['2024-02-29 23:59:59.999999+00', 'timestamp with time zone'], ['0044-03-15 12:00:00+00 BC', 'timestamp with time zone'],
      ['{"a": "x\\"y", "b": [1, null]}', 'jsonb'], ['{1,NULL,3}', 'integer[]'], ['{"a\\"b",NULL,"c,d","NULL"}', 'text[]'],
      ['1 year 2 mons 3 days 04:05:06.789', 'interval'], ['0.1', 'double precision'], ['true', 'boolean'], ['ab c', 'character varying(5)'], ['1234567890', 'bigint'],
    ];
    for (const [value, type] of typed) {
      const result = await client!.query<{ v: string }>(`SELECT (${typedLiteral(value, type)})::text AS v`);
      expect(result.rows[0]!.v, `${value} as ${type}`).toBe(value);
    }
  });
});
