/**
 * Passwords, end to end with the `bucardo` command, for a role that logs in with a password:
 *
 *  - `pass=env:NAME` is stored as that reference (never the password), shown as `pass=env:NAME`, and
 *    resolved from the environment of whichever process connects (the CLI, the daemon); a variable that is
 *    not set is a CONNECTION_FAILED naming the database and the variable;
 *  - with no `pass=`, the password file is used (PGPASSFILE, or ~/.pgpass; ignored when others can read it);
 *    so it is for the control database without `-P`;
 *  - no password, whether given literally, by reference or in the password file, is printed by
 *    `list dbs`, `list all -vv`, `status`, `status SYNC`, the daemon's log (at debug level) or the error
 *    of a failed connection.
 *
 * The control database is reached as the server's user with `-P` (and PGPASSWORD unset, so that it cannot
 * stand in for the role's password).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo, connectionUrl } from '../src/fixtures/pg-server.js';
import { runBucardo, type CliResult } from '../src/helpers/cli.js';
import { assertConverged, createDatabase, dropDatabase, serverAsksPassword, uniqueName, withClient } from '../src/helpers/databases.js';
import { controlState } from './support/control-state.js';
import { alive, sleep, waitFor } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('sec_ctl');
const role = uniqueName('sec_role');
const secret = `S3cret-${randomBytes(8).toString('hex')}`;
const wrong = `Wr0ng-${randomBytes(8).toString('hex')}`;
const dbs = { sa: uniqueName('sec_a'), sb: uniqueName('sec_b'), sc: uniqueName('sec_c') };
const home = mkdtempSync(path.join(os.tmpdir(), 'sec-home-'));
const pidDir = mkdtempSync(path.join(os.tmpdir(), 'sec-pid-'));
const logDir = mkdtempSync(path.join(os.tmpdir(), 'sec-log-'));
const pgpass = path.join(home, 'pgpass.conf');
const sql = (db: string, text: string) => withClient(server.url(db), (c) => c.query(text));
const roleUrl = (db: string) => connectionUrl({ ...server, user: role, password: secret }, db);

/** The CLI with the control database given by flags, PGPASSWORD unset and HOME pointing at our own directory. */
function bucardo(env: Record<string, string | undefined>, ...args: string[]): Promise<CliResult> {
  return runBucardo(['-h', server.host, '-p', String(server.port), '-U', server.user, '-P', server.password, '-d', control, ...args], {
    env: { PGHOST: server.host, PGPORT: String(server.port), PGUSER: undefined, PGPASSWORD: undefined, PGPASSFILE: undefined, BUCARDO_CONTROL_DB: undefined, HOME: home, BUCARDO_PID_DIR: pidDir, ...env },
  });
}

/** Exit 0, and no password of ours in what it printed. */
function clean(r: CliResult, what: string): CliResult {
  expect(r.code, `${what}\n${r.stdout}${r.stderr}`).toBe(0);
  expectNoSecret(r.stdout + r.stderr, what);
  return r;
}

function expectNoSecret(text: string, what: string): void {
  for (const password of [secret, wrong]) expect(text.includes(password), `${what} printed a password`).toBe(false);
}

let passwordAuth = false;
let daemonPid: number | undefined;

beforeAll(async () => {
  passwordAuth = await serverAsksPassword(server);
  if (!passwordAuth) return;
  await sql('postgres', `CREATE ROLE ${role} LOGIN PASSWORD ${pg.escapeLiteral(secret)}`);
  await createDatabase(server, control);
  for (const db of Object.values(dbs)) {
    await createDatabase(server, db);
    await sql('postgres', `ALTER DATABASE ${db} OWNER TO ${role}`);
    await withClient(roleUrl(db), (c) => c.query('CREATE TABLE t (id int PRIMARY KEY, v text)'));
  }
  writeFileSync(pgpass, `# host:port:database:user:password\n${server.host}:${server.port}:*:${role}:${secret}\n`);
  chmodSync(pgpass, 0o600);
  const install = await bucardo({}, 'install');
  expect(install.code, install.stderr).toBe(0);
});

