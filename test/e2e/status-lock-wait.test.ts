/**
 * A run that waits shows it, end to end (the `bucardo` command as processes, a daemon, real databases):
 * another session holds a row lock on the target that the run's apply needs, so the run sits in
 * `Applying public.t to s1_B (0 of 1 keys done)`. Once it has not moved on for 10 s, `bucardo status`
 * (the table's State column and the detail's `Current state`) says for how long: `… (0 of 1 keys done;
 * no progress for 12s)`, from the run's last progress time in the control database. When the lock is
 * released, the run finishes and the note is gone.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, statusDetail, statusRow, waitFor, type Pair } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('a run blocked on a row lock on its target', () => {
  const world = new DaemonWorld(server, 'slck');
  let s1: Pair;
  beforeAll(async () => {
    await world.install();
    s1 = await world.pair('s1');
  });
  afterAll(() => world.dispose());

  it('status says the run has made no progress, and for how long, until the lock goes', async () => {
    const d = world.daemon();
    const pid = await d.start('lock wait');
    await world.owned(pid, ['s1']);
    await world.insert(s1.a, 1);
    await world.arrives(s1.b, [1]);

    const holder = await world.connect(s1.b.url);
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT * FROM t WHERE id = 1 FOR UPDATE');
      await world.query(s1.a.url, "UPDATE t SET v = 'changed' WHERE id = 1");
      const waiting = /^Applying public\.t to s1_B \(0 of 1 keys done; no progress for (\d+)s\)$/;
      const state = await waitFor('status s1 to say the run makes no progress', async () => {
        const current = statusDetail((await world.bucardo('status', 's1')).stdout).get('Current state');
        return current && waiting.test(current) ? current : undefined;
      }, 30_000, 500);
      expect(Number(waiting.exec(state)![1])).toBeGreaterThanOrEqual(10);
      expect(statusRow(await world.ok('status'), 's1')?.[1]).toMatch(waiting);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    await waitFor('the run to finish', async () =>
      (await world.query(s1.b.url, 'SELECT v FROM t WHERE id = 1'))[0]?.v === 'changed', 10_000, 100);
    await waitFor('status s1 to show the run Good', async () =>
      statusDetail((await world.bucardo('status', 's1')).stdout).get('Current state') === 'Good', 10_000, 200);
  });
});
