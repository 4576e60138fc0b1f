/**
 * Bucardo 5's multi-master demo, step for step, through the `bucardo` command run as a process, the way
 * a user types it (connection settings from PGHOST/PGPORT/PGUSER/PGPASSWORD, the control database from
 * BUCARDO_CONTROL_DB):
 *
 *     createdb btest1 && pgbench -i btest1;  createdb btest2 -T btest1 … btest5
 *     bucardo install
 *     bucardo add db t1 dbname=btest1 … t5
 *     bucardo list dbs
 *     bucardo add table pgbench_accounts pgbench_branches pgbench_tellers herd=therd
 *     bucardo list tables
 *     bucardo add dbgroup tgroup t1:source t2:source t3:source t4:source t5:target
 *     bucardo add sync foobar herd=therd dbs=tgroup ping=false
 *     bucardo start
 *     pgbench -t N btest1 … btest4 (in parallel)
 *     bucardo kick foobar 0
 *     bucardo status;  bucardo status foobar
 *
 * The end state is checked against the databases themselves: all five converge, and the counts that
 * `bucardo status` prints equal both the run's row in bucardo.syncrun and what really moved (the keys
 * pgbench changed, read from each source's pgbench_history, and the rows the kick rewrote on each database).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { bucardoEnv, runBucardo, type CliResult } from '../src/helpers/cli.js';
import { assertConverged, createDatabase, dropDatabase, tableFingerprint, uniqueName, withClient } from '../src/helpers/databases.js';
import { workload } from '../src/helpers/workload/index.js';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('btest_control');
/** btest1 … btest5, made unique for this run. */
const dbnames = [1, 2, 3, 4, 5].map((i) => uniqueName(`btest${i}`));
const urls = dbnames.map((db) => server.url(db));
/** `bucardo start` runs a daemon: its pid file (and its output) go to a directory of this file's own. */
const pidDir = mkdtempSync(path.join(os.tmpdir(), 'btest-pid-'));
const env = { ...bucardoEnv(server, control), BUCARDO_PID_DIR: pidDir };
const bucardo = (...args: string[]): Promise<CliResult> => runBucardo(args, { env });

const TABLES = { pgbench_accounts: 'aid', pgbench_branches: 'bid', pgbench_tellers: 'tid' } as const;
/** Small enough for CI, large enough that every source touches branch 1 and many shared tellers. */
const TRANSACTIONS = 200;

interface SyncRun {
  id: string;
  outcome: string | null;
  inserts: number;
  deletes: number;
  conflicts: number;
  started: Date;
  ended: Date | null;
  error: { code: string; message: string } | null;
  details: {
    tables: Array<{ table: string; inserts: number; deletes: number; conflicts: number }>;
    databases: Record<string, { inserted: number; deleted: number }>;
  } | null;
}

async function syncRuns(sync: string): Promise<SyncRun[]> {
  return withClient(server.url(control), async (c) => {
    const { rows } = await c.query(
      `SELECT id, outcome, inserts::int, deletes::int, conflicts::int, started, ended, error, details
         FROM bucardo.syncrun WHERE sync = $1 ORDER BY id`,
      [sync],
    );
    return rows as SyncRun[];
  });
}

