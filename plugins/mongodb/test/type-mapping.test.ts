import { Binary, BSON, Decimal128, Double, Int32, Long, UUID } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { baseType, convertValue, mappedKind, parseBytea, parseDate, parseTimestamp } from '../src/type-mapping.js';

/** The value as BSON stores it (every BSON type kept): what a real server would hold. */
function stored(value: unknown): unknown {
  return BSON.deserialize(BSON.serialize({ v: value }), { promoteValues: false, promoteLongs: false }).v;
}

describe('baseType and mappedKind', () => {
  it.each([
    ['integer', 'integer', false, 'int'],
    ['numeric(10,2)', 'numeric', false, 'decimal'],
    ['character varying(20)', 'character varying', false, 'string'],
    ['character varying(20)[]', 'character varying', true, 'string'],
    ['timestamp(3) with time zone', 'timestamp with time zone', false, 'timestamptz'],
    ['timestamp(6) without time zone[]', 'timestamp without time zone', true, 'timestamp'],
    ['Double Precision', 'double precision', false, 'double'],
    ['integer[]', 'integer', true, 'int'],
    ['bit varying(5)', 'bit varying', false, 'string'],
    ['interval', 'interval', false, 'string'],
    ['public.mood', 'public.mood', false, 'string'],
  ])('%s', (type, base, array, kind) => {
    expect(baseType(type)).toEqual({ base, array });
    expect(mappedKind(type)).toBe(kind);
  });
});

describe('integers', () => {
  it('smallint and integer become numbers, stored as int32', () => {
    expect(convertValue('smallint', '-32768')).toBe(-32768);
    expect(convertValue('integer', '2147483647')).toBe(2147483647);
    expect(convertValue('integer', '0')).toBe(0);
    expect(stored(convertValue('integer', '42'))).toEqual(new Int32(42));
  });

  it('bigint is a number up to 2^53 in magnitude, a Long beyond', () => {
    expect(convertValue('bigint', '9007199254740992')).toBe(2 ** 53);
    expect(convertValue('bigint', '-9007199254740992')).toBe(-(2 ** 53));
    expect(convertValue('bigint', '123')).toBe(123);
    expect(convertValue('bigint', '9007199254740993')).toEqual(Long.fromString('9007199254740993'));
    expect(convertValue('bigint', '-9007199254740993')).toEqual(Long.fromString('-9007199254740993'));
    expect(convertValue('bigint', '9223372036854775807')).toEqual(Long.MAX_VALUE);
    expect(convertValue('bigint', '-9223372036854775808')).toEqual(Long.MIN_VALUE);
    expect((convertValue('bigint', '9223372036854775807') as Long).toString()).toBe('9223372036854775807');
    expect(stored(convertValue('bigint', '9223372036854775807'))).toEqual(Long.MAX_VALUE);
  });

  it('rejects text that is not an integer', () => {
    expect(() => convertValue('integer', '1.5')).toThrow('not an integer');
    expect(() => convertValue('integer', '')).toThrow('not an integer');
    expect(() => convertValue('bigint', 'x')).toThrow();
  });
});

describe('numeric', () => {
  it('becomes Decimal128, exactly, scale kept', () => {
    expect(convertValue('numeric(10,2)', '1.50')).toEqual(Decimal128.fromString('1.50'));
    expect((convertValue('numeric(10,2)', '1.50') as Decimal128).toString()).toBe('1.50');
    expect((convertValue('numeric', '-0.000001') as Decimal128).toString()).toBe('-0.000001');
    expect((convertValue('decimal', '1234567890123456789012345678901234') as Decimal128).toString()).toBe('1234567890123456789012345678901234');
    expect((convertValue('numeric', 'NaN') as Decimal128).toString()).toBe('NaN');
    expect((convertValue('numeric', 'Infinity') as Decimal128).toString()).toBe('Infinity');
    expect((convertValue('numeric', '-Infinity') as Decimal128).toString()).toBe('-Infinity');
    expect(stored(convertValue('numeric', '3.14'))).toBeInstanceOf(Decimal128);
  });

  it('keeps the text when Decimal128 would have to round (more than 34 significant digits)', () => {
    expect(convertValue('numeric', '12345678901234567890123456789012345')).toBe('12345678901234567890123456789012345');
    expect(convertValue('numeric', '0.12345678901234567890123456789012345678')).toBe('0.12345678901234567890123456789012345678');
  });
});

