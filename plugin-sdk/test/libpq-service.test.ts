/**
 * The service file as libpq reads it: PGSERVICEFILE (else ~/.pg_service.conf) first, then
 * PGSYSCONFDIR/pg_service.conf; the first section of the name; comments and blank lines; errors naming the
 * service, the file and the line.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readService, serviceFiles } from '../src/libpq-service.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'svc-'));
const file = (name: string) => path.join(dir, name);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(fn: () => unknown): { code: string; message: string; item?: string } {
  try {
    fn();
  } catch (error) {
    const e = error as { code: string; message: string; subject: { item?: string } };
    return { code: e.code, message: e.message, ...(e.subject.item === undefined ? {} : { item: e.subject.item }) };
  }
  throw new Error('no error');
}

describe('readService', () => {
  it('reads the first section of the name, trims keys and values, skips comments; the user file before the system one', () => {
    writeFileSync(file('user.conf'), '# mine\n[a]\n host = db1 \nport=5433\n\n[a]\nhost=ignored\n[b]\nuser=bob\n');
    mkdirSystem('[a]\nhost=system\n[c]\ndbname=from_system\n');
    const env = { PGSERVICEFILE: file('user.conf'), PGSYSCONFDIR: file('sys') };
    expect(readService('a', env)).toEqual({ name: 'a', file: file('user.conf'), settings: { host: 'db1', port: '5433' } });
    expect(readService('c', env)).toEqual({ name: 'c', file: path.join(file('sys'), 'pg_service.conf'), settings: { dbname: 'from_system' } });
  });

  it('defaults to ~/.pg_service.conf', () => {
    expect(serviceFiles({ HOME: '/home/x', PGSYSCONFDIR: '/etc/pg' })).toEqual(['/home/x/.pg_service.conf', '/etc/pg/pg_service.conf']);
  });

  it('an unknown service names the service and the files searched', () => {
    const env = { PGSERVICEFILE: file('missing.conf'), PGSYSCONFDIR: file('nowhere') };
    expect(errorOf(() => readService('zz', env))).toEqual({
      code: 'INVALID_ARGUMENT', item: 'zz',
      message: `The service "zz" is not defined in ${file('missing.conf')} nor in ${path.join(file('nowhere'), 'pg_service.conf')}`,
    });
  });

  it('a malformed line, an unsupported key, a port that is not a number: the file and the line', () => {
    writeFileSync(file('bad.conf'), '[a]\nhost=x\noops\n');
    expect(errorOf(() => readService('a', { PGSERVICEFILE: file('bad.conf') }))).toEqual({
      code: 'INVALID_ARGUMENT', item: file('bad.conf'),
      message: `Syntax error in the service file ${file('bad.conf')}, line 3 (service "a"): the line is neither a [service] nor key=value`,
    });
    writeFileSync(file('key.conf'), '[a]\nconnect_timeout=3\n');
    expect(errorOf(() => readService('a', { PGSERVICEFILE: file('key.conf') })).message).toBe(
      `The service "a" in ${file('key.conf')}, line 2 sets connect_timeout, which is not supported (known: host, port, user, password, dbname, sslmode, sslrootcert, sslcert, sslkey, sslpassword)`);
    writeFileSync(file('port.conf'), '[a]\nport=five\n');
    expect(errorOf(() => readService('a', { PGSERVICEFILE: file('port.conf') })).message).toBe(
      `The service "a" in ${file('port.conf')}, line 2 has port=five, which is not a number`);
  });

  it('reads only the wanted section, as libpq: a bad line elsewhere does not matter; a bad line is never quoted (it may hold a password)', () => {
    writeFileSync(file('others.conf'), '[b]\npassword hunter2\nconnect_timeout=3\n[a]\nhost=x\n[a2]\noops\n');
    expect(readService('a', { PGSERVICEFILE: file('others.conf') }).settings).toEqual({ host: 'x' });
    const error = errorOf(() => readService('b', { PGSERVICEFILE: file('others.conf') }));
    expect(error.message).toBe(`Syntax error in the service file ${file('others.conf')}, line 2 (service "b"): the line is neither a [service] nor key=value`);
    expect(error.message).not.toContain('hunter2');
  });

  it.skipIf(process.getuid?.() === 0)('a file that cannot be read is named', () => {
    writeFileSync(file('locked.conf'), '[a]\nhost=x\n');
    chmodSync(file('locked.conf'), 0);
    expect(errorOf(() => readService('a', { PGSERVICEFILE: file('locked.conf') })).item).toBe(file('locked.conf'));
  });
});

function mkdirSystem(text: string): void {
  const sys = file('sys');
  rmSync(sys, { recursive: true, force: true });
  mkdirSync(sys);
  writeFileSync(path.join(sys, 'pg_service.conf'), text);
}
