/**
 * What `status` and `ping` say of a daemon that is gone or does not respond, end to end (the `bucardo`
 * command as processes, real daemons, real databases):
 *
 *  - killed with SIGKILL in the middle of a run: `status SYNC` says `Interrupted` and that the daemon is
 *    not responding, not that it runs the sync (its worker row, which says running, stays behind);
 *  - killed with SIGKILL while `kick SYNC 0` waits for its run: the kick runs the sync itself, from where
 *    the run got to, and says so (it waited for ever for a run nobody would finish);
 *  - Ctrl-C on `kick SYNC 0`: a run the kick started stops, and it says so (it died without a word); a
 *    daemon's run goes on, and the kick only stops waiting, as in Bucardo;
 *  - killed with SIGKILL under a parent that does not reap it (a zombie, which kill(pid, 0) still finds,
 *    with a heartbeat a second old): `ping` says CRITICAL at once, and `status` does not call it running;
 *  - stopped (SIGSTOP): after a few of its heartbeat rounds without a heartbeat, `ping` says CRITICAL and
 *    `status` says it is not responding, though it holds its locks; continued (SIGCONT), it is OK again.
 *
 * Every daemon started is stopped (or killed) in afterAll, before the databases are dropped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { processState } from '@bucardo/core';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { bucardoBin, bucardoEnv, runBucardo } from '../src/helpers/cli.js';
import { alive, daemonId, DaemonWorld, sleep, statusDetail, statusRow, waitFor } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'ddd');
/** Processes this file started itself (the non-reaping parents), killed in afterAll. */
const parents: ChildProcess[] = [];

beforeAll(() => world.install());
afterAll(async () => {
  for (const parent of parents) if (parent.exitCode === null) parent.kill('SIGKILL');
  await world.dispose();
});

/** `HH:MM:SS`, or `Mon DD, YYYY HH:MM:SS` across midnight. */
const WHEN = String.raw`(?:[A-Z][a-z]{2} \d\d, \d{4} )?\d\d:\d\d:\d\d`;
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Sessions of sync `sync` on database `dbname` waiting for a lock. */
async function waitingForLock(dbname: string, sync: string): Promise<boolean> {
  const rows = await world.query(server.url(), `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND wait_event_type = 'Lock'`,
    [dbname, `bucardo ${sync}`]);
  return rows.length > 0;
}

describe('status after kill -9 of the daemon in the middle of a run', () => {
  it('says Interrupted and that the daemon is not responding, never that it runs the sync', async () => {
    const pair = await world.pair('k', { autokick: false });
    const daemon = world.daemon();
    const pid = await daemon.start('status test');
    await world.owned(pid, ['k']);
    await world.insert(pair.a, 1, 2, 3);

    // the run blocks on the target's table until the kill
    const locker = await world.connect(pair.b.url);
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE t IN EXCLUSIVE MODE');
      await world.ok('kick', 'k');
      await waitFor('the run to wait for the lock on B', () => waitingForLock(pair.b.dbname, 'k'), 20_000, 50);
      const running = statusDetail((await daemon.cli('status', 'k')).stdout);
      expect(running.get('Run by')).toBe(`daemon ${daemonId(pid)} (running)`);
      expect(running.get('Current state')).toMatch(/^Applying public\.t/);

      process.kill(pid, 'SIGKILL');
      await waitFor('the killed daemon to be gone', async () => !alive(pid), 5_000, 20);
      // its worker row still says running: nobody is left to change it
      expect((await world.workers()).get('k')?.state).toBe('running');

      const detail = await waitFor('status to say Interrupted', async () => {
        const result = await daemon.cli('status', 'k');
        expect(result.code, result.stderr).toBe(0);
        const lines = statusDetail(result.stdout);
        return lines.get('Current state') === 'Interrupted' ? lines : undefined;
      });
      expect(detail.get('Run by')).toMatch(new RegExp(`^daemon ${escape(daemonId(pid))} \\(not responding since ${WHEN}\\)$`));
      expect(detail.get('Interrupted run')).toMatch(/ended during Applying public\.t/);
      expect(detail.has('Running since')).toBe(false);
      expect(detail.get('Status')).toBe('Active');
      const table = await daemon.cli('status');
      expect(table.stdout).not.toContain('PID of Bucardo MCP');
      expect(statusRow(table.stdout, 'k')?.[1]).toBe('Interrupted');
      // a kick without waiting says that no daemon will serve it: the killed one's row does not count
      expect(await world.ok('kick', 'k')).toBe('Kicked sync k (no daemon is running: it runs when one starts; "bucardo kick SYNC 0" runs it now)\n');
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end().catch(() => undefined);
    }
  });
});

