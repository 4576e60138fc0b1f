/**
 * `bucardo stop` while a run is under way waits for it to finish (a run is never cut short by a stop).
 * At a terminal it says so after two seconds, on its one line, rather than sitting silent for as long as
 * the run takes (a walk-through waited 41 s on a run held by a lock, with nothing shown). The run is held
 * here by a lock taken on the target's table, let go once the stop has said it waits.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, waitFor } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('bucardo stop at a terminal while a run is under way', () => {
  const world = new DaemonWorld(server, 'stw');
  beforeAll(() => world.install());
  afterAll(() => world.dispose());

  it('says it waits for the runs in progress, then Done once the run finished; the rows arrived', async () => {
    const { a, b } = await world.pair('stw', { autokick: false });
    const daemon = world.daemon();
    const pid = await daemon.start();
    // owned and idle, its start-up checks of the tables done: made after the lock below (a busy machine), a
    // check would wait on it, fail, and put the sync in backoff, where no run waits on the lock to be seen
    await world.owned(pid, ['stw']);
    await world.insert(a, 1, 2);
    const holder = new pg.Client({ connectionString: b.url });
    await holder.connect();
    try {
      await holder.query('BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
      await world.ok('kick', 'stw');
      await waitFor('the run waiting on the lock', async () =>
        (await world.query(b.url, "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")).length > 0, 30_000);
      const stopping = world.bucardoOnTerminal('--pid-dir', daemon.pidDir, 'stop');
      // let go of the run once the stop has waited past its note
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      await holder.query('COMMIT');
      const stopped = await stopping;
      expect(stopped.code, stopped.stdout).toBe(0);
      expect(stopped.stdout).toBe(`Stopping Bucardo (PID ${pid}) ... waiting for the runs in progress to finish (bucardo stop again stops them now) ... Done\r\n`);
    } finally {
      await holder.end();
    }
    expect(await world.ids(b)).toEqual([1, 2]);
  });
});
