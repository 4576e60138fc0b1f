/**
 * TLS files and service files, as libpq users give them, through the `bucardo` command as a process: a
 * cluster of its own with ssl=on, a certificate for 127.0.0.1 signed by the test's CA, and a role that logs
 * in with a client certificate only (`hostssl … cert`). `add db` with sslmode=verify-full and
 * sslrootcert=, sslcert=, sslkey= reaches it, and a sync from it delivers rows to a plain database; a key
 * others can read, a key that is not the certificate's and a CA that did not sign the server's certificate
 * are refused naming the database and the file; a service of a service file is stored by name and used
 * end to end; PGSERVICE and PGSSLROOTCERT/PGSSLCERT/PGSSLKEY reach the control connection.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RestartablePgServer } from '../src/fixtures/embedded-postgres.js';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { bucardoEnv, runBucardo, type CliResult } from '../src/helpers/cli.js';
import { createDatabase, dropDatabase, uniqueName, withClient } from '../src/helpers/databases.js';
import { startTlsCluster, type TlsCluster } from '../src/helpers/tls-cluster.js';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('tlsf_ctl');
const target = uniqueName('tlsf_dst');
const source = 'tls_src';
const serviceSource = 'svc_src';
let cluster: TlsCluster;
let tlsServer: RestartablePgServer;
let dir: string;
const file = (name: string) => cluster.file(name);

function bucardo(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runBucardo(args, { env: { ...bucardoEnv(server, control), PGSSLMODE: undefined, PGSERVICE: undefined, PGSERVICEFILE: file('none.conf'), PGSSLROOTCERT: undefined, PGSSLCERT: undefined, PGSSLKEY: undefined, HOME: dir, ...env } });
}

/** The sslrootcert=, sslcert= and sslkey= of the certificate login. */
const certLogin = (key = 'client.key', root = 'ca.pem') => [`sslrootcert=${file(root)}`, `sslcert=${file('client.crt')}`, `sslkey=${file(key)}`];
const tlsDb = (dbname: string) => [`dbname=${dbname}`, 'host=127.0.0.1', `port=${tlsServer.port}`, 'user=certuser', 'sslmode=verify-full'];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function rows(url: string): Promise<number[]> {
  return withClient(url, async (c) => (await c.query<{ id: number }>('SELECT id FROM t ORDER BY id')).rows.map((r) => r.id));
}

