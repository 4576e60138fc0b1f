/**
 * The seed demo (Bucardo's ten steps: pgbench tables on four sources and a target, through the `bucardo`
 * command) run entirely as an ordinary role: LOGIN, no SUPERUSER, CREATEDB, CREATEROLE, REPLICATION or
 * BYPASSRLS. It owns the five databases and their tables; on the control database, which it does not own,
 * it has only CREATE (and the default CONNECT). Capture is installed by it, the daemon runs as it, echo is
 * prevented without session_replication_role (which it may not set), and all five databases converge.
 * plugins/postgres/README.md ("Privileges") lists exactly what the role needs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectionUrl, serverFromInfo } from '../src/fixtures/pg-server.js';
import { bucardoEnv, runBucardo, type CliResult } from '../src/helpers/cli.js';
import { assertConverged, createDatabase, dropDatabase, uniqueName, withClient } from '../src/helpers/databases.js';
import { workload } from '../src/helpers/workload/index.js';
import { alive, sleep, waitFor } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const role = uniqueName('lp_role');
const password = `lp-${randomBytes(8).toString('hex')}`;
const control = uniqueName('lp_ctl');
const dbnames = [1, 2, 3, 4, 5].map((i) => uniqueName(`lp_btest${i}`));
const asRole = (db: string) => connectionUrl({ ...server, user: role, password }, db);
const urls = dbnames.map(asRole);
const pidDir = mkdtempSync(path.join(os.tmpdir(), 'lp-pid-'));
const logDir = mkdtempSync(path.join(os.tmpdir(), 'lp-log-'));
const env = { ...bucardoEnv({ ...server, user: role, password }, control), BUCARDO_PID_DIR: pidDir };
const bucardo = (...args: string[]): Promise<CliResult> => runBucardo(args, { env });
const admin = (db: string, text: string) => withClient(server.url(db), (c) => c.query(text));
const TABLES = { pgbench_accounts: 'aid', pgbench_branches: 'bid', pgbench_tellers: 'tid' } as const;

let superuser = false;
let daemonPid: number | undefined;

async function ok(...args: string[]): Promise<string> {
  const r = await bucardo(...args);
  expect(r.code, `bucardo ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Rows in every delta table of a source (capture's own bookkeeping), or only those written after `after` (a server time). */
async function deltaRows(url: string, after?: string): Promise<number> {
  return withClient(url, async (c) => {
    const tables = await c.query<{ name: string }>("SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'bucardo' AND tablename LIKE 'delta\\_%'");
    let n = 0;
    for (const { name } of tables.rows) {
      n += Number((await c.query(`SELECT count(*) AS n FROM bucardo.${name} WHERE $1::timestamptz IS NULL OR bucardo_changed_at > $1`, [after ?? null])).rows[0].n);
    }
    return n;
  });
}

