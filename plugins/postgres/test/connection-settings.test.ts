/**
 * What a connection uses: the service's settings (read from the service file when connecting) under the
 * database's own, as libpq lays them; a URL naming a TLS file has its TLS settings taken out of it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectionSettings } from '../src/connection-settings.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'conn-settings-'));
const services = path.join(dir, 'pg_service.conf');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const spec = (params: Record<string, string>) => ({ name: 'db1', type: 'postgres', params });

describe('connectionSettings', () => {
  it('the database\'s settings win over its service\'s; an edit of the file applies to the next connection', () => {
    writeFileSync(services, '[prod]\nhost=h1\nport=5433\nuser=u1\npassword=secret\ndbname=d1\nsslmode=verify-full\nsslrootcert=/ca.pem\n');
    const env = { PGSERVICEFILE: services };
    expect(connectionSettings(spec({ service: 'prod', dbname: 'mine', sslmode: 'require' }), env)).toEqual({
      dbname: 'mine', host: 'h1', port: '5433', user: 'u1', servicePassword: 'secret',
      tls: { sslmode: 'require', sslrootcert: '/ca.pem', from: { sslrootcert: `service "prod", ${services}` } },
    });
    writeFileSync(services, '[prod]\nhost=h2\n');
    expect(connectionSettings(spec({ service: 'prod' }), env)).toEqual({ host: 'h2', tls: {} });
  });

  it('the service\'s TLS settings say where they came from (libpqTls checks the mode and names the service)', () => {
    writeFileSync(services, '[weak]\nsslmode=prefer\nsslrootcert=/ca.pem\n');
    const from = `service "weak", ${services}`;
    expect(connectionSettings(spec({ service: 'weak' }), { PGSERVICEFILE: services })).toEqual({
      tls: { sslmode: 'prefer', sslrootcert: '/ca.pem', from: { sslmode: from, sslrootcert: from } },
    });
    expect(connectionSettings(spec({ service: 'weak', sslmode: 'require' }), { PGSERVICEFILE: services })).toEqual({
      tls: { sslmode: 'require', sslrootcert: '/ca.pem', from: { sslrootcert: from } },
    });
  });

  it('a url stored with sslmode= in its query and a TLS setting beside it (before that was refused) is refused when connecting', () => {
    expect(() => connectionSettings(spec({ url: 'postgres://u@h/d?sslmode=require', sslrootcert: '/ca.pem' }), {}))
      .toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', item: 'sslrootcert' }));
  });

  it('a url naming a TLS file gives its TLS settings apart; any other url keeps them for node-postgres', () => {
    expect(connectionSettings(spec({ url: 'postgres://u@h/d?sslmode=verify-ca&sslrootcert=/ca.pem&application_name=x' }), {})).toEqual({
      url: 'postgres://u@h/d?application_name=x', tls: { sslmode: 'verify-ca', sslrootcert: '/ca.pem' },
    });
    expect(connectionSettings(spec({ url: 'postgres://u@h/d?sslmode=require' }), {})).toEqual({ url: 'postgres://u@h/d?sslmode=require' });
    expect(connectionSettings(spec({ url: 'postgres://u@h/d', sslmode: 'require' }), {})).toEqual({ url: 'postgres://u@h/d', tls: { sslmode: 'require' } });
    // a key node-postgres does not read (SSLMODE, not sslmode) sets no mode: the settings beside the url stay
    expect(connectionSettings(spec({ url: 'postgres://u@h/d?SSLMODE=disable', sslmode: 'verify-full', sslrootcert: '/ca.pem' }), {}))
      .toEqual({ url: 'postgres://u@h/d?SSLMODE=disable', tls: { sslmode: 'verify-full', sslrootcert: '/ca.pem' } });
  });

  it('sslpassword: the database\'s (env:NAME read when an encrypted key asks for it, a missing variable named), else the service\'s; in a url, taken out of it', () => {
    writeFileSync(services, '[keyed]\nsslmode=require\nsslcert=/c.crt\nsslkey=/c.key\nsslpassword=from service\n');
    const env = { PGSERVICEFILE: services, KEY_PASS: 'from env' };
    const passphrase = (value: unknown) => (typeof value === 'function' ? (value as () => unknown)() : value);
    expect(connectionSettings(spec({ service: 'keyed' }), env).tls).toMatchObject({ sslpassword: 'from service', from: { sslpassword: `service "keyed", ${services}` } });
    expect(passphrase(connectionSettings(spec({ service: 'keyed', sslpassword: 'env:KEY_PASS' }), env).tls?.sslpassword)).toBe('from env');
    // settings read without the variable: only a key that needs the passphrase reads it (libpq ignores it otherwise)
    const unset = connectionSettings(spec({ dbname: 'd', sslpassword: 'env:NO_SUCH' }), {});
    expect(() => passphrase(unset.tls?.sslpassword)).toThrow(expect.objectContaining({
      code: 'CONNECTION_FAILED', item: 'NO_SUCH',
      message: 'its client key\'s passphrase is sslpassword=env:NO_SUCH, and the environment variable NO_SUCH is not set in this process',
    }));
    // node-postgres knows no sslpassword: a url carrying one has its TLS read by us
    expect(connectionSettings(spec({ url: 'postgres://u@h/d?sslmode=require&sslpassword=x' }), {})).toEqual({
      url: 'postgres://u@h/d', tls: { sslmode: 'require', sslpassword: 'x' },
    });
  });
});
