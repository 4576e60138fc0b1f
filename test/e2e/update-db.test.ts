/**
 * `bucardo update db NAME key=value… [--force]` (Bucardo's `update db`), run as processes: a target's role
 * gets a new password, the runs fail naming the database, and `update db` with the new password makes the
 * next kick deliver everything written meanwhile. A new password that does not work is refused and
 * changes nothing (unless `--force`); so are an unknown database or setting, a type change, an empty
 * value, and nothing to change. A database set `status=inactive` stops its syncs' runs (DB_INACTIVE naming
 * it) until it is active again, its changes kept. A change someone else stores while `update db`
 * test-connects wins: `update db` then refuses and stores nothing of its own.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { assertConverged } from '../src/helpers/databases.js';
import { DaemonWorld, waitFor, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'udb');
const role = `udb_r_${randomUUID().slice(0, 8)}`;
let a: Db;
let b: Db;

/** What the control database holds for B: its user, password and port. */
async function storedB(): Promise<{ user: string; pass: string; port: string; status: string }> {
  const [row] = await world.sql("SELECT params->>'user' AS user, params->>'pass' AS pass, params->>'port' AS port, status FROM bucardo.db WHERE name = 'ud_B'");
  return row as { user: string; pass: string; port: string; status: string };
}

async function rowsOn(db: Db): Promise<number> {
  return Number((await world.query(db.url, 'SELECT count(*)::int AS n FROM t'))[0]!.n);
}