afterAll(async () => {
  if (daemonPid !== undefined && alive(daemonPid)) {
    process.kill(daemonPid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(daemonPid); i++) await sleep(100);
    if (alive(daemonPid)) process.kill(daemonPid, 'SIGKILL');
  }
  for (const db of [...Object.values(dbs), control]) await dropDatabase(server, db);
  await sql('postgres', `DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  for (const dir of [home, pidDir, logDir]) rmSync(dir, { recursive: true, force: true });
});

describe('passwords', () => {
  it('pass=env:NAME: stored as the reference, shown as pass=env:NAME, resolved by the process that connects', async (ctx) => {
    if (!passwordAuth) ctx.skip();
    const added = clean(await bucardo({ SEC_PW: secret }, 'add', 'db', 'ea', `dbname=${dbs.sa}`, `user=${role}`, 'pass=env:SEC_PW'), 'add db ea');
    expect(added.stdout).toContain('Added database "ea"');
    const [row] = (await sql(control, "SELECT params FROM bucardo.db WHERE name = 'ea'")).rows;
    // host and port come from the adding process's PGHOST and PGPORT, and are stored
    expect(row.params).toEqual({ dbname: dbs.sa, user: role, pass: 'env:SEC_PW', host: server.host, port: String(server.port) });
    expectNoSecret(JSON.stringify(await controlState(server.url(control))), 'the control database');
    const list = clean(await bucardo({}, 'list', 'dbs'), 'list dbs');
    expect(list.stdout).toMatch(new RegExp(`^Database: ea\\s+Status: active\\s+Conn: psql -p ${server.port} -U ${role} -d ${dbs.sa} -h \\S+ \\(pass=env:SEC_PW\\)$`, 'm'));

    // a variable that is not set, or set to the wrong password, in the process that connects
    const before = await controlState(server.url(control));
    const unset = await bucardo({ SEC_PW: undefined }, 'add', 'db', 'eb', `dbname=${dbs.sb}`, `user=${role}`, 'pass=env:SEC_PW');
    expect(unset.code).not.toBe(0);
    expect(unset.stderr).toMatch(/Cannot connect to database "eb" .*pass=env:SEC_PW, and the environment variable SEC_PW is not set .*\[CONNECTION_FAILED\]/);
    const bad = await bucardo({ SEC_PW: wrong }, 'add', 'db', 'eb', `dbname=${dbs.sb}`, `user=${role}`, 'pass=env:SEC_PW');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Cannot connect to database "eb" .*password authentication failed .*\(the password came from the environment variable SEC_PW\) \[CONNECTION_FAILED\]/);
    expectNoSecret(unset.stdout + unset.stderr + bad.stdout + bad.stderr, 'a failed add db');
    for (const [value, why] of [['env:', 'empty name'], ['env:1X', 'not a variable name'], ['env:A-B', 'not a variable name']] as const) {
      const r = await bucardo({}, 'add', 'db', 'ec', `dbname=${dbs.sb}`, `user=${role}`, `pass=${value}`);
      expect(r.code, why).not.toBe(0);
      expect(r.stderr, why).toContain('[INVALID_ARGUMENT]');
      expect(r.stderr, why).toContain('pass=env:NAME');
    }
    expect(await controlState(server.url(control))).toEqual(before);
  });

  it('no pass=: the password file (PGPASSFILE, else ~/.pgpass) is used, and ignored when others can read it', async (ctx) => {
    if (!passwordAuth) ctx.skip();
    clean(await bucardo({ PGPASSFILE: pgpass }, 'add', 'db', 'pb', `dbname=${dbs.sb}`, `user=${role}`), 'add db pb (PGPASSFILE)');
    const [row] = (await sql(control, "SELECT params FROM bucardo.db WHERE name = 'pb'")).rows;
    expect(row.params).toEqual({ dbname: dbs.sb, user: role, host: server.host, port: String(server.port) });

    // ~/.pgpass, and the same file made readable by others, which libpq (and so Bucardo) ignores
    const dotfile = path.join(home, '.pgpass');
    writeFileSync(dotfile, `*:*:*:${role}:${secret}\n`);
    chmodSync(dotfile, 0o644);
    const exposed = await bucardo({}, 'add', 'db', 'pc', `dbname=${dbs.sc}`, `user=${role}`);
    expect(exposed.code).not.toBe(0);
    expect(exposed.timedOut, 'the command hung after the failed login').toBe(false);
    expect(exposed.stderr).toMatch(/Cannot connect to database "pc" .*the server asks for a password and none was given .*\[CONNECTION_FAILED\]/);
    chmodSync(dotfile, 0o600);
    clean(await bucardo({}, 'add', 'db', 'pc', `dbname=${dbs.sc}`, `user=${role}`), 'add db pc (~/.pgpass)');
    rmSync(dotfile);
  });

  it('the control database without -P: its password comes from the password file, with no deprecation warning', async (ctx) => {
    if (!passwordAuth) ctx.skip();
    const file = path.join(home, 'control.pgpass');
    writeFileSync(file, `${server.host}:${server.port}:${control}:${server.user}:${server.password.replace(/[\\:]/g, '\\$&')}\n`);
    chmodSync(file, 0o600);
    const env = { PGHOST: server.host, PGPORT: String(server.port), PGUSER: undefined, PGPASSWORD: undefined, PGPASSFILE: file, BUCARDO_CONTROL_DB: undefined, HOME: home, BUCARDO_PID_DIR: pidDir };
    const listed = await runBucardo(['-h', server.host, '-p', String(server.port), '-U', server.user, '-d', control, 'list', 'dbs'], { env });
    expect(listed.code, listed.stdout + listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^Database: pb /m);
    expect(listed.stderr).not.toMatch(/deprecat/i);
    // without the file, the same command fails clearly, and names the control database
    const without = await runBucardo(['-h', server.host, '-p', String(server.port), '-U', server.user, '-d', control, 'list', 'dbs'], { env: { ...env, PGPASSFILE: path.join(home, 'none') } });
    expect(without.timedOut, 'the command hung after the failed login').toBe(false);
    expect(without.code).toBe(1);
    expect(without.stderr).toContain(`Cannot connect to the control database "${control}": the server asks for a password and none was given`);
    rmSync(file);
  });

  it('a sync over env:, pgpass and a literal password: fails naming a missing variable, runs in a daemon, and no password is printed or logged', async (ctx) => {
    if (!passwordAuth) ctx.skip();
    clean(await bucardo({}, 'add', 'db', 'lit', `dbname=${dbs.sc}`, `user=${role}`, `pass=${secret}`), 'add db lit (literal password)');
    const daemonEnv = { SEC_PW: secret, PGPASSFILE: pgpass };
    clean(await bucardo(daemonEnv, 'add', 'table', 't', 'herd=h', 'db=ea'), 'add table');
    clean(await bucardo(daemonEnv, 'add', 'sync', 's', 'herd=h', 'dbs=ea:source,pb:source,lit:target', 'autokick=true'), 'add sync');

    // a run in a process that lacks the variable fails, naming the database and the variable
    await withClient(roleUrl(dbs.sa), (c) => c.query("INSERT INTO t VALUES (1, 'from a')"));
    const killed = await bucardo({ PGPASSFILE: pgpass }, 'kick', 's', '0');
    expect(killed.code, killed.stdout + killed.stderr).toBe(2);
    expect(killed.stdout).toMatch(/KILLED!/);
    expect(killed.stdout).toMatch(/Cannot connect to database "ea" .*the environment variable SEC_PW is not set .*\[CONNECTION_FAILED\]/);
    expectNoSecret(killed.stdout + killed.stderr, 'kick without the variable');

    // the daemon has the variable and the password file: it runs the sync
    const started = clean(await bucardo(daemonEnv, '--log-destination', logDir, '--log-level', 'debug', 'start', 'secrets'), 'start');
    daemonPid = Number(/Starting Bucardo \(PID (\d+)\)/.exec(started.stdout)?.[1]);
    expect(daemonPid).toBeGreaterThan(0);
    await withClient(roleUrl(dbs.sb), (c) => c.query("INSERT INTO t VALUES (2, 'from b')"));
    const urls = Object.values(dbs).map(roleUrl);
    await waitFor('both rows on every database', async () => {
      for (const url of urls) {
        const rows = await withClient(url, (c) => c.query('SELECT id FROM t ORDER BY id'));
        if (rows.rows.map((r) => r.id).join(',') !== '1,2') return false;
      }
      return true;
    }, 30_000, 200);
    await assertConverged(urls, { t: 'id' });

    for (const args of [['list', 'dbs'], ['list', 'all', '-vv'], ['status'], ['status', 's']]) clean(await bucardo({}, ...args), args.join(' '));
    const stop = await bucardo({}, 'stop');
    expect(stop.code, stop.stderr).toBe(0);
    const log = readFileSync(path.join(logDir, 'log.bucardo'), 'utf8');
    expect(log).toMatch(/sync=s run=\d+ /);
    expectNoSecret(log, 'the daemon log');
    expect(log.includes(server.password) && server.password.length > 0, 'the daemon log printed the control password').toBe(false);
  });
});