/** The pid in the daemon's pid file, if `bucardo start` left one. */
function daemonPid(): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(pidDir, 'bucardo.mcp.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * When `bucardo start` started a daemon, waits until it has taken the sync and is idle: a daemon may run
 * a sync once when it takes it, and that run must not overlap the workload (it would split the changes
 * between two runs). Without a daemon there is nothing to wait for.
 */
async function settle(sync: string): Promise<void> {
  const pid = daemonPid();
  if (pid === undefined || !alive(pid)) return;
  const deadline = Date.now() + 20_000;
  let last = '';
  let since = Date.now();
  while (Date.now() < deadline) {
    const state = await withClient(server.url(control), async (c) => {
      const runs = await c.query<{ n: number; running: number }>(
        'SELECT count(*)::int AS n, count(*) FILTER (WHERE ended IS NULL)::int AS running FROM bucardo.syncrun WHERE sync = $1', [sync]);
      const hasWorkers = (await c.query("SELECT to_regclass('bucardo.sync_worker') IS NOT NULL AS t")).rows[0].t as boolean;
      const worker = hasWorkers ? (await c.query<{ state: string }>('SELECT state FROM bucardo.sync_worker WHERE sync = $1', [sync])).rows[0]?.state : 'none';
      return { ...runs.rows[0]!, worker };
    });
    const key = JSON.stringify(state);
    if (key !== last) {
      last = key;
      since = Date.now();
    } else if (state.running === 0 && state.worker !== undefined && state.worker !== 'running' && Date.now() - since >= 1500) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the daemon did not settle on sync ${sync}: ${last}`);
}

async function lastRunId(sync: string): Promise<number> {
  const runs = await syncRuns(sync);
  return runs.length ? Number(runs.at(-1)!.id) : 0;
}

/** The last run that ended good or empty: the one `bucardo status` reports as Last good. */
async function lastGood(sync: string): Promise<SyncRun> {
  const good = (await syncRuns(sync)).filter((run) => run.outcome === 'good' || run.outcome === 'empty');
  expect(good.length).toBeGreaterThan(0);
  return good.at(-1)!;
}

/**
 * Remembers where every row of the three tables is (its ctid) in temp tables of a session held open
 * across the kick. Applying deletes a row and writes it anew, so afterwards the rows whose ctid changed
 * (or that are gone) are the rows the kick deleted on that database; nothing else writes meanwhile.
 */
async function trackRows(url: string): Promise<{ rewritten(): Promise<number>; close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  for (const [table, key] of Object.entries(TABLES)) {
    await client.query(`CREATE TEMP TABLE "before_${table}" AS SELECT ${key} AS k, ctid::text AS loc FROM ${table}`);
  }
  return {
    async rewritten() {
      let n = 0;
      for (const [table, key] of Object.entries(TABLES)) {
        const { rows } = await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "before_${table}" b LEFT JOIN ${table} t ON t.${key} = b.k
            WHERE t.${key} IS NULL OR t.ctid::text <> b.loc`);
        n += rows[0]!.n;
      }
      return n;
    },
    close: () => client.end(),
  };
}