describe('update db', () => {
  beforeAll(async () => {
    await world.install();
    a = await world.database('ud_A');
    b = await world.database('ud_B');
    await world.query(b.url, `CREATE ROLE ${role} LOGIN PASSWORD 'first'; GRANT ALL ON TABLE t TO ${role}`);
    // one more, added with a url: parts the url names are changed in the url, not beside it
    await world.api.addDatabase('ud_U', { url: `postgres://${server.user}@${server.host}:${server.port}/${b.dbname}`, ...(server.password ? { pass: server.password } : {}) });
    await world.api.addTables(['t'], { herd: 'ud_h', db: 'ud_A' });
    await world.api.addDbGroup('ud_g', ['ud_A:source', 'ud_B:target']);
    await world.api.addSync('ud', { herd: 'ud_h', dbs: 'ud_g', autokick: 'false' });
  });
  afterAll(async () => {
    await world.dispose();
    await world.query(server.url('postgres'), `DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  });

  it('changes the role and password a database is reached with; the next run uses them', async () => {
    const changed = await world.ok('update', 'db', 'ud_B', `user=${role}`, 'password=first');
    expect(changed).toBe(`Changed database "ud_B": pass, user\n  Conn: psql -p ${server.port} -U ${role} -d ${b.dbname} -h ${server.host}\n`);
    expect(await storedB()).toMatchObject({ user: role, pass: 'first' });
    await world.query(a.url, "INSERT INTO t SELECT i, 'one' FROM generate_series(1, 10) i");
    expect(await world.ok('kick', 'ud', '0')).toMatch(/^Kick ud: \[\d+ s\] DONE!$/m);
    expect(await rowsOn(b)).toBe(10);
  });

  it('after the password changed on the server: the run fails naming the database; a wrong new password is refused and changes nothing; the right one delivers what was written meanwhile', async () => {
    await world.query(b.url, `ALTER ROLE ${role} PASSWORD 'second'`);
    await world.query(a.url, "INSERT INTO t SELECT i, 'two' FROM generate_series(11, 20) i");
    const failed = await world.bucardo('kick', 'ud', '0');
    expect(failed.code).toBe(2);
    expect(failed.stdout).toMatch(/KILLED!/);
    expect(failed.stdout + failed.stderr).toMatch(new RegExp(`Cannot connect to database "ud_B" .*password authentication failed for user "${role}".*\\[CONNECTION_FAILED\\]`));

    const wrong = await world.bucardo('update', 'db', 'ud_B', 'pass=third');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(new RegExp(`^ERROR: Cannot connect to database "ud_B" .*password authentication failed for user "${role}".*\\[CONNECTION_FAILED\\]`));
    expect(wrong.stdout).toBe('');
    expect(await storedB()).toMatchObject({ pass: 'first' });

    expect(await world.ok('update', 'db', 'ud_B', 'pass=second')).toMatch(/^Changed database "ud_B": pass\n/);
    expect(await world.ok('kick', 'ud', '0')).toMatch(/^Kick ud: \[\d+ s\] DONE!$/m);
    expect(await rowsOn(b)).toBe(20);
    await assertConverged([a.url, b.url], { t: 'id' });
  });

  it('with --force, stores a setting it cannot test (a port nothing listens on); runs then fail naming the database until it is put back', async () => {
    expect(await world.ok('update', 'db', 'ud_B', 'port=1', '--force')).toMatch(/^Changed database "ud_B": port\n/);
    expect(await storedB()).toMatchObject({ port: '1' });
    await world.query(a.url, "INSERT INTO t VALUES (21, 'three')");
    const failed = await world.bucardo('kick', 'ud', '0');
    expect(failed.code).toBe(2);
    expect(failed.stdout + failed.stderr).toMatch(/Cannot connect to database "ud_B" .*port=1.*\[CONNECTION_FAILED\]/);
    expect(await world.ok('update', 'db', 'ud_B', `port=${server.port}`)).toMatch(/^Changed database "ud_B": port\n/);
    expect(await world.ok('kick', 'ud', '0')).toMatch(/DONE!/);
    expect(await rowsOn(b)).toBe(21);
    // the same values again: nothing changes, nothing to test
    expect(await world.ok('update', 'db', 'ud_B', `port=${server.port}`)).toBe('Database "ud_B" unchanged\n');
  });

  it.each([
    [['update', 'db', 'nosuch', 'pass=x'], 'ERROR: There is no database named "nosuch" [DB_NOT_FOUND]'],
    [['update', 'db', 'ud_B', 'bogus=1'], 'ERROR: Database "ud_B": Unknown option "bogus" for a PostgreSQL database'],
    [['update', 'db', 'ud_B', 'port=abc'], 'ERROR: Database "ud_B": port must be a number, not "abc" [INVALID_ARGUMENT]'],
    [['update', 'db', 'ud_B', 'host='], 'ERROR: host= is empty: update db sets values, it does not clear them (remove the database and add it again without it) [INVALID_ARGUMENT]'],
    [['update', 'db', 'ud_B', 'status=paused'], 'ERROR: status must be active or inactive, not "paused" [INVALID_ARGUMENT]'],
    [['update', 'db', 'ud_B', 'type=flatfile'], 'ERROR: The type of database "ud_B" (postgres) cannot change: remove it and add it again [INVALID_ARGUMENT]'],
    [['update', 'db', 'ud_B'], 'ERROR: Nothing to change: bucardo update db ud_B key=value … [INVALID_ARGUMENT]'],
    [['update', 'db', 'ud_U', 'host=127.0.0.2'], "ERROR: Database \"ud_U\": Give host in url=, not as host= beside it: the url's would win (change the url instead) [INVALID_ARGUMENT]"],
  ])('refuses %j, naming what is wrong, and changes nothing', async (args, message) => {
    const before = await storedB();
    const result = await world.bucardo(...args);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stderr.split('\n')[0]).toContain(message);
    expect(result.stdout).toBe('');
    expect(await storedB()).toEqual(before);
  });

  it('a change stored by someone else while it test-connects: refused, naming the database, and the other change kept', async () => {
    await world.api.addDatabase('ud_R', { dbname: b.dbname, host: server.host, port: String(server.port), user: server.user, ...(server.password ? { pass: server.password } : {}) });
    const stored = async () => (await world.sql("SELECT params->>'port' AS port, status FROM bucardo.db WHERE name = 'ud_R'"))[0];
    // holds each connection until released, then passes it to the server: the test-connect waits there
    const held: net.Socket[] = [];
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => { release = resolve; });
    const gate = net.createServer((client) => {
      held.push(client);
      void released.then(() => {
        const upstream = net.connect(server.port, server.host);
        for (const socket of [client, upstream]) socket.on('error', () => { client.destroy(); upstream.destroy(); });
        client.pipe(upstream).pipe(client);
      });
    });
    await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve));
    const gatePort = String((gate.address() as net.AddressInfo).port);
    try {
      const moving = world.bucardo('update', 'db', 'ud_R', 'host=127.0.0.1', `port=${gatePort}`);
      await waitFor('the test-connect at the gate', async () => held.length > 0, 15_000);
      expect(await world.ok('update', 'db', 'ud_R', 'status=inactive')).toMatch(/^Changed database "ud_R": status\n/);
      release();
      const refused = await moving;
      expect(refused.code, refused.stdout + refused.stderr).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toBe('ERROR: Database "ud_R" was changed or removed by someone else meanwhile: nothing changed, look at it again (bucardo list db ud_R) [INVALID_ARGUMENT]\n');
      expect(await stored()).toEqual({ port: String(server.port), status: 'inactive' });
    } finally {
      release();
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => gate.close(() => resolve()));
    }
  });

  it('status=inactive is stored and listed; the sync does not run until it is active again, and its changes wait', async () => {
    expect(await world.ok('update', 'db', 'ud_B', 'status=inactive')).toMatch(/^Changed database "ud_B": status\n {2}Conn: .* \(inactive\)\n$/);
    expect(await storedB()).toMatchObject({ status: 'inactive' });
    const before = await rowsOn(b);
    await world.query(a.url, "INSERT INTO t SELECT i, 'inactive' FROM generate_series(1001, 1005) i");
    const refused = await world.bucardo('kick', 'ud', '0');
    expect(refused.code).toBe(2);
    expect(refused.stdout).toMatch(/KILLED!/);
    expect(refused.stdout + refused.stderr).toContain('Database "ud_B" (target) of sync "ud" is inactive: the sync does not run until it is active again (bucardo update db ud_B status=active), or the database is taken out of dbgroup "ud_g"; the changes wait in the sources\' delta tables');
    expect(await rowsOn(b)).toBe(before);
    expect(await world.ok('delta', 'ud_A')).toMatch(/^Total deltas across all targets: 5$/m);

    expect(await world.ok('update', 'db', 'ud_B', 'status=active')).toMatch(/^Changed database "ud_B": status\n/);
    expect(await world.ok('kick', 'ud', '0')).toMatch(/DONE!/);
    expect(await rowsOn(b)).toBe(before + 5);
    await assertConverged([a.url, b.url], { t: 'id' });
  });
});
