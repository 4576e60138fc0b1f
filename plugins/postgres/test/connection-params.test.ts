/**
 * Connection parameters without a server: blank values, `pass=env:NAME` (checked, kept as the reference,
 * resolved from the given environment, a missing variable named) and what `list dbs` shows. The password
 * file is the SDK's (plugin-sdk/test/libpq-password.test.ts).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeConnection, explicitPassword, normalizeParams } from '../src/connection-params.js';

const spec = (params: Record<string, string>) => ({ name: 'db1', type: 'postgres', params });

describe('normalizeParams', () => {
  it('rejects an empty or blank value, naming the parameter', () => {
    for (const [key, value, why] of [['dbname', '', 'empty'], ['host', '   ', 'blank'], ['port', '', 'empty'], ['user', '\t', 'blank']] as const) {
      expect(() => normalizeParams({ dbname: 'x', [key]: value })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', item: key, message: expect.stringContaining(why) }));
    }
  });

  it('takes an empty pass= as no password (as libpq does), and any other password as given', () => {
    expect(normalizeParams({ dbname: 'x', pass: '' }, {})).toEqual({ dbname: 'x' });
    expect(normalizeParams({ dbname: 'x', pass: '  ' }, {})).toEqual({ dbname: 'x', pass: '  ' });
  });

  it('keeps pass=env:NAME as the reference and checks the name', () => {
    expect(normalizeParams({ dbname: 'x', password: 'env:PG_SECRET_1' }, {})).toEqual({ dbname: 'x', pass: 'env:PG_SECRET_1' });
    for (const bad of ['env:', 'env:1X', 'env:A-B', 'env:A B']) {
      expect(() => normalizeParams({ dbname: 'x', pass: bad })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', item: 'pass' }));
    }
  });

  it('takes sslpassword= as pass=: empty is none, env:NAME kept as the reference and its name checked', () => {
    expect(normalizeParams({ dbname: 'x', sslpassword: '' }, {})).toEqual({ dbname: 'x' });
    expect(normalizeParams({ dbname: 'x', sslpassword: ' open sesame ' }, {})).toEqual({ dbname: 'x', sslpassword: ' open sesame ' });
    expect(normalizeParams({ dbname: 'x', sslpassword: 'env:KEY_PASS' }, {})).toEqual({ dbname: 'x', sslpassword: 'env:KEY_PASS' });
    expect(() => normalizeParams({ dbname: 'x', sslpassword: 'env:A-B' })).toThrow(expect.objectContaining({
      code: 'INVALID_ARGUMENT', item: 'sslpassword', message: 'sslpassword=env:NAME needs the name of an environment variable (letters, digits, underscores), not "A-B"',
    }));
  });
});

describe('normalizeParams: host and port from the environment', () => {
  it('stores PGHOSTADDR, else PGHOST, and PGPORT where host= and port= are left out; given ones win; a URL takes none', () => {
    expect(normalizeParams({ dbname: 'x' }, { PGHOST: '/run/pg', PGPORT: '6000' })).toEqual({ dbname: 'x', host: '/run/pg', port: '6000' });
    expect(normalizeParams({ dbname: 'x' }, { PGHOSTADDR: '10.0.0.5', PGHOST: 'db.example' })).toEqual({ dbname: 'x', host: '10.0.0.5' });
    expect(normalizeParams({ dbname: 'x', host: 'h', port: '5433' }, { PGHOST: 'other', PGPORT: '6000' })).toEqual({ dbname: 'x', host: 'h', port: '5433' });
    expect(normalizeParams({ dbname: 'x' }, { PGHOST: '  ', PGPORT: '' })).toEqual({ dbname: 'x' });
    expect(normalizeParams({ url: 'postgres://u@h:5432/d' }, { PGHOST: 'other', PGPORT: '6000' })).toEqual({ url: 'postgres://u@h:5432/d' });
    expect(() => normalizeParams({ dbname: 'x' }, { PGPORT: 'fivefour' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', item: 'port', message: 'port must be a number, not "fivefour" (from PGPORT)' }));
  });
});

describe('normalizeParams with url=', () => {
  it('refuses host, port, user or dbname beside a url (node-postgres would let the url win), and takes a password apart', () => {
    expect(() => normalizeParams({ url: 'postgres://u@h:5432/d', host: 'other' })).toThrow('Give host in url=, not as host= beside it');
    expect(() => normalizeParams({ url: 'postgres:///d', host: 'h' })).toThrow('Give host in url=, not as host= beside it');
    expect(() => normalizeParams({ url: 'postgres://u@h/d', dbname: 'e' })).toThrow('Give dbname in url=');
    expect(() => normalizeParams({ url: 'postgres://u@h/d', port: '5433' })).toThrow('Give port in url=');
    expect(normalizeParams({ url: 'postgres://u@h/d', pass: 'env:P' })).toEqual({ url: 'postgres://u@h/d', pass: 'env:P' });
  });
});

describe('explicitPassword', () => {
  it('resolves env:NAME from the given environment, and names a missing or empty variable', () => {
    expect(explicitPassword(spec({ dbname: 'x', pass: 'env:P' }), { P: 's3cret' })).toEqual({ password: 's3cret', source: 'env' });
    expect(explicitPassword(spec({ dbname: 'x', pass: 'plain' }), {})).toEqual({ password: 'plain', source: 'pass' });
    expect(explicitPassword(spec({ dbname: 'x' }), { P: 'x' })).toEqual({ source: 'none' });
    for (const env of [{}, { P: '' }]) {
      let error: unknown;
      try {
        explicitPassword(spec({ dbname: 'x', pass: 'env:P' }), env);
      } catch (caught) {
        error = caught;
      }
      expect(error).toMatchObject({ code: 'CONNECTION_FAILED', db: 'db1', item: 'P' });
      expect((error as Error).message).toMatch(/pass=env:P, and the environment variable P is (not set|empty)/);
    }
  });
});

describe('describeConnection', () => {
  it('shows pass=env:NAME and never a password', () => {
    const env = { PGPORT: '5433', PGUSER: 'me' };
    expect(describeConnection(spec({ dbname: 'd', pass: 'env:P' }), env)).toBe('psql -p 5433 -U me -d d (pass=env:P)');
    expect(describeConnection(spec({ dbname: 'd', pass: 'hunter2' }), env)).toBe('psql -p 5433 -U me -d d');
    expect(describeConnection(spec({ url: 'postgres://u:hunter2@h/d' }), env)).toBe('psql postgres://u:*****@h/d');
  });

  it('shows sslpassword=env:NAME and never a passphrase, in a url\'s query neither', () => {
    const env = { PGPORT: '5433', PGUSER: 'me' };
    expect(describeConnection(spec({ dbname: 'd', pass: 'env:P', sslpassword: 'env:K' }), env)).toBe('psql -p 5433 -U me -d d (pass=env:P) (sslpassword=env:K)');
    expect(describeConnection(spec({ dbname: 'd', sslpassword: 'open sesame' }), env)).toBe('psql -p 5433 -U me -d d');
    expect(describeConnection(spec({ url: 'postgres://u@h/d?sslkey=/k&sslpassword=open%20sesame&sslmode=require' }), env))
      .toBe('psql postgres://u@h/d?sslkey=/k&sslpassword=*****&sslmode=require');
  });
});

describe('normalizeParams: TLS files and service=', () => {
  it('stores the files as absolute paths (a daemon runs elsewhere), sslrootcert=system as it is', () => {
    expect(normalizeParams({ dbname: 'x', sslrootcert: 'ca.pem', sslcert: '/etc/c.crt', sslkey: './k.key' }, {})).toEqual({
      dbname: 'x', sslrootcert: path.resolve('ca.pem'), sslcert: '/etc/c.crt', sslkey: path.resolve('k.key'),
    });
    expect(normalizeParams({ dbname: 'x', sslrootcert: 'system' }, {})).toEqual({ dbname: 'x', sslrootcert: 'system' });
  });

  it('stores a service by name, without the environment\'s host and port (the service gives them when connecting); not with a url', () => {
    expect(normalizeParams({ service: 'prod' }, { PGHOST: 'h', PGPORT: '5' })).toEqual({ service: 'prod' });
    expect(normalizeParams({ service: 'prod', dbname: 'other' }, { PGHOST: 'h' })).toEqual({ service: 'prod', dbname: 'other' });
    expect(() => normalizeParams({ service: 'prod', url: 'postgres://h/d' }, {})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', item: 'service' }));
    expect(() => normalizeParams({ url: 'postgres://h/d?service=prod' }, {})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', item: 'service' }));
  });

  it('a url that names a TLS file: its sslmode is checked, and a setting both in it and beside it is refused', () => {
    expect(() => normalizeParams({ url: 'postgres://h/d?sslcert=/c&sslmode=verify_full' }, {})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', item: 'sslmode' }));
    expect(() => normalizeParams({ url: 'postgres://h/d?sslcert=/c', sslcert: '/d' }, {})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', item: 'sslcert' }));
  });

  it('a url whose query says sslmode= or ssl=: no TLS setting beside it (node-postgres would drop it), and the mode not given twice', () => {
    const beside = (name: string, query: string) =>
      `${name}= is given beside a url= whose query says ${query}=: the url's TLS settings would win and ${name}= be ignored; give every TLS setting in the url's query, or none there`;
    expect(() => normalizeParams({ url: 'postgres://u@h/d?sslmode=verify-full', sslrootcert: '/ca.pem', sslcert: '/c.crt', sslkey: '/c.key' }))
      .toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', item: 'sslrootcert', message: beside('sslrootcert', 'sslmode') }));
    expect(() => normalizeParams({ url: 'postgres://u@h/d?uselibpqcompat=true&sslmode=require', sslrootcert: '/ca.pem' }))
      .toThrow(expect.objectContaining({ item: 'sslrootcert', message: beside('sslrootcert', 'sslmode') }));
    expect(() => normalizeParams({ url: 'postgres://u@h/d?ssl=true', sslkey: '/c.key' })).toThrow(expect.objectContaining({ item: 'sslkey', message: beside('sslkey', 'ssl') }));
    // a file in the query and another beside it: still one place for them all
    expect(() => normalizeParams({ url: 'postgres://u@h/d?sslmode=verify-ca&sslrootcert=/ca.pem', sslcert: '/c.crt' })).toThrow(expect.objectContaining({ item: 'sslcert' }));
    expect(() => normalizeParams({ url: 'postgres://u@h/d?sslmode=verify-full', sslmode: 'disable' }))
      .toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', item: 'sslmode', message: 'sslmode is both in url= and given as sslmode= beside it: give it once' }));
    // a url that leaves the mode out takes one beside it, files in it or not
    expect(normalizeParams({ url: 'postgres://u@h/d', sslmode: 'require', sslrootcert: '/ca.pem' })).toEqual({ url: 'postgres://u@h/d', sslmode: 'require', sslrootcert: '/ca.pem' });
    expect(normalizeParams({ url: 'postgres://u@h/d?sslrootcert=/ca.pem', sslmode: 'verify-ca' })).toEqual({ url: 'postgres://u@h/d?sslrootcert=/ca.pem', sslmode: 'verify-ca' });
  });

  it('stores the relative files of a url query as absolute paths, the rest of the url as written', () => {
    expect(normalizeParams({ url: 'postgres://u:p%40ss@h/d?application_name=a%20b&sslmode=verify-full&sslrootcert=certs/ca.pem&sslcert=./c%2B1.crt&sslkey=/abs/c.key#x' }))
      .toEqual({ url: `postgres://u:p%40ss@h/d?application_name=a%20b&sslmode=verify-full&sslrootcert=${path.resolve('certs/ca.pem')}&sslcert=${path.resolve('c+1.crt').replace('+', '%2B')}&sslkey=/abs/c.key#x` });
    expect(normalizeParams({ url: 'postgres://h/d?sslmode=verify-full&sslrootcert=system' })).toEqual({ url: 'postgres://h/d?sslmode=verify-full&sslrootcert=system' });
  });
});

describe('describeConnection of a service', () => {
  it('shows service=NAME and the settings given beside it', () => {
    expect(describeConnection(spec({ service: 'prod' }), {})).toBe('service=prod');
    expect(describeConnection(spec({ service: 'prod', dbname: 'd2', pass: 'env:P' }), {})).toBe('service=prod dbname=d2 (pass=env:P)');
  });
});
