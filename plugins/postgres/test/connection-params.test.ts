/**
 * Connection parameters without a server: blank values, `pass=env:NAME` (checked, kept as the reference,
 * resolved from the given environment, a missing variable named), what `list dbs` shows, and the password
 * file as libpq reads it (wildcards, escapes, first match, ignored when others can read it).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultPassword, describeConnection, explicitPassword, normalizeParams, passwordFromFile } from '../src/connection-params.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pgpass-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pgpassFile(text: string, mode = 0o600): string {
  const file = path.join(dir, `pgpass-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

const spec = (params: Record<string, string>) => ({ name: 'db1', type: 'postgres', params });

describe('normalizeParams', () => {
  it('rejects an empty or blank value, naming the parameter', () => {
    for (const [key, value, why] of [['dbname', '', 'empty'], ['host', '   ', 'blank'], ['port', '', 'empty'], ['user', '\t', 'blank']] as const) {
      expect(() => normalizeParams({ dbname: 'x', [key]: value })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', item: key, message: expect.stringContaining(why) }));
    }
  });

  it('takes an empty pass= as no password (as libpq does), and any other password as given', () => {
    expect(normalizeParams({ dbname: 'x', pass: '' })).toEqual({ dbname: 'x' });
    expect(normalizeParams({ dbname: 'x', pass: '  ' })).toEqual({ dbname: 'x', pass: '  ' });
  });

  it('keeps pass=env:NAME as the reference and checks the name', () => {
    expect(normalizeParams({ dbname: 'x', password: 'env:PG_SECRET_1' })).toEqual({ dbname: 'x', pass: 'env:PG_SECRET_1' });
    for (const bad of ['env:', 'env:1X', 'env:A-B', 'env:A B']) {
      expect(() => normalizeParams({ dbname: 'x', pass: bad })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', item: 'pass' }));
    }
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
});

describe('the password file', () => {
  const target = { host: 'db.example', port: 5432, database: 'sales', user: 'app' };

  it('takes the first line whose fields match, with * for any field and \\: and \\\\ escapes', () => {
    const file = pgpassFile([
      '# comment',
      'other:5432:*:app:not-this-host',
      'db.example:5432:sales:someone:not-this-user',
      'db.example:*:sales:app:p\\:a\\\\ss:word',
      '*:*:*:*:too-late',
    ].join('\n'));
    expect(passwordFromFile(file, target)).toBe('p:a\\ss:word');
    expect(passwordFromFile(file, { ...target, user: 'nobody' })).toBe('too-late');
  });

  it('is ignored when others can read it, or when it is missing', () => {
    expect(passwordFromFile(pgpassFile('*:*:*:*:secret', 0o644), target)).toBeUndefined();
    expect(passwordFromFile(path.join(dir, 'nope'), target)).toBeUndefined();
  });

  it('comes after a non-empty PGPASSWORD; PGPASSFILE, else ~/.pgpass', () => {
    const file = pgpassFile('*:*:*:app:from-file');
    expect(defaultPassword(target, { PGPASSWORD: 'from-env', PGPASSFILE: file })).toEqual({ password: 'from-env', source: 'PGPASSWORD' });
    expect(defaultPassword(target, { PGPASSWORD: '', PGPASSFILE: file })).toEqual({ password: 'from-file', source: 'pgpass' });
    const home = mkdtempSync(path.join(dir, 'home-'));
    writeFileSync(path.join(home, '.pgpass'), '*:*:*:app:from-home', { mode: 0o600 });
    expect(defaultPassword(target, { HOME: home })).toEqual({ password: 'from-home', source: 'pgpass' });
    expect(defaultPassword({ ...target, user: 'other' }, { HOME: home })).toBeUndefined();
  });
});
