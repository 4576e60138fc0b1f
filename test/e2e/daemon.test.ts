/**
 * The daemon, end to end: the `bucardo` command run as processes, a detached daemon (`bucardo start`) with
 * its pid file and log in directories of this file's own, and real databases.
 *
 *  - process control: start, ping OK, a second start refused, stop, ping CRITICAL, a stale pid file
 *    removed by start, restart with a new pid;
 *  - autokick: a commit on a source is on the target within 1 s, with no kick;
 *  - kick exit codes: 0 DONE!, 1 Timed out!, 2 KILLED! with the error, 3 for anything else;
 *  - status while a run is blocked: the live phase (`Applying public.t to …`) and `Running since`;
 *  - pause/resume: a paused sync is not run and cannot be kicked; resumed, it catches up by itself;
 *  - log levels: terse leaves out the run summaries, verbose after `reload` writes them and the per-table
 *    lines; every line carries time, DAEMON, and sync= run= where it is about a run; no password.
 *
 * Each describe block has its own control database, databases and daemon; every daemon started is
 * stopped (or killed) in afterAll, before the databases are dropped.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import type { CliResult } from '../src/helpers/cli.js';
import {
  alive, daemonId, DaemonWorld, sleep, statusDetail, statusRow, waitFor, type DaemonHandle, type Pair,
} from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

const ISO = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`;
const LONG_DATE = String.raw`[A-Z][a-z]{2} \d\d, \d{4} \d\d:\d\d:\d\d`;
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('process control', () => {
  const world = new DaemonWorld(server, 'dpc');
  beforeAll(() => world.install());
  afterAll(() => world.dispose());

  it('start, ping OK, a second start refused, stop, ping CRITICAL, a stale pid file removed by start, restart', async () => {
    const d = world.daemon();

    const first = await d.launch('start', 'lifecycle test');
    expect(first.code, first.stderr).toBe(0);
    const pid = d.pid()!;
    expect(first.stdout).toBe(`Checking for existing processes\nStarting Bucardo (PID ${pid})\n`);
    expect(alive(pid)).toBe(true);

    // OK as soon as the daemon has sent its first heartbeat
    const ping = await waitFor('ping OK', async () => {
      const r = await d.cli('ping');
      return r.code === 0 ? r : undefined;
    });
    expect(ping.stdout).toBe(`OK: Got response from PID ${pid}\n`);
    const status = await d.cli('status');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toBe(`PID of Bucardo MCP: ${pid}\nNo syncs have been created yet.\n`);

    const second = await d.launch('start');
    expect(second.code).toBe(1);
    expect(second.stdout).toBe('Checking for existing processes\n');
    expect(second.stderr).toBe(`ERROR: Cannot start, PID file "${d.pidFile}" exists (Bucardo is running as PID ${pid}) [ALREADY_RUNNING]\n`);
    expect(d.pid()).toBe(pid);
    expect(alive(pid)).toBe(true);

    const stop = await d.cli('stop', 'lifecycle test done');
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toBe(`Stopping Bucardo (PID ${pid}) ... Done\n`);
    expect(alive(pid)).toBe(false);
    expect(existsSync(d.pidFile)).toBe(false);
    expect(await world.sql('SELECT id FROM bucardo.daemon')).toEqual([]);
    const log = d.log();
    expect(log).toMatch(new RegExp(`^\\(${pid}\\) \\[${ISO}\\] DAEMON Daemon ${escape(daemonId(pid))} started \\(reason: lifecycle test\\)$`, 'm'));
    expect(log).toMatch(new RegExp(`^\\(${pid}\\) \\[${ISO}\\] DAEMON Received SIGTERM \\(reason: lifecycle test done\\): stopping after the runs in progress$`, 'm'));
    expect(log).toMatch(new RegExp(`^\\(${pid}\\) \\[${ISO}\\] DAEMON Daemon ${escape(daemonId(pid))} stopped$`, 'm'));

    const critical = await d.cli('ping');
    expect(critical.code).toBe(1);
    expect(critical.stdout).toBe('CRITICAL: Bucardo is not running\n');

    // a pid file left by a daemon that died: ping says so, start removes it
    writeFileSync(d.pidFile, `${pid}\n`);
    const stale = await d.cli('ping');
    expect(stale.code).toBe(1);
    // the stopped daemon may linger as a zombie until whoever adopted it reaps it: ping says which
    expect(stale.stdout).toMatch(new RegExp(`^CRITICAL: Bucardo is not running \\((stale PID ${pid}|PID ${pid} has ended; its parent has not reaped it)\\)\n$`));
    const again = await d.launch('start');
    expect(again.code, again.stderr).toBe(0);
    const pid2 = d.pid()!;
    expect(pid2).not.toBe(pid);
    expect(again.stdout).toBe(`Checking for existing processes\nRemoving file "${d.pidFile}" with stale PID ${pid}\nStarting Bucardo (PID ${pid2})\n`);
    expect(alive(pid2)).toBe(true);

    const restart = await d.launch('restart');
    expect(restart.code, restart.stderr).toBe(0);
    const pid3 = d.pid()!;
    expect(pid3).not.toBe(pid2);
    expect(restart.stdout).toBe(`Stopping Bucardo (PID ${pid2}) ... Done\nChecking for existing processes\nStarting Bucardo (PID ${pid3})\n`);
    expect(alive(pid2)).toBe(false);
    expect(alive(pid3)).toBe(true);
    const pingAfterRestart = await waitFor('ping OK after restart', async () => {
      const r = await d.cli('ping');
      return r.code === 0 ? r : undefined;
    });
    expect(pingAfterRestart.stdout).toBe(`OK: Got response from PID ${pid3}\n`);

    expect((await d.cli('stop')).stdout).toBe(`Stopping Bucardo (PID ${pid3}) ... Done\n`);
    expect(alive(pid3)).toBe(false);
    expect(existsSync(d.pidFile)).toBe(false);
  });
});

describe('a running daemon', () => {
  const world = new DaemonWorld(server, 'drun');
  let d: DaemonHandle;
  let pid = 0;
  let id = '';
  /** autokick (the default) */
  let ak: Pair;
  /** autokick=false: runs only when kicked */
  let kx: Pair;
  /** paused and resumed */
  let pz: Pair;

  beforeAll(async () => {
    await world.install();
    ak = await world.pair('ak');
    kx = await world.pair('kx', { autokick: false });
    pz = await world.pair('pz');
    d = world.daemon();
    pid = await d.start();
    id = daemonId(pid);
    await world.owned(pid, ['ak', 'kx', 'pz']);
  });
  afterAll(() => world.dispose());

  it('autokick: each commit on the source is on the target within 1 s, with no kick', async () => {
    const delays: number[] = [];
    for (let i = 1; i <= 6; i++) {
      // commits at different points of the daemon's 250 ms probe cycle
      await sleep(120 + ((i * 97) % 300));
      await world.insert(ak.a, i);
      const committed = performance.now();
      await waitFor(`id ${i} on ${ak.b.name}`, async () => (await world.query(ak.b.url, 'SELECT 1 FROM t WHERE id = $1', [i])).length > 0, 5_000, 50);
      delays.push(Math.round(performance.now() - committed));
    }
    for (const delay of delays) expect(delay, `ms from commit to the target, per write: ${delays.join(', ')}`).toBeLessThan(1000);
    expect(await world.ids(ak.b)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await world.sql("SELECT count(*)::int AS n FROM bucardo.kick_request WHERE sync = 'ak'")).toEqual([{ n: 0 }]);
    const runs = await world.sql("SELECT DISTINCT worker FROM bucardo.syncrun WHERE sync = 'ak'");
    expect(runs).toEqual([{ worker: `daemon ${id}` }]);
  });

  it('autokick probes of idle syncs do not read the checkpoints from the control database each time', async () => {
    // the server counts the scans of bucardo.checkpoint; a backend reports its counts within a second or so
    const reads = async () => Number((await world.sql(
      "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) AS n FROM pg_stat_user_tables WHERE schemaname = 'bucardo' AND relname = 'checkpoint'"))[0]!.n);
    // A backend that goes idle reports its counts up to 10 s later (PostgreSQL's PGSTAT_IDLE_INTERVAL): the
    // control connections of the test before's runs could add theirs inside the window (CI counted 3, at
    // once). The daemon's own connection, busy every 250 ms, reports within a second.
    await sleep(11_000);
    const before = await reads();
    // two idle autokick syncs probed every 250 ms for 3 s: 24 reads if each probe read them
    await sleep(3000);
    expect(await reads() - before).toBeLessThanOrEqual(2);
    // and the probe still sees a change at once
    await world.insert(ak.a, 7);
    await world.arrives(ak.b, [7], 5_000);
  });

  it('kick SYNC 0 waits for the daemon to run the sync: DONE!, exit 0', async () => {
    await world.insert(kx.a, 1);
    const r = await world.bucardo('kick', 'kx', '0');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Kick kx: \[\d+ s\] DONE!\n$/);
    expect(r.stderr).toBe('');
    expect(await world.ids(kx.b)).toEqual([1]);
    // served by a run of the daemon (it holds the sync's lock), not by a run of the kick itself
    const served = await world.sql(
      `SELECT r.worker, r.outcome FROM bucardo.kick_request k JOIN bucardo.syncrun r ON r.id = k.run_id
        WHERE k.sync = 'kx' ORDER BY k.id DESC LIMIT 1`);
    expect(served).toEqual([{ worker: `daemon ${id}`, outcome: 'good' }]);
  });

  it('kick SYNC 1 gives up after 1 s (Timed out!, exit 1) while the run waits; status shows the phase it waits in', async () => {
    const locker = await world.connect(kx.b.url);
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
      await world.insert(kx.a, 2);
      const r = await world.bucardo('kick', 'kx', '1');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^Kick kx: \[\d+ s\] $/);
      expect(r.stderr).toBe('Timed out!\n');

      // the daemon's run is still waiting for the lock
      const phase = `Applying public.t to ${kx.b.name} (0 of 1 keys done)`;
      const table = await waitFor('status to show the run applying', async () => {
        const s = await d.cli('status');
        return statusRow(s.stdout, 'kx')?.[1]?.startsWith('Applying') ? s.stdout : undefined;
      });
      expect(table).toContain(`PID of Bucardo MCP: ${pid}\n`);
      expect(statusRow(table, 'kx')?.[1]).toBe(phase);
      expect(statusRow(table, 'ak')?.[1]).toBe('Good');
      const detail = statusDetail((await world.bucardo('status', 'kx')).stdout);
      expect(detail.get('Current state')).toBe(phase);
      expect(detail.get('Running since')).toMatch(new RegExp(`^${LONG_DATE} \\(daemon ${escape(id)}\\)$`));
      expect(detail.get('Run by')).toBe(`daemon ${id} (running)`);
      expect(alive(pid)).toBe(true);
    } finally {
      await locker.query('COMMIT').catch(() => undefined);
      await locker.end();
    }
    // the run goes on once the lock is gone
    await world.arrives(kx.b, [1, 2]);
    await world.owned(pid, ['kx']);
    const after = statusDetail((await world.bucardo('status', 'kx')).stdout);
    expect(after.get('Current state')).toBe('Good');
    expect(after.has('Running since')).toBe(false);
  });

  it('kick SYNC 0 of a run that fails: KILLED! with the error, exit 2; the daemon retries until it is fixed', async () => {
    await world.query(kx.b.url, "ALTER TABLE t ADD CONSTRAINT t_v_not_bad CHECK (v <> 'bad')");
    await world.query(kx.a.url, "INSERT INTO t VALUES (3, 'bad')");
    const r = await world.bucardo('kick', 'kx', '0');
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^Kick kx: \[\d+ s\] KILLED!$/);
    expect(lines[1]).toBe('');
    expect(lines[2]).toMatch(new RegExp(`^  Started: ${ISO}$`));
    expect(lines[3]).toMatch(new RegExp(`^  Ended: ${ISO}$`));
    expect(lines[4]).toMatch(/^ {4}new row for relation "t" violates check constraint "t_v_not_bad" \(the row with key \d+ from database "kx_A"\) \[APPLY_FAILED\] \(.*db kx_B.*\)$/);

    // the daemon keeps the sync and retries it (with backoff); status says how it goes. The detail and
    // the overview are read side by side: read one after the other, a retry (due 1 s after the failure)
    // may have started in between, and the overview would rightly say Connecting.
    const { failing, overview } = await waitFor('status kx and status to show the failing state', async () => {
      const [detailRun, overviewRun] = await Promise.all([world.bucardo('status', 'kx'), world.bucardo('status')]);
      const detail = statusDetail(detailRun.stdout);
      const row = statusRow(overviewRun.stdout, 'kx');
      return detail.get('Current state') === 'Bad' && detail.get('Run by')?.includes('(failing') && row?.[1] === 'Bad' ? { failing: detail, overview: row } : undefined;
    }, 30_000);
    expect(failing.get('Run by')).toMatch(new RegExp(`^daemon ${escape(id)} \\(failing, \\d+ failed attempts?, retry in \\d+s\\)$`));
    // the database's own message does not say which database refused: the line does
    expect(failing.get('Last error')).toMatch(new RegExp(`^new row for relation "t" violates check constraint "t_v_not_bad" \\(the row with key \\d+ from database "kx_A"\\) \\[APPLY_FAILED\\] \\(database "kx_B", table "public.t"; ${LONG_DATE}\\)$`));
    expect(overview[1]).toBe('Bad');

    // fixed on the source: the next retry carries the delete and the sync is well again, with no command
    await world.query(kx.a.url, 'DELETE FROM t WHERE id = 3');
    await waitFor('kx to recover', async () => {
      const worker = (await world.workers()).get('kx');
      return worker?.state === 'idle' && worker.failures === 0;
    }, 40_000, 200);
    expect(await world.ids(kx.b)).toEqual([1, 2]);
    expect(d.log()).toMatch(/DAEMON sync=kx Sync "kx" recovered after \d+ failed attempt\(s\)$/m);
    await world.query(kx.b.url, 'ALTER TABLE t DROP CONSTRAINT t_v_not_bad');
  });

  it('kick of a sync that does not exist: exit 3', async () => {
    const r = await world.bucardo('kick', 'nosuch', '0');
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('ERROR: There is no sync named "nosuch" [SYNC_NOT_FOUND]\n');
  });

  it('pause: the sync is not run and cannot be kicked; resume: it catches up by itself', async () => {
    const paused = await world.bucardo('pause', 'pz');
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toBe('Syncs paused: pz\n');
    await waitFor('the daemon to give pz up', async () => !(await world.workers()).has('pz'));
    const runsBefore = await world.sql("SELECT count(*)::int AS n FROM bucardo.syncrun WHERE sync = 'pz'");

    await world.insert(pz.a, 1);
    await sleep(2000);
    expect(await world.ids(pz.b)).toEqual([]);
    for (const args of [['kick', 'pz', '0'], ['kick', 'pz']]) {
      const k = await world.bucardo(...args);
      expect(k.code, args.join(' ')).toBe(3);
      expect(k.stderr).toBe('ERROR: Cannot kick paused sync "pz" [SYNC_INACTIVE]\n');
    }
    const detail = statusDetail((await world.bucardo('status', 'pz')).stdout);
    expect(detail.get('Status')).toBe('Paused');
    expect(detail.has('Run by')).toBe(false);
    expect(await world.ids(pz.b)).toEqual([]);
    expect(await world.sql("SELECT count(*)::int AS n FROM bucardo.syncrun WHERE sync = 'pz'")).toEqual(runsBefore);

    const resumed = await world.bucardo('resume', 'pz');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toBe('Syncs resumed: pz\n');
    await world.arrives(pz.b, [1], 5_000);
    await world.owned(pid, ['pz']);
    expect(statusDetail((await world.bucardo('status', 'pz')).stdout).get('Status')).toBe('Active');
  });

  it('kick SYNC 1 with no daemon running gives up after 1 s (Timed out!, exit 1) and the run is rolled back', async () => {
    const stop = await d.cli('stop');
    expect(stop.code, stop.stderr).toBe(0);
    expect(alive(pid)).toBe(false);
    await world.insert(kx.a, 4);
    const locker = await world.connect(kx.b.url);
    let result: CliResult | undefined;
    let elapsed = 0;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      const kick = world.bucardo('kick', 'kx', '1');
      // the kick runs the sync itself (no daemon holds its lock): its run waits for the lock, and must be
      // given up at the timeout; the lock is released after 8 s whatever happened, so the test ends
      result = await Promise.race([kick, sleep(8_000).then(() => undefined)]);
      elapsed = Date.now() - started;
      await locker.query('COMMIT');
      result ??= await kick;
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
    expect(result.code, `kick kx 1 ended after ${elapsed} ms with:\n${result.stdout}${result.stderr}`).toBe(1);
    expect(result.stderr).toBe('Timed out!\n');
    expect(elapsed).toBeLessThan(8_000);
    // rolled back: nothing was written, the change is still to be carried
    expect(await world.ids(kx.b)).toEqual([1, 2]);
    const last = await world.sql("SELECT outcome FROM bucardo.syncrun WHERE sync = 'kx' ORDER BY id DESC LIMIT 1");
    expect(last).toEqual([{ outcome: 'bad' }]);
    const done = await world.bucardo('kick', 'kx', '0');
    expect(done.code, done.stderr).toBe(0);
    expect(await world.ids(kx.b)).toEqual([1, 2, 4]);
  });
});

