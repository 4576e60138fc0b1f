import { describe, expect, it } from 'vitest';
import { BucardoError, SDK_VERSION, classifyConflict, connectionLost, decodeKey, definePlugin, displayKey, encodeKey, formatTable, isBucardoError, isConnectionLost, isRetryable, keyPartKind, parseTableName, retryable, textLiteral, redactUrl, toBucardoError, type PluginHost } from '../src/index.js';

describe('table names', () => {
  it('parses plain, qualified and quoted names', () => {
    expect(parseTableName('orders')).toEqual({ name: 'orders' });
    expect(parseTableName('sales.orders')).toEqual({ schema: 'sales', name: 'orders' });
    expect(parseTableName('"My Schema"."Order ""Lines"".x"')).toEqual({ schema: 'My Schema', name: 'Order "Lines".x' });
    expect(() => parseTableName('a.b.c')).toThrow(SyntaxError);
    expect(() => parseTableName('"open')).toThrow(SyntaxError);
  });

  it('quotes only what needs quoting when displaying', () => {
    expect(formatTable({ schema: 'public', name: 'orders' })).toBe('public.orders');
    expect(formatTable({ schema: 'public', name: 'Order Lines' })).toBe('public."Order Lines"');
  });
});

describe('keys', () => {
  it('encodes composite keys reversibly', () => {
    const key = encodeKey(['1', 'a b', '']);
    expect(decodeKey(key, 3)).toEqual(['1', 'a b', '']);
    expect(displayKey(key)).toBe("(1, a b, '')");
    expect(encodeKey(['42'])).toBe('42');
  });

  it('canonicalizes numeric and float key parts, and no array of them (its elements keep their spellings)', () => {
    expect(keyPartKind('numeric(10,2)')).toBe('numeric');
    expect(keyPartKind('double precision')).toBe('float');
    expect(keyPartKind('numeric(10,2)[]')).toBeUndefined();
    expect(keyPartKind('real[]')).toBeUndefined();
  });

  it('writes a text as an SQL literal on one line', () => {
    expect(textLiteral("o'ne")).toBe("'o''ne'");
    expect(textLiteral('a\tb\\c')).toBe("E'a\\tb\\\\c'");
    expect(textLiteral('bell\u0007')).toBe("E'bell\\x07'");
  });

  it('shows a key part that would read ambiguously as an SQL string literal', () => {
    expect(displayKey(encodeKey(['ap, 2', '5']))).toBe("('ap, 2', 5)");
    expect(displayKey(encodeKey([' ap', '2']))).toBe("(' ap', 2)");
    expect(displayKey(encodeKey(["o'ne", 'x(1)']))).toBe("('o''ne', 'x(1)')");
    expect(displayKey('two\nlines')).toBe("E'two\\nlines'");
    expect(displayKey('back\\slash')).toBe("E'back\\\\slash'");
    expect(displayKey('plain text-1.5')).toBe('plain text-1.5');
    expect(displayKey(encodeKey(['NULL', '4']))).toBe("('NULL', 4)");
    expect(displayKey('null')).toBe("'null'");
    expect(encodeKey(['42'])).toBe('42');
  });
});

describe('errors', () => {
  it('carry a code and the names they are about', () => {
    const error = new BucardoError('TABLE_NO_KEY', 'no key', { table: 'public.t', db: 'a' });
    expect(isBucardoError(error)).toBe(true);
    expect(error.toJSON()).toEqual({ code: 'TABLE_NO_KEY', message: 'no key', table: 'public.t', db: 'a' });
  });

  it('wrap foreign errors and keep their SQLSTATE', () => {
    const pgError = Object.assign(new Error('duplicate key'), { code: '23505' });
    const wrapped = toBucardoError(pgError, 'APPLY_FAILED', { db: 'b' });
    expect(wrapped).toMatchObject({ code: 'APPLY_FAILED', db: 'b', sqlstate: '23505', message: 'duplicate key' });
    expect(wrapped.cause).toBe(pgError);
  });

  it('a foreign key or unique violation keeps the server\'s DETAIL, which names the key; other errors (a check constraint\'s holds the whole row) do not gain it', () => {
    const fk = Object.assign(new Error('insert or update on table "kid" violates foreign key constraint "kid_pid_fkey"'), { code: '23503', detail: 'Key (pid)=(7) is not present in table "par".' });
    expect(toBucardoError(fk, 'APPLY_FAILED').message).toBe('insert or update on table "kid" violates foreign key constraint "kid_pid_fkey" (Key (pid)=(7) is not present in table "par".)');
    const other = Object.assign(new Error('permission denied for table t'), { code: '42501', detail: 'no' });
    expect(toBucardoError(other, 'APPLY_FAILED').message).toBe('permission denied for table t');
    const check = Object.assign(new Error('new row for relation "t" violates check constraint "c"'), { code: '23514', detail: 'Failing row contains (1, secret).' });
    expect(toBucardoError(check, 'APPLY_FAILED').message).toBe('new row for relation "t" violates check constraint "c"');
  });

  it('take the table the server names when the caller names none (a deferred check at commit)', () => {
    const deferred = Object.assign(new Error('insert or update on table "ca" violates foreign key constraint "ca_b"'), { code: '23503', schema: 'public', table: 'ca' });
    expect(toBucardoError(deferred, 'APPLY_FAILED', { db: 'b' })).toMatchObject({ db: 'b', table: 'public.ca' });
    expect(toBucardoError(deferred, 'APPLY_FAILED', { db: 'b', table: 'public.other' })).toMatchObject({ table: 'public.other' });
  });

  it('add missing subject fields to an existing BucardoError without changing its code', () => {
    const error = new BucardoError('FETCH_FAILED', 'x', { db: 'a' });
    expect(toBucardoError(error, 'APPLY_FAILED', { db: 'other', table: 't' })).toMatchObject({ code: 'FETCH_FAILED', db: 'a', table: 't' });
  });
});