/** What pgbench changed, from each source's pgbench_history: per table, the keys and on how many sources. */
async function changedKeys(sourceUrls: readonly string[]): Promise<Record<keyof typeof TABLES, Map<number, number>>> {
  const result = { pgbench_accounts: new Map<number, number>(), pgbench_branches: new Map<number, number>(), pgbench_tellers: new Map<number, number>() };
  for (const url of sourceUrls) {
    await withClient(url, async (c) => {
      for (const table of Object.keys(result) as Array<keyof typeof TABLES>) {
        const column = TABLES[table];
        const { rows } = await c.query<{ k: number }>(`SELECT DISTINCT ${column} AS k FROM pgbench_history`);
        for (const { k } of rows) result[table].set(k, (result[table].get(k) ?? 0) + 1);
      }
    });
  }
  return result;
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');
const clock = (d: Date) => `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
/** Bucardo's long date format, `Mon DD, YYYY HH24:MI:SS`. */
const longDate = (d: Date) => `${months[d.getMonth()]} ${two(d.getDate())}, ${d.getFullYear()} ${clock(d)}`;
/** `bucardo status`: HH24:MI:SS when the time is today, else the long format. */
const whenCell = (d: Date, now: Date) => (d.toDateString() === now.toDateString() ? clock(d) : longDate(d));
const grouped = (n: number) => n.toLocaleString('en-US');

/** The `bucardo status` table lines: header, rule and one row per sync, as Bucardo's printf builds them. */
function statusTable(rows: string[][]): string[] {
  const titles = [' Name', ' State', ' Last good', ' Time', ' Last I/D/C', ' Last bad', ' Time'];
  const widths = titles.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)) + 2);
  return [
    titles.map((title, i) => title.padEnd(widths[i]!)).join(' '),
    widths.map((w) => '='.repeat(w)).join('+'),
    ...rows.map((row) => row.map((cell, i) => ` ${cell} `.padEnd(widths[i]!)).join('|')),
  ];
}

/** Parses a `bucardo status SYNC` block into label → value, checking the frame and the aligned colons. */
function detailBlock(stdout: string): Map<string, string> {
  const lines = stdout.replace(/\n$/, '').split('\n');
  expect(lines[0]).toBe('='.repeat(70));
  expect(lines.at(-1)).toBe('='.repeat(70));
  const items = lines.slice(1, -1);
  const colon = items[0]!.indexOf(' : ') >= 0 ? items[0]!.indexOf(' : ') : items[0]!.indexOf(' :');
  const block = new Map<string, string>();
  for (const line of items) {
    // every label is padded to the longest one, so every separator sits in the same column
    expect(line.slice(colon, colon + 2), `aligned separator in ${JSON.stringify(line)}`).toBe(' :');
    block.set(line.slice(0, colon).trimEnd(), line.slice(colon + 3));
  }
  return block;
}

describe('the seed demo: Bucardo\'s ten steps through the CLI', () => {
  beforeAll(async () => {
    // createdb btest1 && pgbench -i btest1
    await createDatabase(server, dbnames[0]!);
    await workload.init(urls[0]!, { scale: 1 });
    // createdb btestN -T btest1
    for (const db of dbnames.slice(1)) await createDatabase(server, db, { template: dbnames[0]! });
  });

  afterAll(async () => {
    // bucardo stop, and make sure the daemon this file started is gone before its databases are
    const pid = daemonPid();
    if (pid !== undefined && alive(pid)) {
      await bucardo('stop');
      for (let i = 0; i < 100 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    for (const db of [...dbnames, control]) await dropDatabase(server, db);
    rmSync(pidDir, { recursive: true, force: true });
  });

  it('bucardo install', async () => {
    const r = await bucardo('install');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Installation is now complete.');
    const installed = await withClient(server.url(control), (c) =>
      c.query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'bucardo'"));
    expect(installed.rows[0]!.n).toBeGreaterThan(0);
  });

  it('bucardo add db t1 dbname=btest1 … t5, and bucardo list dbs', async () => {
    for (const [i, db] of dbnames.entries()) {
      const r = await bucardo('add', 'db', `t${i + 1}`, `dbname=${db}`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`Added database "t${i + 1}"\n`);
    }
    const r = await bucardo('list', 'dbs');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(dbnames.map((db, i) =>
      `Database: t${i + 1}  Status: active  Conn: psql -p ${server.port} -U ${server.user} -d ${db} -h ${server.host}\n`).join(''));
  });

  it('bucardo add table pgbench_accounts pgbench_branches pgbench_tellers herd=therd, and bucardo list tables', async () => {
    const add = await bucardo('add', 'table', 'pgbench_accounts', 'pgbench_branches', 'pgbench_tellers', 'herd=therd');
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toContain('Created the relgroup named "therd"');
    const r = await bucardo('list', 'tables');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe([
      '1. Table: public.pgbench_accounts  DB: t1  PK: aid (integer)',
      '2. Table: public.pgbench_branches  DB: t1  PK: bid (integer)',
      '3. Table: public.pgbench_tellers   DB: t1  PK: tid (integer)',
      '',
    ].join('\n'));
  });

  it('bucardo add dbgroup tgroup t1:source t2:source t3:source t4:source t5:target', async () => {
    const r = await bucardo('add', 'dbgroup', 'tgroup', 't1:source', 't2:source', 't3:source', 't4:source', 't5:target');
    expect(r.code, r.stderr).toBe(0);
    const list = await bucardo('list', 'dbgroups');
    expect(list.stdout).toBe('dbgroup: tgroup  Members: t1:source t2:source t3:source t4:source t5:target\n');
  });

  it('bucardo add sync foobar herd=therd dbs=tgroup ping=false', async () => {
    const r = await bucardo('add', 'sync', 'foobar', 'herd=therd', 'dbs=tgroup', 'ping=false');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Added sync "foobar"');
    const list = await bucardo('list', 'syncs');
    expect(list.stdout).toBe('Sync "foobar"  Relgroup "therd"  DB group "tgroup" t1:source t2:source t3:source t4:source t5:target  [Active]\n');
    // capture is in place on the four sources and not on the target
    for (const [i, url] of urls.entries()) {
      const triggers = await withClient(url, (c) => c.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid
          WHERE NOT t.tgisinternal AND r.relname = ANY($1::text[])`, [Object.keys(TABLES)]));
      if (i < 4) expect(triggers.rows[0]!.n, `triggers on btest${i + 1}`).toBeGreaterThanOrEqual(3);
      else expect(triggers.rows[0]!.n, 'triggers on the target btest5').toBe(0);
    }
  });

  it('bucardo start', async () => {
    const r = await bucardo('start');
    expect(r.code, r.stderr).toBe(0);
    const pid = daemonPid();
    if (pid !== undefined) expect(alive(pid), `daemon ${pid}`).toBe(true);
    await settle('foobar');
  });

  let before5 = '';
  /** The last run before the workload: the kick's run is the only one after it (autokick is off). */
  let runsBefore = 0;
  /** The id of the run that served `bucardo kick foobar 0`. */
  let kickRunId = '';
  /** The five databases' tables after that run. */
  let converged: Awaited<ReturnType<typeof assertConverged>> = {};
  it(`pgbench -t ${TRANSACTIONS} on btest1 … btest4 in parallel`, async () => {
    runsBefore = await lastRunId('foobar');
    before5 = await tableFingerprint(urls[4]!, 'pgbench_accounts', 'aid');
    await Promise.all(urls.slice(0, 4).map((url, i) => workload.run(url, { transactions: TRANSACTIONS, seed: 1000 + i })));
    // the sources now differ from each other and from the target
    const fingerprints = await Promise.all(urls.map((url) => tableFingerprint(url, 'pgbench_branches', 'bid')));
    expect(new Set(fingerprints).size).toBe(5);
  });

  it('bucardo kick foobar 0: DONE!, all five databases converge, and the run counts what moved', async () => {
    const trackers = await Promise.all(urls.map(trackRows));
    let rewritten: number[];
    let r: CliResult;
    try {
      r = await bucardo('kick', 'foobar', '0');
      rewritten = await Promise.all(trackers.map((tracker) => tracker.rewritten()));
    } finally {
      await Promise.all(trackers.map((tracker) => tracker.close()));
    }
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Kick foobar: \[\d+ s\] DONE!\n$/);

    converged = await assertConverged(urls, TABLES);
    expect(converged[urls[4]!]!.pgbench_accounts, 'the target received the changes').not.toBe(before5);

    const runs = (await syncRuns('foobar')).filter((run) => Number(run.id) > runsBefore);
    const run = runs[0]!;
    expect(run, 'a run since the workload started').toBeDefined();
    kickRunId = run.id;
    expect(run.outcome).toBe('good');
    expect(run.error).toBeNull();

    // what pgbench changed, per table: each changed key's winning image is written once, and a key
    // changed on two or more sources is a conflict
    const changed = await changedKeys(urls.slice(0, 4));
    const perTable = run.details!.tables;
    for (const table of Object.keys(TABLES) as Array<keyof typeof TABLES>) {
      const counts = perTable.find((t) => t.table === `public.${table}`);
      expect(counts, table).toBeDefined();
      const keys = changed[table];
      expect(counts!.inserts, `${table} inserts`).toBe(keys.size);
      expect(counts!.conflicts, `${table} conflicts`).toBe([...keys.values()].filter((n) => n >= 2).length);
      // the row exists on all five databases: it is replaced on the four that did not win
      expect(counts!.deletes, `${table} deletes`).toBe(4 * keys.size);
    }
    // every source updated branch 1: one conflict there
    expect(perTable.find((t) => t.table === 'public.pgbench_branches')!.conflicts).toBe(1);
    expect(run.inserts).toBeGreaterThan(0);
    expect(run.inserts).toBe(perTable.reduce((n, t) => n + t.inserts, 0));
    expect(run.conflicts).toBe(perTable.reduce((n, t) => n + t.conflicts, 0));
    expect(run.conflicts).toBeGreaterThan(0);

    // deletes: the rows deleted across the receiving databases, as bucardo recorded them per database …
    const perDb = run.details!.databases;
    expect(Object.keys(perDb).sort()).toEqual(['t1', 't2', 't3', 't4', 't5']);
    expect(run.deletes).toBe(Object.values(perDb).reduce((n, d) => n + d.deleted, 0));
    expect(perDb.t5!.deleted, 'the target receives every changed key').toBe(run.inserts);
    // … and as the databases show them: the rows the kick rewrote on each
    expect(rewritten).toEqual(['t1', 't2', 't3', 't4', 't5'].map((db) => perDb[db]!.deleted));
    expect(rewritten.reduce((a, b) => a + b, 0)).toBe(run.deletes);

    // one kick, one run (autokick is off, so nothing else runs the sync)
    const summary = (await syncRuns('foobar')).filter((r) => Number(r.id) > runsBefore)
      .map((r) => `run ${r.id}: ${r.outcome} ${r.inserts}/${r.deletes}/${r.conflicts}`);
    expect(summary, 'runs since the workload started').toEqual([`run ${run.id}: good ${run.inserts}/${run.deletes}/${run.conflicts}`]);
  });

  it('bucardo status: Bucardo\'s columns, State Good, and Last I/D/C as recorded in bucardo.syncrun', async () => {
    const r = await bucardo('status');
    const now = new Date();
    expect(r.code, r.stderr).toBe(0);
    const run = await lastGood('foobar');
    const lines = r.stdout.split('\n');
    const header = lines.findIndex((line) => line.startsWith(' Name '));
    expect(header, r.stdout).toBeGreaterThanOrEqual(0);
    // with the daemon running, Bucardo's first line names it
    const pid = daemonPid();
    if (pid !== undefined && alive(pid)) expect(lines.slice(0, header)).toContain(`PID of Bucardo MCP: ${pid}`);
    const row = lines[header + 2]!;
    const cells = row.split('|').map((cell) => cell.trim());
    expect(cells).toHaveLength(7);
    expect(cells[0]).toBe('foobar');
    expect(cells[1]).toBe('Good');
    expect(cells[2]).toBe(whenCell(run!.ended!, now));
    expect(cells[3]).toMatch(/^(\d+m)?\d+s$/); // time since the run, compressed as `bucardo status` does
    expect(cells[4]).toBe(`${run!.inserts}/${run!.deletes}/${run!.conflicts}`);
    expect(cells[5]).toBe('none');
    expect(cells[6]).toBe('');
    // exact header, rule and row, with the widths Bucardo's printf gives them
    expect(lines.slice(header, header + 3)).toEqual(statusTable([cells]));
    expect(lines.slice(header + 3).filter((line) => line !== '')).toEqual([]);
    // and the run it reports is the kick's
    expect(run.id, `status reports run ${run.id} (${run.outcome} ${cells[4]}), not the kick's run ${kickRunId}`).toBe(kickRunId);
  });

  it('bucardo status foobar: the detail block', async () => {
    const r = await bucardo('status', 'foobar');
    expect(r.code, r.stderr).toBe(0);
    const run = await lastGood('foobar');
    const block = detailBlock(r.stdout);
    expect(block.get('Last good')).toMatch(new RegExp(`^${longDate(run!.started).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(time to run: (\\d+m )?\\d+s\\)$`));
    expect(block.get('Rows inserted/deleted/conflicts')).toBe(`${grouped(run!.inserts)} / ${grouped(run!.deletes)} / ${grouped(run!.conflicts)}`);
    expect(block.get('Sync name')).toBe('foobar');
    expect(block.get('Current state')).toBe('Good');
    expect(block.get('Source relgroup/database')).toBe('therd / t1');
    expect(block.get('Databases')).toBe('t1:source t2:source t3:source t4:source t5:target');
    expect(block.get('Tables in sync')).toBe('3');
    expect(block.get('Status')).toBe('Active');
    expect(block.get('Check time')).toBe('None');
    expect(block.get('Autokick')).toBe('No');
    expect(block.get('Onetimecopy')).toBe('No');
    expect(block.has('Last error')).toBe(true);
    expect(block.get('Last error')).toBe('');
    expect(block.has('Last bad')).toBe(false);
    expect(run.id, `status foobar reports run ${run.id} (${run.outcome}), not the kick's run ${kickRunId}`).toBe(kickRunId);
  });

  it('a second bucardo kick foobar 0 finds nothing to do', async () => {
    const before = await lastRunId('foobar');
    const r = await bucardo('kick', 'foobar', '0');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Kick foobar: \[\d+ s\] DONE!\n$/);
    const runs = (await syncRuns('foobar')).filter((run) => Number(run.id) > before);
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs[0]).toMatchObject({ inserts: 0, deletes: 0, conflicts: 0, error: null });
    expect(runs[0]!.outcome).not.toBe('bad');
    expect(runs[0]!.outcome, 'a run that moved nothing and had no conflict').toBe('empty');
    expect(runs.map((run) => `run ${run.id}: ${run.outcome}`), 'one kick, one run').toHaveLength(1);
    expect(await assertConverged(urls, TABLES)).toEqual(converged);
    const status = await bucardo('status');
    const row = status.stdout.split('\n').find((line) => line.startsWith(' foobar '))!;
    expect(row.split('|').map((cell) => cell.trim()).slice(1, 2)).toEqual(['Good']);
  });

  it('bucardo add table pgbench_history fails: no primary key or unique index, and nothing is added', async () => {
    const before = await bucardo('list', 'all');
    for (const args of [['add', 'table', 'pgbench_history'], ['add', 'table', 'pgbench_history', 'herd=hherd']]) {
      const r = await bucardo(...args);
      expect(r.code, r.stdout).not.toBe(0);
      expect(r.code).not.toBeNull();
      expect(r.stderr).toContain('public.pgbench_history');
      expect(r.stderr).toMatch(/no primary key or unique index/);
      expect(r.stderr).toContain('[TABLE_NO_KEY]');
    }
    // list all: the tables, and no relgroup made for the one that failed
    const after = await bucardo('list', 'all');
    expect(after.code).toBe(0);
    expect(after.stdout).toBe(before.stdout);
    expect(after.stdout).toContain('3. Table: public.pgbench_tellers');
    expect(after.stdout).not.toContain('pgbench_history');
    const rows = await withClient(server.url(control), (c) =>
      c.query<{ n: number }>("SELECT count(*)::int AS n FROM bucardo.relation WHERE tablename = 'pgbench_history'"));
    expect(rows.rows[0]!.n).toBe(0);
  });

  it('relgroup= is herd= by another name: a second herd, in bucardo list herds and in a sync', async () => {
    const r = await bucardo('add', 'table', 'pgbench_branches', 'pgbench_tellers', 'relgroup=therd2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Created the relgroup named "therd2"');
    const herds = await bucardo('list', 'herds');
    expect(herds.code, herds.stderr).toBe(0);
    const lines = herds.stdout.replace(/\n$/, '').split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^Relgroup: therd \s+(DB: t1\s+)?Members: public\.pgbench_accounts, public\.pgbench_branches, public\.pgbench_tellers$/);
    expect(lines[1]).toBe('  Used in syncs: foobar');
    expect(lines[2]).toMatch(/^Relgroup: therd2\s+(DB: t1\s+)?Members: public\.pgbench_branches, public\.pgbench_tellers$/);

    // and in add sync
    const sync = await bucardo('add', 'sync', 'foobar2', 'relgroup=therd2', 'dbs=tgroup', 'autokick=false', 'status=inactive');
    expect(sync.code, sync.stderr).toBe(0);
    const syncs = await bucardo('list', 'syncs');
    expect(syncs.stdout).toContain('Sync "foobar2"  Relgroup "therd2"  DB group "tgroup"');
    const row = await withClient(server.url(control), (c) => c.query("SELECT herd FROM bucardo.sync WHERE name = 'foobar2'"));
    expect(row.rows).toEqual([{ herd: 'therd2' }]);
  });
});