beforeAll(async () => {
  cluster = await startTlsCluster('tls-files-', [source, serviceSource]);
  tlsServer = cluster.server;
  dir = cluster.dir;
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

describe('sslrootcert=, sslcert=, sslkey=', () => {
  it('a certificate login with verify-full: added, listed, and a sync from it delivers rows', async () => {
    const added = await bucardo(['add', 'db', 'certsrc', ...tlsDb(source), ...certLogin()]);
    expect(added.code, added.stderr).toBe(0);
    const stored = await withClient(server.url(control), async (c) => (await c.query("SELECT params FROM bucardo.db WHERE name = 'certsrc'")).rows[0].params);
    // the paths, never the files' contents
    expect(stored).toMatchObject({ sslrootcert: file('ca.pem'), sslcert: file('client.crt'), sslkey: file('client.key') });
    expect((await bucardo(['add', 'db', 'plain', `dbname=${target}`])).code).toBe(0);
    expect((await bucardo(['add', 'table', 'public.t', 'db=certsrc', 'herd=h1'])).code).toBe(0);
    const sync = await bucardo(['add', 'sync', 's1', 'herd=h1', 'dbs=certsrc:source,plain:target', 'autokick=false']);
    expect(sync.code, sync.stderr).toBe(0);
    await withClient(tlsServer.url(source), (c) => c.query("INSERT INTO t VALUES (1, 'a'), (2, 'b')"));
    const kicked = await bucardo(['kick', 's1', '0']);
    expect(kicked.code, kicked.stdout + kicked.stderr).toBe(0);
    expect(await rows(server.url(target))).toEqual([1, 2]);
  });

  it('a key readable by others is refused, naming the database and the file', async () => {
    const r = await bucardo(['add', 'db', 'loose', ...tlsDb(source), ...certLogin('loose.key')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`ERROR: Cannot connect to database "loose" (dbname=${source} host=127.0.0.1 port=${tlsServer.port}): the private key file ${file('loose.key')} (sslkey=) has mode 0644, readable by group or others: it must be u=rw (0600) or less, or u=rw,g=r (0640) or less if owned by root (chmod 0600 ${file('loose.key')}) [CONNECTION_FAILED]\n`);
    expect((await bucardo(['list', 'dbs'])).stdout).not.toMatch(/loose/);
  });

  it('a key that is not the certificate\'s, and a missing file, are refused naming the file', async () => {
    const mismatch = await bucardo(['add', 'db', 'mismatch', ...tlsDb(source), ...certLogin('stranger.key')]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toBe(`ERROR: Cannot connect to database "mismatch" (dbname=${source} host=127.0.0.1 port=${tlsServer.port}): the private key file ${file('stranger.key')} (sslkey=) is not the key of the client certificate ${file('client.crt')} (sslcert=) [CONNECTION_FAILED]\n`);
    const missing = await bucardo(['add', 'db', 'missing', ...tlsDb(source), ...certLogin('client.key', 'nowhere.pem')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`ERROR: Cannot connect to database "missing" (dbname=${source} host=127.0.0.1 port=${tlsServer.port}): the root certificate file ${file('nowhere.pem')} (sslrootcert=) does not exist [CONNECTION_FAILED]\n`);
  });

  it('a CA that did not sign the server\'s certificate replaces Node\'s and is refused, naming the database', async () => {
    const r = await bucardo(['add', 'db', 'wrongca', ...tlsDb(source), ...certLogin('client.key', 'other-ca.pem')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^ERROR: Cannot connect to database "wrongca" \\(dbname=${source} host=127\\.0\\.0\\.1 port=${tlsServer.port}\\): (self-signed certificate in certificate chain|unable to verify the first certificate) \\\(no CA of the root certificate file ${escapeRegExp(file('other-ca.pem'))} \\(sslrootcert=\\) signed the server's certificate: it replaces Node's CAs\\) \\[CONNECTION_FAILED\\]\\n$`));
  });

  it('in a url= query, as libpq takes them: read and checked as the parameters are', async () => {
    const url = (key: string) => `url=postgres://certuser@127.0.0.1:${tlsServer.port}/${source}?sslmode=verify-full&sslrootcert=${file('ca.pem')}&sslcert=${file('client.crt')}&sslkey=${file(key)}`;
    const added = await bucardo(['add', 'db', 'urlsrc', url('client.key')]);
    expect(added.code, added.stderr).toBe(0);
    const loose = await bucardo(['add', 'db', 'urlloose', url('loose.key')]);
    expect(loose.code).toBe(1);
    expect(loose.stderr).toContain(`): the private key file ${file('loose.key')} (sslkey=) has mode 0644`);
    const twice = await bucardo(['add', 'db', 'urltwice', url('client.key'), `sslkey=${file('client.key')}`]);
    expect(twice.stderr).toBe('ERROR: Database "urltwice": sslkey is both in url= and given as sslkey= beside it: give it once [INVALID_ARGUMENT]\n');
  });

  it('the files are read at every connect: a key made unreadable by others after add db fails the next run, naming it', async () => {
    chmodSync(file('client.key'), 0o644);
    try {
      await withClient(tlsServer.url(source), (c) => c.query("INSERT INTO t VALUES (3, 'c')"));
      const kicked = await bucardo(['kick', 's1', '0']);
      expect(kicked.code).toBe(2);
      expect(kicked.stdout).toMatch(/^Kick s1: \[\d+ s\] KILLED!$/m);
      expect(kicked.stdout).toContain(`    Cannot connect to database "certsrc" (dbname=${source} host=127.0.0.1 port=${tlsServer.port}): the private key file ${file('client.key')} (sslkey=) has mode 0644, readable by group or others: it must be u=rw (0600) or less, or u=rw,g=r (0640) or less if owned by root (chmod 0600 ${file('client.key')}) [CONNECTION_FAILED] (db certsrc, sync s1, item ${file('client.key')})\n`);
    } finally {
      chmodSync(file('client.key'), 0o600);
    }
    const again = await bucardo(['kick', 's1', '0']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(await rows(server.url(target))).toEqual([1, 2, 3]);
  });
});

describe('service=', () => {
  it('a service of PGSERVICEFILE is stored by name, listed, and used by every run', async () => {
    const services = file('pg_service.conf');
    writeFileSync(services, [
      '# the TLS source',
      '[tlssvc]',
      'host=127.0.0.1', `port=${tlsServer.port}`, 'user=certuser', `dbname=${serviceSource}`, 'sslmode=verify-full',
      `sslrootcert=${file('ca.pem')}`, `sslcert=${file('client.crt')}`, `sslkey=${file('client.key')}`,
      '',
    ].join('\n'));
    const env = { PGSERVICEFILE: services };
    const added = await bucardo(['add', 'db', 'svcsrc', 'service=tlssvc'], env);
    expect(added.code, added.stderr).toBe(0);
    const stored = await withClient(server.url(control), async (c) => (await c.query("SELECT params FROM bucardo.db WHERE name = 'svcsrc'")).rows[0].params);
    expect(stored).toEqual({ service: 'tlssvc' });
    const listed = await bucardo(['list', 'dbs', 'svcsrc'], env);
    expect(listed.stdout).toContain('Conn: service=tlssvc');
    expect((await bucardo(['add', 'db', 'plain2', `dbname=${target}`])).code).toBe(0);
    expect((await bucardo(['add', 'table', 'public.t', 'db=svcsrc', 'herd=h2'], env)).code).toBe(0);
    expect((await bucardo(['add', 'sync', 's2', 'herd=h2', 'dbs=svcsrc:source,plain2:target', 'autokick=false'], env)).code).toBe(0);
    await withClient(tlsServer.url(serviceSource), (c) => c.query("INSERT INTO t VALUES (10, 'x')"));
    const kicked = await bucardo(['kick', 's2', '0'], env);
    expect(kicked.code, kicked.stdout + kicked.stderr).toBe(0);
    expect(await rows(server.url(target))).toContain(10);
  });

  it('a service\'s password logs a scram role in, where no pass=, PGPASSWORD nor password file gives one', async () => {
    await withClient(tlsServer.url(), (c) => c.query("CREATE ROLE pwuser LOGIN SUPERUSER PASSWORD 'svc-secret'"));
    const services = file('password_service.conf');
    const write = (password: string) => writeFileSync(services, `[pwsvc]\nhost=127.0.0.1\nport=${tlsServer.port}\nuser=pwuser\npassword=${password}\ndbname=${source}\nsslmode=disable\n`);
    // the password file has the control database's entry only (HOME is the test's directory: no ~/.pgpass)
    writeFileSync(file('control.pgpass'), `${server.host}:${server.port}:*:${server.user}:${server.password}\n`, { mode: 0o600 });
    const env = { PGSERVICEFILE: services, PGPASSWORD: undefined, PGPASSFILE: file('control.pgpass') };
    write('svc-secret');
    const added = await bucardo(['add', 'db', 'pwsrc', 'service=pwsvc'], env);
    expect(added.code, added.stderr).toBe(0);
    write('wrong');
    const wrong = await bucardo(['add', 'db', 'pwbad', 'service=pwsvc'], env);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(`ERROR: Cannot connect to database "pwbad" (service=pwsvc): password authentication failed for user "pwuser" (the password came from the service file) [CONNECTION_FAILED]\n`);
  });

  it('an unknown service and a malformed file are refused naming the service, the file and the line', async () => {
    const services = file('bad_service.conf');
    // a bad line in another service is not read (as libpq); one in the service's section is named, never quoted
    writeFileSync(services, '[other]\npassword hunter2\n[good]\nhost=127.0.0.1\nthis line has no equals sign\n');
    const unknown = await bucardo(['add', 'db', 'nosvc', 'service=absent'], { PGSERVICEFILE: file('empty.conf'), PGSYSCONFDIR: dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(`ERROR: Cannot connect to database "nosvc" (service=absent): The service "absent" is not defined in ${file('empty.conf')} nor in ${file('pg_service.conf')} [INVALID_ARGUMENT]\n`);
    const broken = await bucardo(['add', 'db', 'broken', 'service=good'], { PGSERVICEFILE: services });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toBe(`ERROR: Cannot connect to database "broken" (service=good): Syntax error in the service file ${services}, line 5 (service "good"): the line is neither a [service] nor key=value [INVALID_ARGUMENT]\n`);
    const other = await bucardo(['add', 'db', 'other', 'service=other'], { PGSERVICEFILE: services });
    expect(other.stderr).toBe(`ERROR: Cannot connect to database "other" (service=other): Syntax error in the service file ${services}, line 2 (service "other"): the line is neither a [service] nor key=value [INVALID_ARGUMENT]\n`);
  });
});

describe('the control connection', () => {
  it('PGSERVICE names the control database\'s server, user, password and database', async () => {
    const services = file('control_service.conf');
    writeFileSync(services, `[ctl]\nhost=${server.host}\nport=${server.port}\nuser=${server.user}\npassword=${server.password}\ndbname=${control}\n`);
    const r = await bucardo(['list', 'dbs', 'plain'], { PGSERVICEFILE: services, PGSERVICE: 'ctl', PGHOST: '/nonexistent', PGPORT: '1', PGPASSWORD: undefined, BUCARDO_CONTROL_DB: undefined });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Database: plain');
    // a service with TLS settings: the certificate login to the TLS cluster (which has no control schema)
    writeFileSync(services, `[ctltls]\nhost=127.0.0.1\nport=${tlsServer.port}\nuser=certuser\ndbname=${source}\nsslmode=verify-full\nsslrootcert=${file('ca.pem')}\nsslcert=${file('client.crt')}\nsslkey=${file('client.key')}\n`);
    const tls = await bucardo(['list', 'dbs'], { PGSERVICEFILE: services, PGSERVICE: 'ctltls', PGHOST: '/nonexistent', PGPORT: '1', PGPASSWORD: undefined, BUCARDO_CONTROL_DB: undefined });
    expect(tls.stderr).toBe(`ERROR: The control database "${source}" has no Bucardo schema: run "bucardo install" first [CONTROL_NOT_INSTALLED]\n`);
  });

  it('a service\'s sslmode is checked as a database\'s: prefer is refused, naming the service and its file', async () => {
    const services = file('weak_service.conf');
    writeFileSync(services, `[weak]\nhost=${server.host}\nport=${server.port}\nuser=${server.user}\npassword=${server.password}\ndbname=${control}\nsslmode=prefer\n`);
    const r = await bucardo(['list', 'dbs'], { PGSERVICEFILE: services, PGSERVICE: 'weak', PGHOST: '/nonexistent', PGPORT: '1', PGPASSWORD: undefined, BUCARDO_CONTROL_DB: undefined });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`ERROR: Cannot connect to the control database "${control}": sslmode=prefer (from service "weak", ${services}) falls back to an unencrypted connection, which anyone on the network can force, and is not offered: give require (TLS, the server's certificate unchecked), verify-ca (checked against the trusted CAs), verify-full (and its host name), or disable [INVALID_ARGUMENT]\n`);
  });

  it('PGSSLROOTCERT, PGSSLCERT and PGSSLKEY give it a certificate login', async () => {
    // the TLS cluster has no control schema: reaching it as certuser is what the test asks
    const env = { PGHOST: '127.0.0.1', PGPORT: String(tlsServer.port), PGUSER: 'certuser', PGPASSWORD: undefined, BUCARDO_CONTROL_DB: source, PGSSLMODE: 'verify-full' };
    const without = await bucardo(['list', 'dbs'], env);
    expect(without.stderr).toBe('ERROR: Cannot connect to the control database "tls_src": self-signed certificate in certificate chain [CONNECTION_FAILED]\n');
    const files = { PGSSLROOTCERT: file('ca.pem'), PGSSLCERT: file('client.crt'), PGSSLKEY: file('client.key') };
    const loose = await bucardo(['list', 'dbs'], { ...env, ...files, PGSSLKEY: file('loose.key') });
    expect(loose.stderr).toBe(`ERROR: Cannot connect to the control database "tls_src": the private key file ${file('loose.key')} (PGSSLKEY) has mode 0644, readable by group or others: it must be u=rw (0600) or less, or u=rw,g=r (0640) or less if owned by root (chmod 0600 ${file('loose.key')}) [CONNECTION_FAILED]\n`);
    // logged in as certuser by its certificate: what is missing now is the schema
    const r = await bucardo(['list', 'dbs'], { ...env, ...files });
    expect(r.stderr).toBe('ERROR: The control database "tls_src" has no Bucardo schema: run "bucardo install" first [CONTROL_NOT_INSTALLED]\n');
  });
});
