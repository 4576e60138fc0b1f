/**
 * `bucardo stop` while a sync's autokick probe waits on its source (a walk-through's find: a daemon
 * stopped after a reload logged `WARN … Sync "foobar" could not be checked: This operation was aborted;
 * retrying in 1 s (attempt 1) [CAPTURE_FAILED]`, a failure that was none). The probe is held on a lock of
 * the delta table, the daemon is stopped, and its log has no failure line.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { alive, DaemonWorld, waitFor } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('stop while a probe waits', () => {
  const world = new DaemonWorld(server, 'sdp');
  beforeAll(() => world.install());
  afterAll(() => world.dispose());

  it('the probe cut short by the stop is no failure', async () => {
    const { a, b } = await world.pair('sp');
    const d = world.daemon();
    const pid = await d.start();
    await world.owned(pid, ['sp']);
    await world.insert(a, 1);
    await world.arrives(b, [1]);

    const holder = await world.connect(a.url);
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE bucardo.delta_public_t IN ACCESS EXCLUSIVE MODE');
      await waitFor('the probe to wait on the delta table', async () => (await world.query(a.url,
        "SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'bucardo.delta_public_t'::regclass")).length > 0, 10_000, 20);
      const stop = await d.cli('stop');
      expect(stop.code, stop.stderr).toBe(0);
      expect(stop.stdout).toBe(`Stopping Bucardo (PID ${pid}) ... Done\n`);
      expect(alive(pid)).toBe(false);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
    expect(d.log()).not.toMatch(/could not be checked|WARN/);
  });
});