describe('log levels', () => {
  const world = new DaemonWorld(server, 'dlog');
  let lg: Pair;
  beforeAll(async () => {
    await world.install();
    lg = await world.pair('lg');
  });
  afterAll(() => world.dispose());

  it('terse leaves the run summaries out; verbose after reload writes them and the per-table lines; no password', async () => {
    expect(await world.ok('set', 'log_level=terse')).toBe('Set "log_level" to "terse"\n');
    expect(await world.ok('show', 'log_level')).toBe('log_level = terse\n');
    const d = world.daemon();
    const pid = await d.start('log levels');
    const id = daemonId(pid);
    const line = (rest: string): RegExp => new RegExp(`^\\(${pid}\\) \\[${ISO}\\] DAEMON ${rest}$`, 'm');
    await world.owned(pid, ['lg']);

    await world.insert(lg.a, 1);
    await world.arrives(lg.b, [1]);
    await waitFor('a good run of lg', async () => (await world.sql("SELECT 1 FROM bucardo.syncrun WHERE sync = 'lg' AND outcome = 'good'")).length > 0);
    await sleep(500);
    const terse = d.log();
    expect(terse).toMatch(line(`Daemon ${escape(id)} started \\(reason: log levels\\)`));
    expect(terse).not.toContain('Sync "lg" good'); // the run summary is logged at normal
    expect(terse).not.toContain('Running sync "lg"'); // normal
    expect(terse).not.toContain('public.t:'); // verbose

    expect(await world.ok('set', 'log_level=verbose')).toBe('Set "log_level" to "verbose"\n');
    const reload = await d.cli('reload');
    expect(reload.code, reload.stderr).toBe(0);
    expect(reload.stdout).toBe(`Reloading Bucardo (PID ${pid}) ... DONE!\n`);
    await waitFor('the reload to be logged', async () => line('Reloaded the configuration and plugins').test(d.log()));

    await world.insert(lg.a, 2);
    await world.arrives(lg.b, [1, 2]);
    const summary = line('sync=lg run=(\\d+) Sync "lg" good: 1 inserts, 0 deletes, 0 conflicts in \\d+\\.\\d\\ds');
    const log = await waitFor('the run summary in the log', async () => {
      const text = d.log();
      return summary.test(text) && text.includes('public.t: 1 inserts') ? text : undefined;
    });
    const run = summary.exec(log)![1]!;
    expect(log).toMatch(line(`sync=lg run=${run}   public\\.t: 1 inserts, 0 deletes, 0 conflicts`));
    expect(log).toMatch(line(`sync=lg run=${run} Changed keys per source: lg_A: 1 \\([\\d.]+ ms\\)`));
    expect(await world.sql("SELECT outcome FROM bucardo.syncrun WHERE id = $1", [run])).toEqual([{ outcome: 'good' }]);

    // every line: pid, time, role; lines about a run name the sync and the run
    const lines = log.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(4);
    for (const text of lines) {
      expect(text).toMatch(new RegExp(`^\\(${pid}\\) \\[${ISO}\\] (WARN )?DAEMON `));
      if (/Sync "lg" (good|empty|failed)|Changed keys|public\.t:/.test(text)) expect(text).toMatch(/ DAEMON sync=lg run=\d+ /);
    }
    if (server.password) expect(log).not.toContain(server.password);

    expect((await d.cli('stop')).code).toBe(0);
  });
});
