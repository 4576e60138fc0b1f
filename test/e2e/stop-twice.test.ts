/**
 * `bucardo stop` while a long run is in progress (the second test: a stop whose wait, `BUCARDO_STOP_WAIT`,
 * ran out says so and exits 1, and `restart` does not try to start a second daemon).
 *
 * `bucardo stop` while a long initial copy runs: the stop waits for it (runs in progress finish first),
 * which for a copy of hours means the daemon cannot be stopped short of `kill -9`. Found in a failure
 * walk-through: a second `bucardo stop` only logged the first line again, and the first gave up after 5
 * minutes with exit 0 and the daemon still running. Now the second stop stops the runs in progress at
 * their next statement; what they committed stays, and the next start resumes the copy from there.
 *
 * The copy (`onetimecopy=1`, batches of 1,000 rows) is held in its second batch on the target by a
 * statement trigger waiting for an advisory lock this test holds, so the first batch is committed and the
 * second is under way when the stops come.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { alive, DaemonWorld, sleep, statusDetail, waitFor } from './support/daemon-world.js';
import { batchConfig } from './support/lifecycle-kit.js';
import { WriteHold } from './support/write-hold.js';

const server = serverFromInfo(inject('pg'));
const ROWS = 5_000;
const BATCH = 1_000;
const LOCK = 7_406_112;

describe('bucardo stop twice while an initial copy runs', () => {
  const world = new DaemonWorld(server, 'st2');
  beforeAll(() => world.install());
  afterAll(() => world.dispose());

  it('the second stop ends the copy at once, keeping its committed batch; the next start resumes it', async () => {
    const { sync, a, b } = await world.pair('st2', { autokick: false });
    await world.query(a.url, `INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, ${ROWS}) AS i`);
    // every write into B's t after its first batch waits for the test's lock
    await world.query(b.url, `CREATE FUNCTION hold_t() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF (SELECT count(*) FROM t) > ${BATCH} THEN PERFORM pg_advisory_xact_lock(${LOCK}); END IF; RETURN NULL; END $$;
      CREATE TRIGGER hold_t AFTER INSERT ON t FOR EACH STATEMENT EXECUTE FUNCTION hold_t()`);
    const hold = await WriteHold.take(b.url, LOCK);
    const config = batchConfig(world, BATCH);
    try {
      await world.ok('update', 'sync', sync, 'onetimecopy=1');
      const daemon = world.daemon();
      const pid = await daemon.start('--config', config);
      await world.ok('kick', sync);
      await hold.reached('the copy\'s second batch');

      const first = daemon.cli('stop', 'first');
      await waitFor('the first stop to be received', async () => daemon.log().includes('stopping after the runs in progress'));
      await sleep(500);
      expect(alive(pid)).toBe(true); // it waits for the copy

      const second = await Promise.race([
        daemon.cli('stop', 'second'),
        sleep(15_000).then(() => { throw new Error('the second stop did not stop the daemon within 15 s'); }),
      ]);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toBe(`Stopping Bucardo (PID ${pid}) ... Done\n`);
      expect((await first).stdout).toBe(`Stopping Bucardo (PID ${pid}) ... Done\n`);
      expect(alive(pid)).toBe(false);
      expect(daemon.log()).toContain('DAEMON Received SIGTERM again (reason: second): stopping the runs in progress now (what they committed is kept; the next start resumes them)\n');
      // the first batch is kept, nothing of the second
      expect((await world.ids(b)).length).toBe(BATCH);
      const detail = statusDetail(await world.ok('status', sync));
      expect(detail.get('Onetimecopy')).toBe('Yes');

      await hold.release();
      const again = await daemon.start('--config', config);
      await waitFor('the copy to finish', async () => (await world.ids(b)).length === ROWS, 20_000, 100);
      expect(daemon.log()).toMatch(new RegExp(`\\(${again}\\) .* Initial copy of public\\.t from ${a.name} to ${b.name} \\(resuming after ${BATCH} rows\\)`));
      expect(await world.ids(b)).toEqual(await world.ids(a));
    } finally {
      await hold.release().catch(() => undefined);
    }
  }, 60_000);

  it('a stop that waited its time out (BUCARDO_STOP_WAIT) says so and exits 1; restart does not start a second daemon', async () => {
    await world.pair('st3', { autokick: false });
    const daemon = world.daemon({ BUCARDO_STOP_WAIT: '1' });
    const pid = await daemon.start();
    const notice = `still running after 1 s (a long run has not finished yet; bucardo stop again stops it now, and the next start resumes it)`;
    // a daemon that cannot answer in time (frozen: its SIGTERM waits until it goes on)
    process.kill(pid, 'SIGSTOP');
    try {
      const restarted = await daemon.cli('restart');
      expect(restarted.code, restarted.stdout + restarted.stderr).toBe(1);
      expect(restarted.stdout).toBe(`Stopping Bucardo (PID ${pid}) ... ${notice}\n`);
      expect(daemon.pid()).toBe(pid);
      const waited = await daemon.cli('stop', 'in a hurry');
      expect(waited.code, waited.stdout + waited.stderr).toBe(1);
      expect(waited.stdout).toBe(`Stopping Bucardo (PID ${pid}) ... ${notice}\n`);
      expect(alive(pid)).toBe(true);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor('the daemon to stop once it goes on', async () => !alive(pid));
    expect((await daemon.cli('stop')).stdout).toBe('Bucardo is not running\n');
  }, 60_000);
});
