/**
 * An encrypted client key and its passphrase (libpq's `sslpassword`), through the `bucardo` command as a
 * process, against a cluster with ssl=on where `certuser` logs in by certificate only (the TLS cluster of
 * tls-files-service.test.ts): with the right passphrase a sync runs and rows arrive; without one, or with a
 * wrong one, `add db` is refused naming the database and the key file, never the passphrase; `list dbs`
 * never shows it; `sslpassword=env:NAME` with the variable unset is ignored for an unencrypted key, as in
 * libpq. The control connection takes a service, and the TLS settings and passphrase, from the config
 * file, and names its own as the config does (`control.sslkey in FILE`).
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { bucardoEnv, runBucardo, type CliResult } from '../src/helpers/cli.js';
import { createDatabase, dropDatabase, uniqueName, withClient } from '../src/helpers/databases.js';
import { startTlsCluster, type TlsCluster } from '../src/helpers/tls-cluster.js';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('tlsk_ctl');
const target = uniqueName('tlsk_dst');
const source = 'key_src';
const passphrase = 'open sesame 42';
let cluster: TlsCluster;
const file = (name: string) => cluster.file(name);

function bucardo(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runBucardo(args, { env: { ...bucardoEnv(server, control), PGSSLMODE: undefined, PGSERVICE: undefined, PGSERVICEFILE: file('none.conf'), PGSSLROOTCERT: undefined, PGSSLCERT: undefined, PGSSLKEY: undefined, HOME: cluster.dir, ...env } });
}

/** The certificate login to the TLS cluster with the encrypted key, and `extra` settings. */
const encryptedLogin = (...extra: string[]) => [
  `dbname=${source}`, 'host=127.0.0.1', `port=${cluster.server.port}`, 'user=certuser', 'sslmode=verify-full',
  `sslrootcert=${file('ca.pem')}`, `sslcert=${file('client.crt')}`, `sslkey=${file('encrypted.key')}`, ...extra,
];
const location = () => `dbname=${source} host=127.0.0.1 port=${cluster.server.port}`;

async function rows(url: string): Promise<number[]> {
  return withClient(url, async (c) => (await c.query<{ id: number }>('SELECT id FROM t ORDER BY id')).rows.map((r) => r.id));
}