describe('kick SYNC 0 waiting on a run whose daemon is killed', () => {
  /** A daemon running sync `name`, its run blocked on B's table by `locker` until the test lets go. */
  async function blockedRun(name: string) {
    const pair = await world.pair(name, { autokick: false });
    const daemon = world.daemon();
    const pid = await daemon.start('kick takeover test');
    await world.owned(pid, [name]);
    await world.insert(pair.a, 1, 2, 3);
    const locker = await world.connect(pair.b.url);
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE t IN EXCLUSIVE MODE');
    return { pair, daemon, pid, locker };
  }

  it('runs the sync itself from where the run got to, and says so: DONE!, exit 0, the rows on the target', async () => {
    const { pair, daemon, pid, locker } = await blockedRun('kw');
    try {
      const kicking = daemon.cli('kick', 'kw', '0');
      await waitFor('the run to wait for the lock on B', () => waitingForLock(pair.b.dbname, 'kw'), 20_000, 50);
      process.kill(pid, 'SIGKILL');
      await waitFor('the killed daemon to be gone', async () => !alive(pid), 5_000, 20);
      await locker.query('ROLLBACK');
      // it waited for ever: the run it was told of was never going to end
      const result = await kicking;
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/^Kick kw: run \d+ was interrupted \(its process ended\); ran the sync here, from where it got to\nKick kw: \[\d+ s\] DONE!\n$/);
      expect(result.code).toBe(0);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end().catch(() => undefined);
    }
    expect(await world.ids(pair.b)).toEqual([1, 2, 3]);
    expect(statusRow((await daemon.cli('status')).stdout, 'kw')?.[1]).toBe('Good');
  });

  it('with a second kick waiting too: whichever takes over runs it, and neither says KILLED! for the interrupted run', async () => {
    const { pair, daemon, pid, locker } = await blockedRun('kv');
    try {
      const first = daemon.cli('kick', 'kv', '0');
      await waitFor('the run to wait for the lock on B', () => waitingForLock(pair.b.dbname, 'kv'), 20_000, 50);
      const second = daemon.cli('kick', 'kv', '0');
      process.kill(pid, 'SIGKILL');
      await waitFor('the killed daemon to be gone', async () => !alive(pid), 5_000, 20);
      await locker.query('ROLLBACK');
      // a kick whose run was interrupted and taken over by the other waits for the run that took over
      const results = await Promise.all([first, second]);
      for (const result of results) {
        expect(result.stderr).toBe('');
        expect(result.stdout).toMatch(/^(Kick kv: run \d+ was interrupted \(its process ended\); ran the sync here, from where it got to\n)?Kick kv: \[\d+ s\] DONE!\n$/);
        expect(result.code).toBe(0);
      }
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end().catch(() => undefined);
    }
    expect(await world.ids(pair.b)).toEqual([1, 2, 3]);
  });
});

describe('Ctrl-C on kick SYNC 0', () => {
  /** `bucardo kick SYNC 0` interrupted with SIGINT (Ctrl-C) once the run waits for the lock held on `db`. */
  async function interruptedKick(sync: string, db: { dbname: string; url: string }) {
    const locker = await world.connect(db.url);
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE t IN EXCLUSIVE MODE');
      let child: ChildProcess | undefined;
      const kicking = runBucardo(['kick', sync, '0'], { env: bucardoEnv(server, world.control), cwd: world.tempDir('cwd'), started: (started) => { child = started; } });
      await waitFor('the run to wait for the lock', () => waitingForLock(db.dbname, sync), 20_000, 50);
      child!.kill('SIGINT');
      return await kicking;
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end().catch(() => undefined);
    }
  }

  it('on a run this process started: the run stops, it says so, exit 130; the next kick resumes and delivers', async () => {
    const pair = await world.pair('ci', { autokick: false });
    await world.insert(pair.a, 1, 2, 3);
    const result = await interruptedKick('ci', pair.b);
    expect(result.stdout).toMatch(/^Kick ci: \[\d+ s\] $/);
    expect(result.stderr).toBe('Stopped (Ctrl-C): the run of sync "ci" ended here; the next run resumes from its last committed transaction (bucardo status ci says where)\n');
    expect(result.code).toBe(130);
    expect(await world.ids(pair.b)).toEqual([]);
    expect(await world.ok('kick', 'ci', '0')).toMatch(/^Kick ci: \[\d+ s\] DONE!\n$/);
    expect(await world.ids(pair.b)).toEqual([1, 2, 3]);
  });

  it("on a daemon's run: the kick stops waiting, exit 130, and the daemon's run goes on and delivers", async () => {
    const pair = await world.pair('cd', { autokick: false });
    const daemon = world.daemon();
    const pid = await daemon.start('ctrl-c test');
    await world.owned(pid, ['cd']);
    await world.insert(pair.a, 1, 2, 3);
    const result = await interruptedKick('cd', pair.b);
    expect(result.stderr).toBe('Stopped waiting (Ctrl-C): the daemon\'s run of sync "cd" goes on (bucardo status cd)\n');
    expect(result.code).toBe(130);
    await world.arrives(pair.b, [1, 2, 3]);
    expect((await daemon.cli('stop')).code).toBe(0);
  });
});

