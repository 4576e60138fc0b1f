/**
 * The password file as libpq reads it (wildcards, escapes, first match, ignored when others can read it),
 * and the order of libpq's fallbacks: a non-empty PGPASSWORD, then PGPASSFILE, else ~/.pgpass.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultPassword, passwordFromFile } from '../src/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pgpass-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pgpassFile(text: string, mode = 0o600): string {
  const file = path.join(dir, `pgpass-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

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

  it('matches unset parts with libpq\'s defaults: localhost (also for a socket directory), 5432, the user\'s name as database', () => {
    const file = pgpassFile('localhost:5432:app:app:by-default');
    expect(defaultPassword({ user: 'app' }, { PGPASSFILE: file })).toEqual({ password: 'by-default', source: 'pgpass' });
    expect(defaultPassword({ host: '/var/run/postgresql', user: 'app' }, { PGPASSFILE: file })).toEqual({ password: 'by-default', source: 'pgpass' });
    expect(defaultPassword({ user: 'app', port: 5433 }, { PGPASSFILE: file })).toBeUndefined();
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
