/**
 * The times of an interrupted run, end to end (the `bucardo` command as processes, daemons, real
 * databases): a daemon is SIGKILLed about 3 s into a run (held on a row lock on the target meanwhile), and
 * the next daemon, started 6 s later, finds the run interrupted. Its end is when it was last heard of (the
 * later of its last progress and its daemon's last heartbeat), not when it was found: `bucardo status s1`
 * says `Last bad : … (interrupted: last heard of 3s after it started; found at HH:MM:SS)`, and the table's
 * Last bad column has the same end.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { alive, DaemonWorld, sleep, statusDetail, statusRow, waitFor, type Pair } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('a run whose daemon was killed', () => {
  const world = new DaemonWorld(server, 'sint');
  let s1: Pair;
  beforeAll(async () => {
    await world.install();
    s1 = await world.pair('s1');
  });
  afterAll(() => world.dispose());

  it('ends when it was last heard of, and status says when it was found', async () => {
    const first = world.daemon();
    const pid = await first.start('to be killed');
    await world.owned(pid, ['s1']);
    await world.insert(s1.a, 1);
    await world.arrives(s1.b, [1]);

    const holder = await world.connect(s1.b.url);
    let run: string;
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT * FROM t WHERE id = 1 FOR UPDATE');
      await world.query(s1.a.url, "UPDATE t SET v = 'changed' WHERE id = 1");
      run = await waitFor('the run to wait on the lock', async () =>
        (await world.sql("SELECT id FROM bucardo.syncrun WHERE sync = 's1' AND ended IS NULL AND status LIKE 'Applying%'"))[0]?.id as string | undefined, 10_000, 50);
      await sleep(3_000);
      process.kill(pid, 'SIGKILL');
      await waitFor('the killed daemon to be gone', async () => !alive(pid), 5_000, 20);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    await sleep(6_000);
    const next = world.daemon();
    await world.owned(await next.start('the next'), ['s1']);
    await world.arrives(s1.b, [1]);
    expect((await world.query(s1.b.url, 'SELECT v FROM t WHERE id = 1'))[0]?.v).toBe('changed');

    const [row] = await world.sql(
      `SELECT status, extract(epoch FROM ended - started)::float8 AS lasted, extract(epoch FROM (error->>'found')::timestamptz - ended)::float8 AS unheard
         FROM bucardo.syncrun WHERE id = $1`, [run]);
    expect(row!.status).toBe('Interrupted');
    // killed about 3 s in, found some 6 s after that: its end is its daemon's last heartbeat (each second,
    // while the run waited), later than the run's last progress (its apply began at once)
    expect(Number(row!.lasted)).toBeGreaterThan(1.5);
    expect(Number(row!.lasted)).toBeLessThan(5);
    expect(Number(row!.unheard)).toBeGreaterThan(5);

    const detail = statusDetail(await world.ok('status', 's1'));
    expect(detail.get('Last bad')).toMatch(/^\w{3} \d{2}, \d{4} \d{2}:\d{2}:\d{2} \(interrupted: last heard of [2-5]s after it started; found at \d{2}:\d{2}:\d{2}\)$/);
    expect(detail.get('Last error')).toMatch(/^The run was interrupted \(its process ended, or lost the control database, before it finished\) \[RUN_ABORTED\]/);
    const ended = (await world.sql('SELECT to_char(ended, \'HH24:MI:SS\') AS at FROM bucardo.syncrun WHERE id = $1', [run]))[0]!.at;
    expect(statusRow(await world.ok('status'), 's1')?.[5]).toBe(ended);
  });
});
