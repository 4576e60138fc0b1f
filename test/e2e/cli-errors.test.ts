/**
 * Bad input through the `bucardo` command, run as a process: every case exits non-zero, prints the
 * error code in brackets and the offending name on stderr, and changes nothing, neither in the control
 * database (its catalog tables, checkpoints and run history, and what `bucardo list` prints) nor on the
 * replicated databases.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { bucardoEnv, runBucardo, type CliResult } from '../src/helpers/cli.js';
import { assertConverged, createDatabase, dropDatabase, serverAsksPassword, tableFingerprint, uniqueName, withClient } from '../src/helpers/databases.js';
import { controlState as controlTables } from './support/control-state.js';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('errs_control');
const db = { e1: uniqueName('errs_e1'), e2: uniqueName('errs_e2'), gone: uniqueName('errs_gone') };
/** Never started here, but `status` and `kick` look for a daemon's pid file: keep them to our own directory. */
const pidDir = mkdtempSync(path.join(os.tmpdir(), 'errs-pid-'));
const env = { ...bucardoEnv(server, control), BUCARDO_PID_DIR: pidDir };
const bucardo = (...args: string[]): Promise<CliResult> => runBucardo(args, { env });
const sql = (database: string, text: string, values: unknown[] = []) => withClient(server.url(database), (c) => c.query(text, values));

/** Every row of every control table (what every `bucardo list` is made from, and the run history). */
async function controlState(): Promise<Record<string, unknown>> {
  const state = await controlTables(server.url(control));
  expect(Object.keys(state)).toEqual(expect.arrayContaining(['db', 'relation', 'herd', 'dbgroup', 'sync', 'syncrun']));
  return state;
}

