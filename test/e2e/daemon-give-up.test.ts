/**
 * A sync paused while its run is blocked (its target's table locked), end to end: the daemon gives the
 * sync up without waiting for that run, so its rounds go on.
 *
 *  - for longer than the heartbeat expiry (5 s), `ping` stays OK and `status` never says "not
 *    responding", the sync's lock still held by the daemon, and another sync goes on syncing; once the lock
 *    is released the run finishes, and the sync is paused with nobody holding its lock;
 *  - resumed while the given-up run is still blocked, the sync is not run a second time at once: it is
 *    taken again once that run is over, and syncs on.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { daemonId, DaemonWorld, sleep, statusDetail, waitFor, type DaemonHandle, type Pair } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
/** Longer than ping's and status's heartbeat expiry (five 1 s rounds). */
const PAST_EXPIRY_MS = 7_000;

describe('pausing a sync whose run is blocked', () => {
  const world = new DaemonWorld(server, 'dgu');
  let blocked: Pair;
  let other: Pair;
  let d: DaemonHandle;
  let pid = 0;

  /** Sessions of sync `sync` on database `db` waiting for a lock. */
  const waitingForLock = async (db: Pair['b'], sync: string): Promise<number> => {
    const rows = await world.query(server.url(), `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND wait_event_type = 'Lock'`,
      [db.dbname, `bucardo ${sync}`]);
    return Number(rows[0]!.n);
  };
  const openRuns = async (sync: string): Promise<number> =>
    Number((await world.sql('SELECT count(*)::int AS n FROM bucardo.syncrun WHERE sync = $1 AND ended IS NULL', [sync]))[0]!.n);
  const givenUp = (): number => d.log().split('\n').filter((line) => line.includes(`Giving up sync "${blocked.sync}" (paused)`)).length;

  /** Locks the target's table, makes changes and kicks: returns once the run waits for the lock, with the locking session. */
  const blockRun = async (...ids: number[]) => {
    const locker = await world.connect(blocked.b.url);
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE t IN EXCLUSIVE MODE');
    await world.insert(blocked.a, ...ids);
    await world.ok('kick', blocked.sync);
    await waitFor('the run to wait for the lock on B', async () => (await waitingForLock(blocked.b, blocked.sync)) === 1, 20_000, 50);
    return locker;
  };

  beforeAll(async () => {
    await world.install();
    blocked = await world.pair('gb', { autokick: false });
    other = await world.pair('go');
    d = world.daemon();
    pid = await d.start('give-up test');
    await world.owned(pid, [blocked.sync, other.sync]);
  });
  afterAll(() => world.dispose());

  it('ping stays OK and status never says not responding while the run finishes; then the sync is paused, its lock free', async () => {
    const locker = await blockRun(1, 2, 3);
    try {
      const pause = await d.cli('pause', blocked.sync);
      expect(pause.code, pause.stderr).toBe(0);
      await waitFor('the daemon to give the sync up', async () => givenUp() === 1);
      const until = Date.now() + PAST_EXPIRY_MS;
      let id = 100;
      while (Date.now() < until) {
        const ping = await d.cli('ping');
        expect(ping.stdout).toBe(`OK: Got response from PID ${pid}\n`);
        expect(ping.code).toBe(0);
        const status = await d.cli('status');
        expect(status.code, status.stderr).toBe(0);
        expect(status.stdout).not.toContain('not responding');
        expect(statusDetail((await d.cli('status', blocked.sync)).stdout).get('Run by')).toBe(`daemon ${daemonId(pid)} (running)`);
        // the lock stays with the run until it is over: no other daemon could take the sync meanwhile
        expect((await world.lockHolders()).get(blocked.sync)).toEqual([`bucardo daemon ${daemonId(pid)}`]);
        await world.insert(other.a, ++id);
        await world.arrives(other.b, [id]);
      }
      expect(await waitingForLock(blocked.b, blocked.sync)).toBe(1);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end().catch(() => undefined);
    }
    await world.arrives(blocked.b, [1, 2, 3]);
    await waitFor('the sync to be given up', async () => !(await world.workers()).has(blocked.sync) && (await world.lockHolders()).get(blocked.sync)?.length === 0);
    const detail = statusDetail((await d.cli('status', blocked.sync)).stdout);
    expect(detail.get('Status')).toBe('Paused');
    expect(detail.get('Current state')).toBe('Good');
    expect((await d.cli('ping')).code).toBe(0);
  });

  it('resumed while the given-up run is blocked, it is not run twice at once, and is taken again after', async () => {
    const resume = await d.cli('resume', blocked.sync);
    expect(resume.code, resume.stderr).toBe(0);
    await world.owned(pid, [blocked.sync]);
    const locker = await blockRun(4);
    try {
      expect((await d.cli('pause', blocked.sync)).code).toBe(0);
      await waitFor('the daemon to give the sync up', async () => givenUp() === 2);
      expect((await d.cli('resume', blocked.sync)).code).toBe(0);
      // a few rounds: a second worker would start a second run, which would wait for the lock too
      await sleep(3_000);
      expect(await waitingForLock(blocked.b, blocked.sync)).toBe(1);
      expect(await openRuns(blocked.sync)).toBe(1);
      expect((await world.lockHolders()).get(blocked.sync)).toEqual([`bucardo daemon ${daemonId(pid)}`]);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end().catch(() => undefined);
    }
    await world.arrives(blocked.b, [1, 2, 3, 4]);
    await world.owned(pid, [blocked.sync]);
    await world.insert(blocked.a, 5);
    await world.ok('kick', blocked.sync, '10');
    await world.arrives(blocked.b, [1, 2, 3, 4, 5]);
    expect(await openRuns(blocked.sync)).toBe(0);
    expect((await world.lockHolders()).get(blocked.sync)).toEqual([`bucardo daemon ${daemonId(pid)}`]);
  });
});