beforeAll(async () => {
  cluster = await startTlsCluster('tls-keys-', [source]);
  // client.key encrypted with the passphrase (PKCS#8: ENCRYPTED PRIVATE KEY)
  cluster.openssl('pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', 'client.key', '-out', 'encrypted.key', '-passout', `pass:${passphrase}`);
  chmodSync(file('encrypted.key'), 0o600);
  await createDatabase(server, control);
  await createDatabase(server, target);
  await withClient(server.url(target), (c) => c.query('CREATE TABLE public.t (id int PRIMARY KEY, v text)'));
  const install = await bucardo(['install']);
  expect(install.code, install.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  for (const db of [control, target]) await dropDatabase(server, db);
});

describe('sslpassword=', () => {
  it('opens an encrypted key: added, stored as given, never listed, and a sync from it delivers rows', async () => {
    const added = await bucardo(['add', 'db', 'encsrc', ...encryptedLogin(`sslpassword=${passphrase}`)]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout + added.stderr).not.toContain(passphrase);
    const stored = await withClient(server.url(control), async (c) => (await c.query("SELECT params FROM bucardo.db WHERE name = 'encsrc'")).rows[0].params);
    expect(stored).toMatchObject({ sslkey: file('encrypted.key'), sslpassword: passphrase });
    const listed = await bucardo(['list', 'dbs', 'encsrc']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`Conn: psql -p ${cluster.server.port} -U certuser -d ${source} -h 127.0.0.1`);
    expect(listed.stdout).not.toContain(passphrase);
    expect(listed.stdout).not.toContain('sslpassword');
    expect((await bucardo(['add', 'db', 'plain', `dbname=${target}`])).code).toBe(0);
    expect((await bucardo(['add', 'table', 'public.t', 'db=encsrc', 'herd=h1'])).code).toBe(0);
    const sync = await bucardo(['add', 'sync', 's1', 'herd=h1', 'dbs=encsrc:source,plain:target', 'autokick=false']);
    expect(sync.code, sync.stderr).toBe(0);
    await withClient(cluster.server.url(source), (c) => c.query("INSERT INTO t VALUES (1, 'a'), (2, 'b')"));
    const kicked = await bucardo(['kick', 's1', '0']);
    expect(kicked.code, kicked.stdout + kicked.stderr).toBe(0);
    expect(await rows(server.url(target))).toEqual([1, 2]);
  });

  it('an encrypted key without a passphrase is refused, naming the database and the key file', async () => {
    const r = await bucardo(['add', 'db', 'nopass', ...encryptedLogin()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`ERROR: Cannot connect to database "nopass" (${location()}): the private key file ${file('encrypted.key')} (sslkey=) is encrypted, and no sslpassword was given to open it [CONNECTION_FAILED]\n`);
    expect((await bucardo(['list', 'dbs'])).stdout).not.toMatch(/nopass/);
  });

  it('a wrong passphrase is refused, naming the database and the key file, not the passphrase', async () => {
    const r = await bucardo(['add', 'db', 'wrongpass', ...encryptedLogin('sslpassword=hunter2')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`ERROR: Cannot connect to database "wrongpass" (${location()}): the private key file ${file('encrypted.key')} (sslkey=) cannot be opened with the passphrase given (sslpassword=): wrong passphrase, or a damaged file [CONNECTION_FAILED]\n`);
    expect((await bucardo(['list', 'dbs'])).stdout).not.toMatch(/wrongpass/);
  });

  it('sslpassword=env:NAME is stored as the reference, listed as it, and read by the process that connects', async () => {
    const added = await bucardo(['add', 'db', 'envpass', ...encryptedLogin('sslpassword=env:KEY_PASS')], { KEY_PASS: passphrase });
    expect(added.code, added.stderr).toBe(0);
    const listed = await bucardo(['list', 'dbs', 'envpass']);
    expect(listed.stdout).toContain(`Conn: psql -p ${cluster.server.port} -U certuser -d ${source} -h 127.0.0.1 (sslpassword=env:KEY_PASS)`);
    const unset = await bucardo(['update', 'db', 'envpass', 'sslmode=verify-ca']);
    expect(unset.code).toBe(1);
    expect(unset.stderr).toBe(`ERROR: Cannot connect to database "envpass" (${location()}): its client key's passphrase is sslpassword=env:KEY_PASS, and the environment variable KEY_PASS is not set in this process [CONNECTION_FAILED]\n`);
  });

  it('sslpassword=env:NAME with the variable unset is ignored for an unencrypted key, as in libpq: added, and a sync from it delivers', async () => {
    const login = encryptedLogin('sslpassword=env:UNSET_KEY_PASS').map((param) => (param.startsWith('sslkey=') ? `sslkey=${file('client.key')}` : param));
    const added = await bucardo(['add', 'db', 'plainkey', ...login], { UNSET_KEY_PASS: undefined });
    expect({ code: added.code, stderr: added.stderr }).toEqual({ code: 0, stderr: '' });
    expect((await bucardo(['add', 'table', 'public.t', 'db=plainkey', 'herd=h2'])).code).toBe(0);
    const sync = await bucardo(['add', 'sync', 's2', 'herd=h2', 'dbs=plainkey:source,plain:target', 'autokick=false']);
    expect(sync.code, sync.stderr).toBe(0);
    await withClient(cluster.server.url(source), (c) => c.query("INSERT INTO t VALUES (3, 'c')"));
    const kicked = await bucardo(['kick', 's2', '0'], { UNSET_KEY_PASS: undefined });
    expect(kicked.code, kicked.stdout + kicked.stderr).toBe(0);
    expect(await rows(server.url(target))).toEqual([1, 2, 3]);
  });
});

describe('the control connection from the config file', () => {
  /** A JSON config file of `control`, and the environment that leaves the control database to it alone. */
  function configWith(name: string, controlConfig: Record<string, unknown>): string {
    const path = file(`${name}.json`);
    writeFileSync(path, JSON.stringify({ control: controlConfig }));
    return path;
  }
  const noControlEnv = { PGHOST: '/nonexistent', PGPORT: '1', PGUSER: 'nobody', PGPASSWORD: undefined, BUCARDO_CONTROL_DB: undefined };

  it('control.service names its server, user, password and database, over PGSERVICE', async () => {
    const services = file('control_service.conf');
    writeFileSync(services, `[ctl]\nhost=${server.host}\nport=${server.port}\nuser=${server.user}\npassword=${server.password}\ndbname=${control}\n[elsewhere]\nhost=/nonexistent\n`);
    const config = configWith('service', { service: 'ctl' });
    const r = await bucardo(['--config', config, 'list', 'dbs', 'plain'], { ...noControlEnv, PGSERVICEFILE: services, PGSERVICE: 'elsewhere' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Database: plain');
  });

  it('control.sslpassword opens the encrypted key its service names; without it the key is refused naming the file', async () => {
    const services = file('control_tls_service.conf');
    // the TLS cluster has no control schema: reaching it as certuser by certificate is what is asked
    writeFileSync(services, `[ctltls]\nhost=127.0.0.1\nport=${cluster.server.port}\nuser=certuser\ndbname=${source}\nsslmode=verify-full\nsslrootcert=${file('ca.pem')}\nsslcert=${file('client.crt')}\nsslkey=${file('encrypted.key')}\n`);
    const env = { ...noControlEnv, PGSERVICEFILE: services };
    const without = await bucardo(['--config', configWith('tls-nopass', { service: 'ctltls' }), 'list', 'dbs'], env);
    expect(without.code).toBe(1);
    expect(without.stderr).toBe(`ERROR: Cannot connect to the control database "${source}": the private key file ${file('encrypted.key')} (sslkey= of service "ctltls", ${services}) is encrypted, and no sslpassword was given to open it [CONNECTION_FAILED]\n`);
    const reached = await bucardo(['--config', configWith('tls-pass', { service: 'ctltls', sslpassword: passphrase }), 'list', 'dbs'], env);
    expect(reached.stderr).toBe(`ERROR: The control database "${source}" has no Bucardo schema: run "bucardo install" first [CONTROL_NOT_INSTALLED]\n`);
  });

  it('a control key or passphrase of the config that fails is said as control.sslkey / control.sslpassword in the config file', async () => {
    const services = file('control_tls_service.conf');
    writeFileSync(services, `[ctltls]\nhost=127.0.0.1\nport=${cluster.server.port}\nuser=certuser\ndbname=${source}\nsslmode=verify-full\nsslrootcert=${file('ca.pem')}\nsslcert=${file('client.crt')}\n`);
    const config = configWith('tls-wrongpass', { service: 'ctltls', sslkey: file('encrypted.key'), sslpassword: 'hunter2' });
    const r = await bucardo(['--config', config, 'list', 'dbs'], { ...noControlEnv, PGSERVICEFILE: services });
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: '' });
    expect(r.stderr).toBe(`ERROR: Cannot connect to the control database "${source}": the private key file ${file('encrypted.key')} (control.sslkey in ${config}) cannot be opened with the passphrase given (control.sslpassword in ${config}): wrong passphrase, or a damaged file [CONNECTION_FAILED]\n`);
  });

  it('a bad control TLS setting in the config is refused naming the field', async () => {
    const config = configWith('bad-mode', { service: 'ctl', sslmode: 'prefer' });
    const r = await bucardo(['--config', config, 'list', 'dbs']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`ERROR: The config ${config} sets control.sslmode to "prefer": it must be one of disable, require, verify-ca, verify-full [CONFIG_INVALID]\n`);
    const relative = configWith('relative-key', { sslkey: 'client.key' });
    const rel = await bucardo(['--config', relative, 'list', 'dbs']);
    expect(rel.code).toBe(1);
    expect(rel.stderr).toBe(`ERROR: The config ${relative} sets control.sslkey to "client.key": it must be an absolute path [CONFIG_INVALID]\n`);
  });
});