/** What `bucardo list NOUN` prints. */
async function listed(noun: string): Promise<string> {
  const r = await bucardo('list', noun);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** The replicated table on each database that exists. */
async function dataState(): Promise<Record<string, string>> {
  const { rows } = await sql('postgres', 'SELECT datname FROM pg_database WHERE datname = ANY($1::text[])', [Object.values(db)]);
  const present = new Set(rows.map((row: { datname: string }) => row.datname));
  const entries = await Promise.all(Object.entries(db).filter(([, database]) => present.has(database))
    .map(async ([name, database]) => [name, await tableFingerprint(server.url(database), 'items', 'id')] as const));
  return Object.fromEntries(entries);
}

/**
 * Runs commands that must each fail, and checks that none of them changed the control database or the
 * data, and (when `list` names a noun) that what `bucardo list NOUN` prints is the same afterwards.
 */
async function failChangingNothing(commands: string[][], list?: string): Promise<CliResult[]> {
  const listBefore = list ? await listed(list) : undefined;
  const results: CliResult[] = [];
  for (const args of commands) {
    const [controlBefore, dataBefore] = await Promise.all([controlState(), dataState()]);
    const r = await bucardo(...args);
    expect(r.timedOut).toBe(false);
    expect(r.code, `bucardo ${args.join(' ')}\n${r.stdout}${r.stderr}`).not.toBe(0);
    const [controlAfter, dataAfter] = await Promise.all([controlState(), dataState()]);
    expect(controlAfter, `control database after bucardo ${args.join(' ')}`).toEqual(controlBefore);
    expect(dataAfter, `data after bucardo ${args.join(' ')}`).toEqual(dataBefore);
    results.push(r);
  }
  if (list) expect(await listed(list), `bucardo list ${list}`).toBe(listBefore);
  return results;
}

async function failsChangingNothing(args: string[], list?: string): Promise<CliResult> {
  return (await failChangingNothing([args], list))[0]!;
}

/** The error line names the code in brackets and every offending name. */
function expectError(r: CliResult, code: string, ...names: string[]): void {
  expect(r.code).not.toBe(0);
  expect(r.code).not.toBeNull();
  expect(r.stderr).toContain(`[${code}]`);
  for (const name of names) expect(r.stderr).toContain(name);
}

beforeAll(async () => {
  await createDatabase(server, db.e1);
  await sql(db.e1, `CREATE TABLE items (id int PRIMARY KEY, v text)`);
  await sql(db.e1, `INSERT INTO items SELECT g, 'row ' || g FROM generate_series(1, 100) g`);
  await createDatabase(server, db.e2, { template: db.e1 });
  await createDatabase(server, db.gone, { template: db.e1 });
  // a table that exists on the first database only
  await sql(db.e1, 'CREATE TABLE lonely (id int PRIMARY KEY)');
});

afterAll(async () => {
  for (const database of [...Object.values(db), control]) await dropDatabase(server, database);
  rmSync(pidDir, { recursive: true, force: true });
});

describe('before bucardo install', () => {
  it('every command fails with CONTROL_NOT_INSTALLED, naming the control database, and creates nothing', async () => {
    for (const args of [['list', 'dbs'], ['add', 'db', 'e1', `dbname=${db.e1}`], ['kick', 'foobar', '0'], ['status'], ['add', 'dbgroup', 'g', 'e1:source']]) {
      const r = await bucardo(...args);
      expectError(r, 'CONTROL_NOT_INSTALLED', control);
      expect(r.stderr).toMatch(/bucardo install/);
    }
    const exists = await sql('postgres', 'SELECT 1 FROM pg_database WHERE datname = $1', [control]);
    expect(exists.rowCount).toBe(0);
  });

  it('a control database without the bucardo schema is not installed either', async () => {
    await createDatabase(server, control);
    for (const args of [['list', 'dbs'], ['add', 'db', 'e1', `dbname=${db.e1}`], ['status']]) {
      expectError(await bucardo(...args), 'CONTROL_NOT_INSTALLED', control);
    }
    const schema = await sql(control, "SELECT to_regnamespace('bucardo') AS ns");
    expect(schema.rows[0].ns).toBeNull();
  });

  it('bucardo install twice: the second run says it is already installed and exits 0', async () => {
    const first = await bucardo('install');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('Installation is now complete.');
    const state = await controlState();
    const second = await bucardo('install');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/already installed/);
    expect(second.stdout).not.toContain('Installation is now complete.');
    expect(await controlState()).toEqual(state);
  });

  it('a schema from an older version (a column this one reads is missing): says to run bucardo install, which brings it up to date', async () => {
    // something to keep: a setting
    expect((await bucardo('set', 'log_level=verbose')).code).toBe(0);
    await sql(control, 'ALTER TABLE bucardo.sync DROP COLUMN refresh_above');
    const old = await bucardo('list', 'syncs');
    expectError(old, 'CONTROL_NOT_INSTALLED', control);
    expect(old.stderr).toContain(`The Bucardo schema in control database "${control}" is older than this version (column "refresh_above" does not exist): run "bucardo install" to bring it up to date; its data is kept`);
    const upgraded = await bucardo('install');
    expect(upgraded.code, upgraded.stderr).toBe(0);
    expect(await listed('syncs')).toBe('No syncs found\n');
    expect((await sql(control, "SELECT conname FROM pg_constraint WHERE conrelid = 'bucardo.sync'::regclass AND conname LIKE '%refresh_above%'")).rows).toEqual([{ conname: 'sync_refresh_above_check' }]);
    expect((await sql(control, "SELECT setting FROM bucardo.bucardo_config WHERE name = 'log_level'")).rows).toEqual([{ setting: 'verbose' }]);
    expect((await bucardo('set', 'log_level=normal')).code).toBe(0);
    // another missing column is a fault to report as it is, not an old schema
    await sql(control, 'ALTER TABLE bucardo.sync DROP COLUMN conflict_strategy');
    const broken = await bucardo('list', 'syncs');
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toContain('column "conflict_strategy" does not exist');
    expect(broken.stderr).not.toContain('bucardo install');
    await sql(control, "ALTER TABLE bucardo.sync ADD COLUMN conflict_strategy text NOT NULL DEFAULT 'latest'");
  });
});