beforeAll(async () => {
  superuser = (await admin('postgres', "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).rows[0].rolsuper === true;
  if (!superuser) return; // making roles needs one; an external server given by URL may not allow it
  await admin('postgres', `CREATE ROLE ${role} LOGIN PASSWORD ${pg.escapeLiteral(password)} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`);
  // the control database belongs to someone else; the role may create schemas in it
  await createDatabase(server, control);
  await admin('postgres', `GRANT CREATE ON DATABASE ${control} TO ${role}`);
  // createdb btest1 (owned by the role) && pgbench -i btest1 (as the role); btest2 … btest5 as copies
  await createDatabase(server, dbnames[0]!);
  await admin('postgres', `ALTER DATABASE ${dbnames[0]} OWNER TO ${role}`);
  await workload.init(urls[0]!, { scale: 1 });
  for (const db of dbnames.slice(1)) {
    await createDatabase(server, db, { template: dbnames[0]! });
    await admin('postgres', `ALTER DATABASE ${db} OWNER TO ${role}`);
  }
});

afterAll(async () => {
  if (daemonPid !== undefined && alive(daemonPid)) {
    await bucardo('stop');
    for (let i = 0; i < 100 && alive(daemonPid); i++) await sleep(100);
    if (alive(daemonPid)) process.kill(daemonPid, 'SIGKILL');
  }
  for (const db of [...dbnames, control]) await dropDatabase(server, db);
  await admin('postgres', `DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  for (const dir of [pidDir, logDir]) rmSync(dir, { recursive: true, force: true });
});

describe('the seed demo as an ordinary role', () => {
  it('installs, adds, captures, runs a daemon and converges with no superuser; echo is prevented without session_replication_role', async (ctx) => {
    if (!superuser) ctx.skip();
    const [attributes] = (await admin('postgres', `SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = '${role}'`)).rows;
    expect(attributes).toEqual({ rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false, rolcanlogin: true });
    // the role cannot use the superuser's way of silencing triggers
    await expect(withClient(urls[0]!, (c) => c.query('SET session_replication_role = replica'))).rejects.toMatchObject({ code: '42501' });

    await ok('install');
    for (const [i, db] of dbnames.entries()) await ok('add', 'db', `t${i + 1}`, `dbname=${db}`);
    await ok('add', 'table', 'pgbench_accounts', 'pgbench_branches', 'pgbench_tellers', 'herd=therd');
    await ok('add', 'dbgroup', 'tgroup', 't1:source', 't2:source', 't3:source', 't4:source', 't5:target');
    await ok('add', 'sync', 'foobar', 'herd=therd', 'dbs=tgroup', 'ping=false');

    // everything Bucardo made is the role's: the control schema, and capture on each source (not the target)
    const owner = async (url: string) => (await withClient(url, (c) => c.query(
      `SELECT (SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'bucardo') AS schema,
              (SELECT array_agg(DISTINCT proowner::regrole::text) FROM pg_proc WHERE pronamespace = 'bucardo'::regnamespace) AS functions,
              (SELECT count(*)::int FROM pg_trigger WHERE tgname LIKE 'bucardo_capture%') AS triggers`))).rows[0];
    expect((await withClient(server.url(control), (c) => c.query("SELECT nspowner::regrole::text AS o FROM pg_namespace WHERE nspname = 'bucardo'"))).rows[0].o).toBe(role);
    for (const url of urls.slice(0, 4)) {
      const got = await owner(url);
      expect(got.schema).toBe(role);
      expect(got.functions).toEqual([role]);
      expect(got.triggers).toBeGreaterThanOrEqual(3);
    }
    expect((await withClient(urls[4]!, (c) => c.query("SELECT count(*)::int AS n FROM pg_trigger WHERE tgname LIKE 'bucardo_capture%'"))).rows[0].n).toBe(0);

    const started = await ok('--log-destination', logDir, 'start', 'least privilege');
    daemonPid = Number(/Starting Bucardo \(PID (\d+)\)/.exec(started)?.[1]);
    expect(daemonPid).toBeGreaterThan(0);
    await waitFor('the daemon to take the sync and be idle', async () => {
      const rows = (await withClient(server.url(control), (c) => c.query("SELECT state FROM bucardo.sync_worker WHERE sync = 'foobar'"))).rows;
      return rows[0]?.state === 'idle';
    }, 30_000, 200);
    // idle means the run of a sync just taken is over: the worker is claimed as running, not idle
    const takeover = (await withClient(server.url(control), (c) => c.query(
      "SELECT outcome FROM bucardo.syncrun WHERE sync = 'foobar' AND worker LIKE 'daemon %' AND ended IS NOT NULL"))).rows;
    expect(takeover.map((run) => run.outcome)).toEqual(['empty']);

    // pgbench on the four sources, as the role, then kick
    await Promise.all(urls.slice(0, 4).map((url, i) => workload.run(url, { transactions: 100, seed: 2000 + i })));
    const deltasBefore = await Promise.all(urls.slice(0, 4).map((url) => deltaRows(url)));
    expect(deltasBefore.every((n) => n > 0), `pgbench was captured on every source: ${deltasBefore}`).toBe(true);
    const kickedAt = (await withClient(urls[0]!, (c) => c.query<{ now: string }>('SELECT clock_timestamp()::text AS now'))).rows[0]!.now;
    const kicked = await ok('kick', 'foobar', '0');
    expect(kicked).toMatch(/DONE!/);
    await assertConverged(urls, TABLES);
    // echo: what the run wrote into the sources was not captured there (counted by time, not in all: the
    // daemon may purge the records the run consumed at any moment after it)
    expect(await Promise.all(urls.slice(0, 4).map((url) => deltaRows(url, kickedAt)))).toEqual([0, 0, 0, 0]);
    expect(await ok('kick', 'foobar', '0')).toMatch(/DONE!/);
    const runs = (await withClient(server.url(control), (c) => c.query("SELECT outcome FROM bucardo.syncrun WHERE sync = 'foobar' ORDER BY id DESC LIMIT 2"))).rows;
    expect(runs.map((run) => run.outcome)).toEqual(['empty', 'good']);
    const status = await ok('status');
    expect(status).toMatch(/^ foobar\s+\| Good /m);

    await ok('stop');
    await waitFor('the daemon to stop', async () => !alive(daemonPid!), 15_000, 100);
    const log = readFileSync(path.join(logDir, 'log.bucardo'), 'utf8');
    expect(log).not.toMatch(/permission denied|must be (owner|superuser)/i);
  });
});