describe('floating point', () => {
  it('real and double precision become BSON doubles, NaN and infinities kept', () => {
    expect(convertValue('double precision', '1.5')).toEqual(new Double(1.5));
    expect(convertValue('real', '-0')).toEqual(new Double(-0));
    expect(Object.is((convertValue('real', '-0') as Double).value, -0)).toBe(true);
    expect((convertValue('double precision', 'NaN') as Double).value).toBeNaN();
    expect((convertValue('double precision', 'Infinity') as Double).value).toBe(Infinity);
    expect((convertValue('float8', '-Infinity') as Double).value).toBe(-Infinity);
    expect((convertValue('double precision', '0.30000000000000004') as Double).value).toBe(0.1 + 0.2);
    expect((convertValue('real', '3.4028235e+38') as Double).value).toBe(3.4028235e38);
    expect((convertValue('double precision', '5e-324') as Double).value).toBe(5e-324);
  });

  it('a whole double stays a double in BSON (not an int32)', () => {
    const value = stored(convertValue('double precision', '1'));
    expect(value).toBeInstanceOf(Double);
    expect((stored(convertValue('double precision', 'NaN')) as Double).value).toBeNaN();
  });
});

describe('boolean, text', () => {
  it('t/f become true/false', () => {
    expect(convertValue('boolean', 't')).toBe(true);
    expect(convertValue('boolean', 'f')).toBe(false);
    expect(() => convertValue('boolean', 'maybe')).toThrow('not a boolean');
  });

  it('text types stay strings, exactly (padding, white space, unicode)', () => {
    expect(convertValue('text', '')).toBe('');
    expect(convertValue('character(5)', 'ab   ')).toBe('ab   ');
    expect(convertValue('character varying(20)', ' tab\there\nline \\ "q" \'s\' ')).toBe(' tab\there\nline \\ "q" \'s\' ');
    expect(convertValue('text', 'héllo ☃ 🦆 \u00a0')).toBe('héllo ☃ 🦆 \u00a0');
    expect(convertValue('name', 'pg_class')).toBe('pg_class');
    expect(convertValue('text', 'NULL')).toBe('NULL');
  });

  it('NULL is null for every type', () => {
    for (const type of ['integer', 'text', 'numeric', 'bytea', 'jsonb', 'integer[]', 'timestamp with time zone', 'uuid']) expect(convertValue(type, null)).toBeNull();
  });
});