describe('once installed', () => {
  beforeAll(async () => {
    const steps = [
      ['add', 'db', 'e1', `dbname=${db.e1}`],
      ['add', 'db', 'e2', `dbname=${db.e2}`],
      ['add', 'db', 'gone', `dbname=${db.gone}`],
      ['add', 'table', 'items', 'herd=h'],
      ['add', 'table', 'lonely', 'herd=hl'],
      ['add', 'dbgroup', 'g', 'e1:source', 'e2:source', 'gone:target'],
      ['add', 'sync', 'doomed', 'herd=h', 'dbs=g', 'ping=false'],
    ];
    for (const args of steps) {
      const r = await bucardo(...args);
      expect(r.code, `bucardo ${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
  });

  it('add dbgroup with an unknown database: DB_NOT_FOUND naming it', async () => {
    const r = await failsChangingNothing(['add', 'dbgroup', 'g2', 'e1:source', 'nosuchdb:target'], 'dbgroups');
    expectError(r, 'DB_NOT_FOUND', 'nosuchdb');
  });

  it('add sync with an unknown herd: HERD_NOT_FOUND naming it (and no herd is made up)', async () => {
    const r = await failsChangingNothing(['add', 'sync', 's2', 'herd=nosuchherd', 'dbs=g'], 'herds');
    expectError(r, 'HERD_NOT_FOUND', 'nosuchherd');
  });

  it('add sync with an unknown dbgroup: DBGROUP_NOT_FOUND naming it', async () => {
    const r = await failsChangingNothing(['add', 'sync', 's3', 'herd=h', 'dbs=nosuchgroup'], 'syncs');
    expectError(r, 'DBGROUP_NOT_FOUND', 'nosuchgroup');
  });

  it('a sync of one database, inline or by dbgroup: SYNC_INVALID naming the sync and the database; nothing is added', async () => {
    const inline = await failsChangingNothing(['add', 'sync', 's4', 'herd=h', 'dbs=e1:source'], 'syncs');
    expectError(inline, 'SYNC_INVALID', 'Sync "s4" has only one database ("e1"): a sync needs a second database to replicate to');
    expect(await bucardo('add', 'dbgroup', 'solo', 'e1:source')).toMatchObject({ code: 0 });
    const grouped = await failsChangingNothing(['add', 'sync', 's5', 'herd=h', 'dbs=solo'], 'syncs');
    expectError(grouped, 'SYNC_INVALID', 'Sync "s5" has only one database ("e1" in dbgroup "solo")');
  });

  it('kick of an unknown sync: SYNC_NOT_FOUND naming it, and no run is recorded', async () => {
    const results = await failChangingNothing([['kick', 'nosuchsync', '0'], ['kick', 'nosuchsync']], 'syncs');
    for (const r of results) {
      expectError(r, 'SYNC_NOT_FOUND', '"nosuchsync"');
    }
    // kick exits 3 on any error that is not a timeout (1) or a failed run (2), waiting or not
    expect(results.map((r) => r.code), 'exit codes of kick nosuchsync 0, kick nosuchsync').toEqual([3, 3]);
  });

  it('duplicate names: DUPLICATE_NAME naming the db, dbgroup, herd and sync', async () => {
    const [db1, group, herd, sync] = await failChangingNothing([
      ['add', 'db', 'e1', `dbname=${db.e2}`], // a second e1, even one pointing somewhere else
      ['add', 'dbgroup', 'g', 'e2:source'],
      ['add', 'herd', 'h'],
      ['add', 'sync', 'doomed', 'herd=h', 'dbs=g'],
    ], 'all');
    expectError(db1!, 'DUPLICATE_NAME', '"e1"');
    expectError(group!, 'DUPLICATE_NAME', '"g"');
    expectError(herd!, 'DUPLICATE_NAME', '"h"');
    expectError(sync!, 'DUPLICATE_NAME', '"doomed"');
  });

  it('a table that exists nowhere: TABLE_NOT_FOUND naming it', async () => {
    const [one, mixed] = await failChangingNothing([
      ['add', 'table', 'nosuch'],
      // one unknown among known ones: nothing is added, not even the herd
      ['add', 'table', 'items', 'nosuch2', 'herd=hnew'],
    ], 'all');
    expectError(one!, 'TABLE_NOT_FOUND', 'nosuch');
    expectError(mixed!, 'TABLE_NOT_FOUND', 'nosuch2');
  });

  it('a table missing on one database of the sync: TABLE_MISSING naming that database and table; no sync, no capture', async () => {
    const [inline, named] = await failChangingNothing([
      ['add', 'sync', 'lone', 'herd=hl', 'dbs=e1:source,e2:target'],
      ['add', 'sync', 'lone', 'herd=hl', 'dbs=g'], // the same with a named dbgroup
    ], 'all');
    expectError(inline!, 'TABLE_MISSING', '"e2"', 'public.lonely');
    expectError(named!, 'TABLE_MISSING', 'public.lonely');
    expect(named!.stderr).toMatch(/"(e2|gone)"/);
    // capture was not installed on the first database for the rejected sync
    const capture = await sql(db.e1, `SELECT (SELECT count(*)::int FROM pg_trigger WHERE tgrelid = 'public.lonely'::regclass AND NOT tgisinternal) AS triggers,
                                             (SELECT count(*)::int FROM pg_tables WHERE schemaname = 'bucardo' AND tablename LIKE '%lonely%') AS deltas`);
    expect(capture.rows[0]).toEqual({ triggers: 0, deltas: 0 });
  });

  it('a malformed parameter: INVALID_ARGUMENT naming it', async () => {
    const r = await failsChangingNothing(['add', 'sync', 's', 'herd=h', 'dbs=g', 'bogus=1'], 'syncs');
    expectError(r, 'INVALID_ARGUMENT', 'bogus');
  });

  it('a database that cannot be reached at kick time: exit 2, KILLED! and the error, State Bad, nothing applied anywhere', async () => {
    // a change on each source; then the target goes away
    await sql(db.e1, "INSERT INTO items VALUES (1001, 'new on e1')");
    await sql(db.e2, "UPDATE items SET v = 'changed on e2' WHERE id = 5");
    await dropDatabase(server, db.gone);
    const [controlBefore, dataBefore, listBefore] = await Promise.all([controlState(), dataState(), listed('all')]);

    const r = await bucardo('kick', 'doomed', '0');
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toMatch(/^Kick doomed: \[\d+ s\] KILLED!\n/);
    expect(r.stdout).toContain('[CONNECTION_FAILED]');
    expect(r.stdout).toContain('"gone"');

    // nothing was applied: neither source got the other's change, and the checkpoints did not move
    expect(await dataState()).toEqual(dataBefore);
    expect((await sql(db.e2, 'SELECT count(*)::int AS n FROM items WHERE id = 1001')).rows[0].n).toBe(0);
    expect((await sql(db.e1, 'SELECT v FROM items WHERE id = 5')).rows[0].v).toBe('row 5');
    const controlAfter = await controlState();
    expect(controlAfter.checkpoint).toEqual(controlBefore.checkpoint);
    expect(await listed('all')).toBe(listBefore);
    const runs = await sql(control, "SELECT outcome, inserts::int, deletes::int, conflicts::int, error FROM bucardo.syncrun WHERE sync = 'doomed' ORDER BY id");
    expect(runs.rows).toHaveLength(1);
    expect(runs.rows[0]).toMatchObject({ outcome: 'bad', inserts: 0, deletes: 0, conflicts: 0, error: { code: 'CONNECTION_FAILED', db: 'gone' } });

    // bucardo status: State Bad, no good run, a last bad time
    const status = await bucardo('status');
    expect(status.code, status.stderr).toBe(0);
    const row = status.stdout.split('\n').find((line) => line.startsWith(' doomed '));
    expect(row, status.stdout).toBeDefined();
    const cells = row!.split('|').map((cell) => cell.trim());
    expect(cells.slice(0, 3)).toEqual(['doomed', 'Bad', 'none']);
    expect(cells[4]).toBe('');
    expect(cells[5]).toMatch(/\d\d:\d\d:\d\d$/);
    // bucardo status doomed: the current state and the last error
    const detail = await bucardo('status', 'doomed');
    expect(detail.code, detail.stderr).toBe(0);
    expect(detail.stdout).toMatch(/^Current state\s+: Bad$/m);
    expect(detail.stdout).toMatch(/^Last error:?\s+: .*"gone".*\[CONNECTION_FAILED\]/m);
    expect(detail.stdout).toMatch(/^Last bad\s+: /m);
    expect(detail.stdout).not.toMatch(/^Last good/m);

    // once the database is back, the next kick carries both changes everywhere
    await createDatabase(server, db.gone, { template: db.e2 });
    const again = await bucardo('kick', 'doomed', '0');
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^Kick doomed: \[\d+ s\] DONE!\n$/);
    await assertConverged(Object.values(db).map((database) => server.url(database)), { items: 'id' });
    expect((await sql(db.gone, 'SELECT v FROM items WHERE id IN (5, 1001) ORDER BY id')).rows).toEqual([{ v: 'changed on e2' }, { v: 'new on e1' }]);
  });

  it('an unreachable database: CONNECTION_FAILED naming it; --force adds it anyway', async () => {
    const r = await failsChangingNothing(['add', 'db', 'x', 'dbname=nosuchdb'], 'dbs');
    expectError(r, 'CONNECTION_FAILED', '"x"', 'nosuchdb');
    const forced = await bucardo('add', 'db', 'x', 'dbname=nosuchdb', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    const list = await bucardo('list', 'dbs');
    expect(list.stdout).toMatch(new RegExp(`^Database: x\\s+Status: active\\s+Conn: psql -p ${server.port} -U ${server.user} -d nosuchdb -h ${server.host.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('a wrong password: CONNECTION_FAILED naming the database, and the password is printed nowhere', async (ctx) => {
    if (!(await serverAsksPassword(server))) ctx.skip();

    const role = uniqueName('errs_role');
    const right = `right-${randomBytes(6).toString('hex')}`;
    const wrong = `wrong-${randomBytes(6).toString('hex')}`;
    await sql('postgres', `CREATE ROLE ${role} LOGIN PASSWORD '${right}'`);
    try {
      const r = await failsChangingNothing(['add', 'db', 'pw', `dbname=${db.e1}`, `user=${role}`, `pass=${wrong}`], 'dbs');
      expectError(r, 'CONNECTION_FAILED', '"pw"');
      expect(r.stderr).toMatch(/password authentication failed/);
      expect(r.stdout + r.stderr).not.toContain(wrong);
      // with the right password it connects; whatever is stored, no listing shows it
      const ok = await bucardo('add', 'db', 'pw', `dbname=${db.e1}`, `user=${role}`, `pass=${right}`);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout + ok.stderr).not.toContain(right);
      for (const args of [['list', 'dbs'], ['list', 'all'], ['list', 'dbs', '-vv']]) {
        const list = await bucardo(...args);
        expect(list.stdout + list.stderr).not.toContain(right);
      }
      expect((await bucardo('list', 'dbs')).stdout).toMatch(new RegExp(`^Database: pw\\s+Status: active\\s+Conn: psql -p \\d+ -U ${role} -d ${db.e1}`, 'm'));
    } finally {
      await sql(control, "DELETE FROM bucardo.db WHERE name = 'pw'");
      await sql('postgres', `DROP ROLE IF EXISTS ${role}`);
    }
  });
});
