/**
 * `sslmode=` of `bucardo add db`, against a server that speaks TLS: the fixture's PostgreSQL behind a
 * proxy that answers PostgreSQL's SSLRequest and ends TLS with a certificate signed by a CA of the test's
 * own, for a host name that is not the one connected to. `require` encrypts without checking the
 * certificate; `verify-ca` checks that a trusted CA signed it (it did not: node-postgres has no such mode,
 * and the plugin turned it into "unchecked"); `verify-full` checks the host name too; a value that is not a
 * mode (a typo, which was taken as "unchecked") and the modes that fall back to plain text are refused.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { bucardoEnv, runBucardo, type CliResult } from '../src/helpers/cli.js';
import { createDatabase, dropDatabase, uniqueName } from '../src/helpers/databases.js';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('tls_ctl');
const data = uniqueName('tls_db');
const dir = mkdtempSync(path.join(os.tmpdir(), 'tls-modes-'));
const file = (name: string) => path.join(dir, name);
/** The PostgreSQL protocol's SSLRequest code, in the first message of a client that asks for TLS. */
const SSL_REQUEST = 80877103;

let proxy: net.Server;
let proxyPort = 0;
/** Connections that reached the server through TLS. */
let tlsSessions = 0;

function bucardo(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runBucardo(args, { env: { ...bucardoEnv(server, control), PGSSLMODE: undefined, NODE_EXTRA_CA_CERTS: undefined, ...env } });
}

/** `add db` of the database through the proxy with this sslmode. */
function addDb(name: string, sslmode: string, env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return bucardo(['add', 'db', name, `dbname=${data}`, 'host=127.0.0.1', `port=${proxyPort}`, `sslmode=${sslmode}`], env);
}

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

beforeAll(async () => {
  // a CA of our own, and a server certificate it signs for a name that is not 127.0.0.1
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Bucardo test CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=elsewhere.example');
  writeFileSync(file('ext.cnf'), 'subjectAltName=DNS:elsewhere.example\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
  const key = readFileSync(file('server.key'));
  const cert = readFileSync(file('server.pem'));
  proxy = net.createServer((client) => {
    client.once('data', (first) => {
      // a client that does not ask for TLS is not served: a connection that works went through TLS
      if (first.length !== 8 || first.readInt32BE(4) !== SSL_REQUEST) return client.destroy();
      client.write('S');
      const secure = new tls.TLSSocket(client, { isServer: true, key, cert });
      secure.once('secure', () => { tlsSessions++; });
      const upstream = net.connect(server.port, server.host);
      secure.pipe(upstream).pipe(secure);
      const end = () => { secure.destroy(); upstream.destroy(); };
      secure.on('error', end);
      upstream.on('error', end);
      secure.on('close', end);
      upstream.on('close', end);
    });
    client.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyPort = (proxy.address() as net.AddressInfo).port;
  await createDatabase(server, control);
  await createDatabase(server, data);
  const install = await bucardo(['install']);
  expect(install.code, install.stderr).toBe(0);
});

afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  for (const db of [control, data]) await dropDatabase(server, db);
  rmSync(dir, { recursive: true, force: true });
});

describe('sslmode', () => {
  it('require: encrypted, the certificate unchecked', async () => {
    const r = await addDb('req', 'require');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(tlsSessions).toBeGreaterThan(0);
  });

  it('verify-ca: refused while the CA is not trusted, accepted once it is, whatever the host name', async () => {
    const untrusted = await addDb('ca', 'verify-ca');
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/^ERROR: Cannot connect to database "ca" \(dbname=\S+ host=127\.0\.0\.1 port=\d+\): unable to verify the first certificate \(sslmode=verify-ca and verify-full trust Node's certificate authorities: give your CA's certificate in sslrootcert=, PGSSLROOTCERT or NODE_EXTRA_CA_CERTS of the process that connects, the daemon's too\) \[CONNECTION_FAILED\]\n$/);
    const trusted = await addDb('ca', 'verify-ca', { NODE_EXTRA_CA_CERTS: file('ca.pem') });
    expect(trusted.code, trusted.stdout + trusted.stderr).toBe(0);
  });

  it('verify-full: a trusted certificate for another host name is refused', async () => {
    const r = await addDb('full', 'verify-full', { NODE_EXTRA_CA_CERTS: file('ca.pem') });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ERROR: Cannot connect to database "full" .*Hostname\/IP does not match certificate's altnames: IP: 127\.0\.0\.1 is not in the cert's list: {2}\[CONNECTION_FAILED\]\n$/);
  });

  it('a value that is not a mode, and the modes that fall back to plain text, are refused before connecting', async () => {
    const sessions = tlsSessions;
    for (const [mode, why] of [
      ['verify_full', 'sslmode=verify_full is not one of disable, require, verify-ca, verify-full'],
      ['prefer', 'sslmode=prefer falls back to an unencrypted connection, which anyone on the network can force, and is not offered'],
      ['allow', 'sslmode=allow falls back to an unencrypted connection, which anyone on the network can force, and is not offered'],
    ] as const) {
      const r = await addDb('typo', mode);
      expect(r.code, mode).toBe(1);
      expect(r.stderr).toBe(`ERROR: Database "typo": ${why}: give require (TLS, the server's certificate unchecked), verify-ca (checked against the trusted CAs), verify-full (and its host name), or disable [INVALID_ARGUMENT]\n`);
    }
    expect(tlsSessions).toBe(sessions);
    const listed = await bucardo(['list', 'dbs']);
    expect(listed.stdout).not.toMatch(/typo/);
  });
});

describe('PGSSLMODE', () => {
  it('a value node-postgres does not know (which it took for plain text) is refused, naming the variable, before anything connects', async () => {
    const sessions = tlsSessions;
    for (const value of ['requir', 'allow']) {
      const r = await bucardo(['add', 'db', 'envtypo', `dbname=${data}`, 'host=127.0.0.1', `port=${proxyPort}`], { PGSSLMODE: value });
      expect(r.code, value).toBe(1);
      expect(r.stderr).toBe(`ERROR: The environment variable PGSSLMODE is "${value}", which is not one of disable, prefer, require, verify-ca, verify-full, no-verify: node-postgres would connect without TLS. Correct it, or unset it for no TLS [INVALID_ARGUMENT]\n`);
    }
    expect(tlsSessions).toBe(sessions);
    const listed = await bucardo(['list', 'dbs']);
    expect(listed.stdout).not.toMatch(/envtypo/);
    // a mode it knows still connects (the control database too, through the proxy): TLS, the certificate unchecked
    const known = await bucardo(['--db-host', '127.0.0.1', '--db-port', String(proxyPort), 'add', 'db', 'envok', `dbname=${data}`, 'host=127.0.0.1', `port=${proxyPort}`], { PGSSLMODE: 'no-verify' });
    expect(known.code, known.stderr).toBe(0);
    expect(tlsSessions).toBeGreaterThan(sessions);
  });
});