describe('dates and timestamps', () => {
  it('timestamptz becomes a Date at the instant printed (UTC in Bucardo sessions; offsets honoured)', () => {
    expect(convertValue('timestamp with time zone', '2024-02-29 13:14:15.123456+00')).toEqual(new Date('2024-02-29T13:14:15.123Z'));
    expect(convertValue('timestamp with time zone', '2024-02-29 13:14:15+00')).toEqual(new Date('2024-02-29T13:14:15.000Z'));
    expect(convertValue('timestamptz', '2024-02-29 13:14:15.5+05:30')).toEqual(new Date('2024-02-29T07:44:15.500Z'));
    expect(convertValue('timestamp(0) with time zone', '2024-02-29 13:14:15-08')).toEqual(new Date('2024-02-29T21:14:15.000Z'));
    expect(convertValue('timestamp with time zone', '1883-11-18 12:00:00+00:09:21')).toEqual(new Date(Date.UTC(1883, 10, 18, 11, 50, 39)));
    expect(stored(convertValue('timestamptz', '2024-01-01 00:00:00+00'))).toBeInstanceOf(Date);
  });

  it('digits below the millisecond are dropped (a Date holds milliseconds)', () => {
    expect((convertValue('timestamptz', '2024-01-01 00:00:00.999999+00') as Date).toISOString()).toBe('2024-01-01T00:00:00.999Z');
    expect((convertValue('timestamptz', '2024-01-01 00:00:00.0001+00') as Date).toISOString()).toBe('2024-01-01T00:00:00.000Z');
  });

  it('timestamp without time zone is read as UTC', () => {
    expect(convertValue('timestamp without time zone', '2024-07-01 23:59:59.25')).toEqual(new Date('2024-07-01T23:59:59.250Z'));
    expect(convertValue('timestamp(3) without time zone', '1999-12-31 00:00:00')).toEqual(new Date('1999-12-31T00:00:00Z'));
  });

  it('date becomes a Date at midnight UTC', () => {
    expect(convertValue('date', '2024-02-29')).toEqual(new Date('2024-02-29T00:00:00Z'));
    expect(convertValue('date', '0099-01-01')).toEqual(new Date('0099-01-01T00:00:00Z'));
  });

  it('BC years and years past 9999 are the astronomical year', () => {
    const bc = convertValue('date', '0044-03-15 BC') as Date;
    expect(bc.getUTCFullYear()).toBe(-43);
    expect([bc.getUTCMonth(), bc.getUTCDate()]).toEqual([2, 15]);
    expect((convertValue('timestamptz', '0001-01-01 00:00:00+00 BC') as Date).getUTCFullYear()).toBe(0);
    expect((convertValue('timestamp', '12345-06-07 08:09:10') as Date).toISOString()).toBe('+012345-06-07T08:09:10.000Z');
  });

  it('keeps the text for infinity and years a Date cannot hold', () => {
    expect(convertValue('timestamptz', 'infinity')).toBe('infinity');
    expect(convertValue('timestamp', '-infinity')).toBe('-infinity');
    expect(convertValue('date', 'infinity')).toBe('infinity');
    expect(convertValue('date', '294276-12-31')).toBe('294276-12-31');
    expect(convertValue('date', '4713-01-01 BC')).toEqual(new Date('-004712-01-01T00:00:00Z'));
  });

  it('parses nothing else', () => {
    expect(parseTimestamp('2024-01-01', true)).toBeUndefined();
    expect(parseTimestamp('2024-01-01 00:00:00+00', false)).toBeUndefined();
    expect(parseDate('01/02/2024')).toBeUndefined();
  });
});

