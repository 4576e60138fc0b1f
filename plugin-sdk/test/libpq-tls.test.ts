/**
 * The TLS files as libpq finds and checks them (given, else PGSSL* variables, else ~/.postgresql), and the
 * TLS options each mode makes of them. Certificates made with openssl in a temp dir.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { libpqTls, libpqTlsSetup, type NodeTlsOptions } from '../src/libpq-tls.js';
import { readTlsFiles } from '../src/libpq-tls-files.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tlsf-'));
const file = (name: string) => path.join(dir, name);
const home = file('home');
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });

beforeAll(() => {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=ca');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.crt', '-days', '2', '-subj', '/CN=u');
  chmodSync(file('client.key'), 0o600);
  // the same key encrypted: PKCS#8 (ENCRYPTED PRIVATE KEY) and OpenSSL's traditional form (Proc-Type: 4,ENCRYPTED)
  openssl('pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', 'client.key', '-out', 'pkcs8.key', '-passout', 'pass:open sesame');
  openssl('rsa', '-traditional', '-aes256', '-in', 'client.key', '-out', 'traditional.key', '-passout', 'pass:open sesame');
  for (const key of ['pkcs8.key', 'traditional.key']) chmodSync(file(key), 0o600);
  mkdirSync(path.join(home, '.postgresql'), { recursive: true });
});
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

describe('readTlsFiles', () => {
  it('PGSSLROOTCERT, PGSSLCERT and PGSSLKEY where nothing is given; the settings over them', () => {
    const env = { HOME: home, PGSSLROOTCERT: file('ca.pem'), PGSSLCERT: file('client.crt'), PGSSLKEY: file('client.key') };
    const files = readTlsFiles({}, env);
    expect(files.ca).toContain('BEGIN CERTIFICATE');
    expect(files.cert).toContain('BEGIN CERTIFICATE');
    expect(files.key).toContain('PRIVATE KEY');
    expect(errorOf(() => readTlsFiles({ sslrootcert: file('none.pem') }, env))).toEqual({
      code: 'CONNECTION_FAILED', item: file('none.pem'), message: `the root certificate file ${file('none.pem')} (sslrootcert=) does not exist`,
    });
  });

  it("libpq's defaults in ~/.postgresql when they exist; a default certificate without its key is refused", () => {
    expect(readTlsFiles({}, { HOME: home })).toEqual({ systemRoots: false });
    copyFileSync(file('client.crt'), path.join(home, '.postgresql', 'postgresql.crt'));
    const key = path.join(home, '.postgresql', 'postgresql.key');
    expect(errorOf(() => readTlsFiles({}, { HOME: home }))).toEqual({
      code: 'CONNECTION_FAILED', item: key, message: `the private key file ${key} (libpq's default sslkey) does not exist`,
    });
    copyFileSync(file('client.key'), key);
    chmodSync(key, 0o600);
    copyFileSync(file('ca.pem'), path.join(home, '.postgresql', 'root.crt'));
    const files = readTlsFiles({}, { HOME: home });
    expect([files.ca !== undefined, files.cert !== undefined, files.key !== undefined]).toEqual([true, true, true]);
    rmSync(path.join(home, '.postgresql'), { recursive: true });
    mkdirSync(path.join(home, '.postgresql'));
  });

  it.runIf(process.getuid?.() === 0)('a key root owns may be group-readable (0640), not others-readable (libpq)', () => {
    copyFileSync(file('client.key'), file('group.key'));
    chmodSync(file('group.key'), 0o640);
    expect(readTlsFiles({ sslcert: file('client.crt'), sslkey: file('group.key') }, { HOME: home }).key).toContain('PRIVATE KEY');
    chmodSync(file('group.key'), 0o604);
    expect(errorOf(() => readTlsFiles({ sslcert: file('client.crt'), sslkey: file('group.key') }, { HOME: home })).message).toMatch(/has mode 0604, readable by group or others/);
  });

  it('a key given without a certificate, and a certificate file that holds none, are refused', () => {
    expect(errorOf(() => readTlsFiles({ sslkey: file('client.key') }, { HOME: home })).message).toBe(`sslkey=${file('client.key')} is given without a certificate (sslcert=)`);
    expect(errorOf(() => readTlsFiles({ sslcert: file('client.key'), sslkey: file('client.key') }, { HOME: home })).message).toMatch(new RegExp(`^the client certificate file ${file('client.key')} \\(sslcert=\\) holds no PEM certificate`));
  });
});

describe('an encrypted key and sslpassword', () => {
  const settings = (sslkey: string, sslpassword?: string) => ({ sslcert: file('client.crt'), sslkey: file(sslkey), ...(sslpassword === undefined ? {} : { sslpassword }) });

  it.each(['pkcs8.key', 'traditional.key'])('%s: opened with the right passphrase, checked against the certificate, and handed to TLS with it', (key) => {
    const files = readTlsFiles(settings(key, 'open sesame'), { HOME: home });
    expect(files.passphrase).toBe('open sesame');
    expect(files.key).toMatch(/ENCRYPTED/);
    const tls = libpqTls({ sslmode: 'require', ...settings(key, 'open sesame') }, { HOME: home }) as NodeTlsOptions;
    expect(tls.passphrase).toBe('open sesame');
  });

  it.each(['pkcs8.key', 'traditional.key'])('%s without a passphrase, or with a wrong one, is refused naming the file, never the passphrase', (key) => {
    expect(errorOf(() => readTlsFiles(settings(key), { HOME: home }))).toEqual({
      code: 'CONNECTION_FAILED', item: file(key), message: `the private key file ${file(key)} (sslkey=) is encrypted, and no sslpassword was given to open it`,
    });
    const wrong = errorOf(() => readTlsFiles(settings(key, 'hunter2'), { HOME: home }));
    expect(wrong).toEqual({
      code: 'CONNECTION_FAILED', item: file(key), message: `the private key file ${file(key)} (sslkey=) cannot be opened with the passphrase given (sslpassword=): wrong passphrase, or a damaged file`,
    });
  });

  it('a service\'s passphrase is said to be the service\'s; an unencrypted key ignores one, as libpq', () => {
    const from = { sslpassword: 'service "prod", /s.conf' };
    expect(errorOf(() => readTlsFiles({ ...settings('pkcs8.key', 'nope'), from }, { HOME: home })).message).toContain('(sslpassword= of service "prod", /s.conf)');
    const plain = readTlsFiles(settings('client.key', 'unused'), { HOME: home });
    expect(plain.passphrase).toBeUndefined();
  });

  it('a passphrase given as a function is asked for only when the key is encrypted (an env:NAME unset fails no other connection)', () => {
    const unset = () => { throw new Error('asked for the passphrase of an unencrypted key'); };
    expect(readTlsFiles({ ...settings('client.key'), sslpassword: unset }, { HOME: home }).passphrase).toBeUndefined();
    expect(libpqTls({ sslmode: 'disable', ...settings('client.key'), sslpassword: unset }, { HOME: home })).toBe(false);
    const tls = libpqTls({ sslmode: 'require', ...settings('pkcs8.key'), sslpassword: () => 'open sesame' }, { HOME: home }) as NodeTlsOptions;
    expect(tls.passphrase).toBe('open sesame');
  });

  it('settings named otherwise than as parameters (the control connection\'s) are said by those names', () => {
    const named = { sslkey: 'control.sslkey in /srv/b.json', sslpassword: 'control.sslpassword in /srv/b.json' };
    expect(errorOf(() => readTlsFiles({ ...settings('pkcs8.key', 'nope'), named }, { HOME: home })).message)
      .toBe(`the private key file ${file('pkcs8.key')} (control.sslkey in /srv/b.json) cannot be opened with the passphrase given (control.sslpassword in /srv/b.json): wrong passphrase, or a damaged file`);
    expect(errorOf(() => readTlsFiles({ sslkey: file('client.key'), named }, { HOME: home })).message)
      .toBe(`control.sslkey in /srv/b.json (${file('client.key')}) is given without a certificate (sslcert=)`);
  });

  it('the encrypted key of another certificate is still refused as not its key', () => {
    expect(errorOf(() => readTlsFiles({ sslcert: file('ca.pem'), sslkey: file('pkcs8.key'), sslpassword: 'open sesame' }, { HOME: home })).message)
      .toBe(`the private key file ${file('pkcs8.key')} (sslkey=) is not the key of the client certificate ${file('ca.pem')} (sslcert=)`);
  });
});

describe('the key\'s mode, as libpq', () => {
  // a key owned by another user than root may not be read by its group (0640 is root's allowance only);
  // chown needs root, which the rule for root-owned keys does not
  it.skipIf(process.getuid?.() !== 0)('a key owned by a user other than root with mode 0640 is refused (needs root to chown it)', () => {
    copyFileSync(file('client.key'), file('nobody.key'));
    execFileSync('chown', ['nobody', file('nobody.key')]);
    chmodSync(file('nobody.key'), 0o640);
    expect(errorOf(() => readTlsFiles({ sslcert: file('client.crt'), sslkey: file('nobody.key') }, { HOME: home }))).toEqual({
      code: 'CONNECTION_FAILED', item: file('nobody.key'),
      message: `the private key file ${file('nobody.key')} (sslkey=) has mode 0640, readable by group or others: it must be u=rw (0600) or less, or u=rw,g=r (0640) or less if owned by root (chmod 0600 ${file('nobody.key')})`,
    });
    // the same mode, owned by root: libpq's allowance
    execFileSync('chown', ['root', file('nobody.key')]);
    expect(readTlsFiles({ sslcert: file('client.crt'), sslkey: file('nobody.key') }, { HOME: home }).key).toContain('PRIVATE KEY');
  });
});

describe('libpqTls', () => {
  const env = { HOME: home };
  it("a root certificate file replaces Node's CAs; require with one is verify-ca, as in libpq", () => {
    const verifyFull = libpqTls({ sslmode: 'verify-full', sslrootcert: file('ca.pem') }, env) as NodeTlsOptions;
    expect(verifyFull).toMatchObject({ rejectUnauthorized: true });
    expect(verifyFull.ca).toContain('BEGIN CERTIFICATE');
    expect(verifyFull.checkServerIdentity).toBeUndefined();
    const require = libpqTls({ sslmode: 'require', sslrootcert: file('ca.pem') }, env) as NodeTlsOptions;
    expect(require.rejectUnauthorized).toBe(true);
    expect(require.checkServerIdentity).toBeTypeOf('function');
    expect(libpqTls({ sslmode: 'require' }, env)).toEqual({ rejectUnauthorized: false });
  });

  it('sslrootcert=system: Node\'s CAs, verify-full by default, and no weaker mode', () => {
    expect(libpqTls({ sslrootcert: 'system' }, env)).toEqual({ rejectUnauthorized: true });
    expect(errorOf(() => libpqTls({ sslrootcert: 'system', sslmode: 'require' }, env))).toMatchObject({ code: 'INVALID_ARGUMENT', item: 'sslrootcert' });
  });

  it('files with no mode anywhere are refused; PGSSLMODE keeps node-postgres\'s meaning (the host name checked), now with the files', () => {
    expect(errorOf(() => libpqTls({ sslcert: file('client.crt') }, env))).toEqual({
      code: 'INVALID_ARGUMENT', item: 'sslcert', message: `sslcert=${file('client.crt')} is given, but no sslmode (nor PGSSLMODE): nothing would use it; give sslmode=require, verify-ca or verify-full`,
    });
    expect(libpqTls({}, env)).toBeUndefined();
    const fromEnv = libpqTls({}, { ...env, PGSSLMODE: 'require', PGSSLCERT: file('client.crt'), PGSSLKEY: file('client.key') }) as NodeTlsOptions;
    expect(fromEnv.rejectUnauthorized).toBe(true);
    expect(fromEnv.checkServerIdentity).toBeUndefined();
    expect(fromEnv.cert).toContain('BEGIN CERTIFICATE');
  });

  it('a mode of the connection\'s own is one of libpq\'s four, wherever it came from: a service\'s is named', () => {
    const service = 'service "prod", /etc/pg_service.conf';
    expect(errorOf(() => libpqTls({ sslmode: 'prefer', from: { sslmode: service } }, env))).toEqual({
      code: 'INVALID_ARGUMENT', item: 'sslmode',
      message: `sslmode=prefer (from ${service}) falls back to an unencrypted connection, which anyone on the network can force, and is not offered: give require (TLS, the server's certificate unchecked), verify-ca (checked against the trusted CAs), verify-full (and its host name), or disable`,
    });
    expect(errorOf(() => libpqTls({ sslmode: 'verify_full' }, env)).message).toMatch(/^sslmode=verify_full is not one of disable, require, verify-ca, verify-full: /);
  });

  it('names the root certificate file it trusts and where its name came from', () => {
    expect(libpqTlsSetup({ sslmode: 'require' }, env).rootFile).toBeUndefined();
    expect(libpqTlsSetup({ sslmode: 'verify-ca', sslrootcert: file('ca.pem') }, env).rootFile).toBe(`${file('ca.pem')} (sslrootcert=)`);
    expect(libpqTlsSetup({ sslmode: 'verify-ca' }, { ...env, PGSSLROOTCERT: file('ca.pem') }).rootFile).toBe(`${file('ca.pem')} (PGSSLROOTCERT)`);
    expect(libpqTlsSetup({ sslmode: 'verify-ca', sslrootcert: file('ca.pem'), from: { sslrootcert: 'service "prod", /s.conf' } }, env).rootFile)
      .toBe(`${file('ca.pem')} (sslrootcert= of service "prod", /s.conf)`);
    const defaultRoot = path.join(home, '.postgresql', 'root.crt');
    copyFileSync(file('ca.pem'), defaultRoot);
    try {
      expect(libpqTlsSetup({ sslmode: 'verify-ca' }, env).rootFile).toBe(`${defaultRoot} (libpq's default sslrootcert)`);
    } finally {
      rmSync(defaultRoot);
    }
  });
});