describe('definePlugin', () => {
  it('stamps the SDK version, keeps a version the plugin says, and keeps a class instance\'s methods', () => {
    expect(definePlugin({ name: 'plain', apply() {} })).toMatchObject({ name: 'plain', sdk: SDK_VERSION });
    expect(definePlugin({ name: 'own', sdk: 0, apply() {} }).sdk).toBe(0);
    class Counting {
      readonly name = 'counting';
      calls = 0;
      apply(_host: PluginHost): void { this.bump(); }
      bump(): void { this.calls++; }
    }
    const counting = new Counting();
    const defined = definePlugin(counting);
    expect(defined).toBe(counting); // stamped in place: its #private fields, if any, are still there
    expect(defined.sdk).toBe(SDK_VERSION);
    expect(typeof defined.apply).toBe('function');
    defined.apply({} as PluginHost);
    expect(defined.calls).toBe(1);
  });
});

describe('retryable failures', () => {
  it('are seen through the errors that wrap them, and only those marked', () => {
    const race = retryable(Object.assign(new Error('duplicate key'), { code: '23505' }));
    expect(isRetryable(race)).toBe(true);
    expect(isRetryable(toBucardoError(race, 'APPLY_FAILED', { db: 'B' }))).toBe(true);
    expect(isRetryable(new BucardoError('APPLY_FAILED', 'wrapped twice', { cause: new Error('outer', { cause: race }) }))).toBe(true);
    expect(isRetryable(new Error('duplicate key'))).toBe(false);
    expect(isRetryable('a string')).toBe(false);
    expect(Object.keys(race)).toEqual(['code']); // the mark is not a field of the error's JSON
  });
});

describe('lost connections', () => {
  it('are seen through the errors that wrap them, only those marked, and apart from retryable ones', () => {
    const lost = connectionLost(new Error('the socket went away'));
    expect(isConnectionLost(lost)).toBe(true);
    expect(isConnectionLost(toBucardoError(lost, 'APPLY_FAILED', { db: 'B' }))).toBe(true);
    expect(isConnectionLost(new Error('outer', { cause: lost }))).toBe(true);
    expect(isConnectionLost(new Error('the socket went away'))).toBe(false);
    expect(isConnectionLost(retryable(new Error('duplicate key')))).toBe(false);
    expect(isRetryable(lost)).toBe(false);
    expect(Object.keys(lost)).toEqual([]); // the mark is not a field of the error's JSON
  });
});

describe('conflict classification', () => {
  const change = (firstOp: 'insert' | 'update' | 'delete', lastOp: 'insert' | 'update' | 'delete') => ({ firstOp, lastOp, changedAt: 1 });
  it('names the four kinds', () => {
    expect(classifyConflict([{ db: 'a', change: change('insert', 'insert') }, { db: 'b', change: change('insert', 'update') }])).toBe('insert/insert');
    expect(classifyConflict([{ db: 'a', change: change('update', 'update') }, { db: 'b', change: change('update', 'update') }])).toBe('update/update');
    expect(classifyConflict([{ db: 'a', change: change('update', 'update') }, { db: 'b', change: change('update', 'delete') }])).toBe('update/delete');
    expect(classifyConflict([{ db: 'a', change: change('delete', 'delete') }, { db: 'b', change: change('update', 'delete') }])).toBe('delete/delete');
  });
});

describe('redactUrl', () => {
  it.each([
    ['postgres://ann:s3cr%40t@db.example:5432/app', 'postgres://ann:*****@db.example:5432/app'],
    ['mongodb+srv://ann:p%40ss@cluster0.example/app?retryWrites=true', 'mongodb+srv://ann:*****@cluster0.example/app?retryWrites=true'],
    ['postgres://ann@db.example/app', 'postgres://ann@db.example/app'],
    ['postgres:///app?host=/var/run/postgresql', 'postgres:///app?host=/var/run/postgresql'],
  ])('%s shows as %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});