describe('bytea, uuid', () => {
  it('hex bytea becomes Binary (subtype 0) with the bytes', () => {
    const value = convertValue('bytea', '\\x00ff0a5c') as Binary;
    expect(value).toBeInstanceOf(Binary);
    expect(value.sub_type).toBe(0);
    expect([...value.buffer]).toEqual([0, 255, 10, 92]);
    expect((convertValue('bytea', '\\x') as Binary).length()).toBe(0);
    expect(() => convertValue('bytea', '\\x0')).toThrow('not hex bytea');
  });

  it('reads escape-format bytea too', () => {
    expect([...parseBytea('a\\\\b\\000\\377')]).toEqual([0x61, 0x5c, 0x62, 0, 255]);
    expect([...parseBytea('é')]).toEqual([0xc3, 0xa9]);
  });

  it('uuid becomes a BSON UUID (Binary subtype 4)', () => {
    const value = convertValue('uuid', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11') as UUID;
    expect(value).toBeInstanceOf(UUID);
    expect(value.sub_type).toBe(4);
    expect(Buffer.from(value.buffer).toString('hex')).toBe('a0eebc999c0b4ef8bb6d6bb9bd380a11');
    expect(value.toHexString()).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect((stored(value) as Binary).sub_type).toBe(4);
  });
});

describe('json and jsonb', () => {
  it('become embedded documents, arrays and scalars', () => {
    expect(convertValue('jsonb', '{"a": 1, "b": [true, null, "x"], "c": {"d": 1.5}}')).toEqual({ a: 1, b: [true, null, 'x'], c: { d: 1.5 } });
    expect(convertValue('json', '[1, 2]')).toEqual([1, 2]);
    expect(convertValue('json', '"text"')).toBe('text');
    expect(convertValue('json', 'null')).toBeNull();
    expect(convertValue('json', '{"b": 1, "a": 2}')).toEqual({ b: 1, a: 2 });
    expect(Object.keys(convertValue('json', '{"b": 1, "a": 2}') as object)).toEqual(['b', 'a']);
    expect(convertValue('jsonb', '{"quote\\"d": "tab\\there", "uni": "\\u2603"}')).toEqual({ 'quote"d': 'tab\there', uni: '☃' });
  });

  it('rejects text that is not JSON', () => {
    expect(() => convertValue('json', '{oops')).toThrow();
  });
});

describe('arrays', () => {
  it('become arrays with elements converted by the element type', () => {
    expect(convertValue('integer[]', '{1,2,NULL,-4}')).toEqual([1, 2, null, -4]);
    expect(convertValue('text[]', '{a,"b c","",NULL,"NULL","say \\"hi\\""}')).toEqual(['a', 'b c', '', null, 'NULL', 'say "hi"']);
    expect(convertValue('integer[]', '{{1,2},{3,4}}')).toEqual([[1, 2], [3, 4]]);
    expect(convertValue('integer[]', '{}')).toEqual([]);
    expect(convertValue('integer[]', '[0:1]={5,6}')).toEqual([5, 6]);
    expect(convertValue('boolean[]', '{t,f,NULL}')).toEqual([true, false, null]);
    expect(convertValue('numeric(5,2)[]', '{1.50,NaN}')).toEqual([Decimal128.fromString('1.50'), Decimal128.fromString('NaN')]);
    expect(convertValue('bigint[]', '{1,9223372036854775807}')).toEqual([1, Long.MAX_VALUE]);
    expect(convertValue('double precision[]', '{1.5,NaN,-Infinity}')).toEqual([new Double(1.5), new Double(NaN), new Double(-Infinity)]);
    expect(convertValue('timestamp with time zone[]', '{"2024-01-01 00:00:00+00",NULL,infinity}')).toEqual([new Date('2024-01-01T00:00:00Z'), null, 'infinity']);
    expect(convertValue('date[]', '{2024-01-02}')).toEqual([new Date('2024-01-02T00:00:00Z')]);
    expect(convertValue('uuid[]', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}')).toEqual([new UUID('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')]);
    expect(convertValue('jsonb[]', '{"{\\"a\\": 1}","[1, 2]",NULL}')).toEqual([{ a: 1 }, [1, 2], null]);
    expect(convertValue('character varying(10)[]', '{"x,y","{z}"}')).toEqual(['x,y', '{z}']);
    expect(convertValue('interval[]', '{"1 day","02:00:00"}')).toEqual(['1 day', '02:00:00']);
    expect(convertValue('box[]', '{(1,1),(0,0);(2,2),(1,1)}')).toEqual(['(1,1),(0,0)', '(2,2),(1,1)']);
  });

  it('bytea arrays: the element text is unescaped before it is decoded', () => {
    const [first, second] = convertValue('bytea[]', '{"\\\\x0102",NULL}') as [Binary, null];
    expect([...first.buffer]).toEqual([1, 2]);
    expect(second).toBeNull();
  });
});

describe('anything else stays the text', () => {
  it.each([
    ['interval', '1 year 2 mons 3 days 04:05:06.5'],
    ['time without time zone', '13:14:15.123456'],
    ['time with time zone', '13:14:15+02'],
    ['money', '$1,234.50'],
    ['inet', '192.168.0.1/24'],
    ['bit varying(5)', '101'],
    ['point', '(1,2)'],
    ['int4range', '[1,5)'],
    ['tsvector', "'a' 'b'"],
    ['xml', '<a>b</a>'],
    ['public.mood', 'happy'],
    ['"char"', 'x'],
  ])('%s', (type, text) => {
    expect(convertValue(type, text)).toBe(text);
  });
});