describe('ping right after kill -9 of a daemon whose parent does not reap it', () => {
  it.skipIf(process.platform !== 'linux')('says CRITICAL at once, and status does not call the zombie running', async () => {
    await world.pair('z', { autokick: false });
    const daemon = world.daemon();
    // the daemon as `bucardo start` launches it, but under a shell that becomes `sleep`, which never reaps
    const parent = spawn('sh', ['-c', '"$0" "$@" & exec sleep 600', process.execPath, bucardoBin,
      '--pid-dir', daemon.pidDir, '--log-destination', daemon.logDir, '__daemon'], {
      cwd: world.tempDir('cwd'), env: { ...process.env, NO_COLOR: '1', ...bucardoEnv(server, world.control) }, stdio: 'ignore',
    });
    parents.push(parent);
    const pid = await waitFor('the daemon to write its pid file', async () => daemon.pid(), 20_000);
    daemon.pids.add(pid);
    await world.owned(pid, ['z']);
    const ok = await daemon.cli('ping');
    expect(ok.stdout).toBe(`OK: Got response from PID ${pid}\n`);

    process.kill(pid, 'SIGKILL');
    await waitFor('the daemon to be a zombie', async () => processState(pid) === 'zombie', 5_000, 10);
    // what fooled ping: the process is still found, and its last heartbeat is about a second old
    expect(() => process.kill(pid, 0)).not.toThrow();
    const ping = await daemon.cli('ping');
    expect(ping.stdout).toBe(`CRITICAL: Bucardo is not running (PID ${pid} has ended; its parent has not reaped it)\n`);
    expect(ping.code).toBe(1);
    expect(processState(pid), 'still a zombie while ping ran').toBe('zombie');

    const detail = statusDetail((await daemon.cli('status', 'z')).stdout);
    expect(detail.get('Run by')).toMatch(new RegExp(`^daemon ${escape(daemonId(pid))} \\(not responding since ${WHEN}\\)$`));
    expect((await daemon.cli('status')).stdout).not.toContain('PID of Bucardo MCP');
    // nor do start and stop take the zombie for a daemon: a new one starts, and takes the sync
    expect((await daemon.cli('stop')).code).toBe(0);
    const next = await daemon.start('after the zombie');
    expect(next).not.toBe(pid);
    await world.owned(next, ['z']);
    // the daemon of the next test must find the syncs free
    expect((await daemon.cli('stop')).code).toBe(0);
  });
});

describe('a daemon that stops responding (SIGSTOP)', () => {
  it('ping says CRITICAL and status not responding after a few missed heartbeats, and OK again once it goes on', async () => {
    await world.pair('st', { autokick: false });
    const daemon = world.daemon();
    const pid = await daemon.start('stop test');
    await world.owned(pid, ['st']);
    expect((await daemon.cli('ping')).code).toBe(0);

    process.kill(pid, 'SIGSTOP');
    try {
      const stopped = Date.now();
      // its last heartbeat was at most a round (1 s) before: 6.5 s on it has missed five rounds, not yet ten seconds' worth
      await sleep(6_500 - (Date.now() - stopped));
      const ping = await daemon.cli('ping');
      // at least the 6.5 s slept, plus however long the command took to start on a busy machine
      const silent = new RegExp(`^CRITICAL: Timed out, no heartbeat from PID ${pid} for (\\d+) s\\n$`).exec(ping.stdout);
      expect(silent, ping.stdout).not.toBeNull();
      expect(Number(silent![1])).toBeGreaterThanOrEqual(6);
      expect(ping.code).toBe(1);
      // it still holds the sync's lock (its connections live), yet does not answer
      expect((await world.lockHolders()).get('st')).toHaveLength(1);
      const detail = statusDetail((await daemon.cli('status', 'st')).stdout);
      expect(detail.get('Run by')).toMatch(new RegExp(`^daemon ${escape(daemonId(pid))} \\(not responding since ${WHEN}\\)$`));
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor('ping OK again', async () => (await daemon.cli('ping')).code === 0, 10_000);
    expect(statusDetail((await daemon.cli('status', 'st')).stdout).get('Run by')).toBe(`daemon ${daemonId(pid)} (idle)`);
    expect((await daemon.cli('stop')).code).toBe(0);
  });
});
