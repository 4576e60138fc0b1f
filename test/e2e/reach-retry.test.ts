/**
 * A target unreachable long enough for the daemon's retries to back off (1 s, 2 s, 4 s, 8 s … up to
 * 30 s), then back: the retry comes within seconds of its return, not when the backoff says. Found in a
 * failure walk-through: a target's server stopped for 30 s was back at 06:40:06, and the sync waited
 * for its retry until 06:40:33. The stalled worker now test-connects the database every 2 s, silently,
 * and retries as soon as it answers.
 *
 * The target is reached through a TCP proxy, closed for the outage and opened again on the same port.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, waitFor, type TcpProxy } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'rch');
let proxy: TcpProxy;
beforeAll(async () => {
  await world.install();
  proxy = world.proxy();
  await proxy.open();
});
afterAll(() => world.dispose());

describe('a target back after the retries backed off', () => {
  it('is retried within seconds of its return, with one line saying so; the test connections log nothing', async () => {
    const { sync, a, b } = await world.pair('rch', { proxyB: proxy }); // autokick
    const daemon = world.daemon();
    const pid = await daemon.start('reach');
    await world.owned(pid, [sync]);
    await world.insert(a, 1);
    await world.arrives(b, [1]);
    const before = daemon.log().length;

    await proxy.close();
    await world.insert(a, 2);
    // attempts at about 0, 1, 3 and 7 s: after the fourth failure the retry is 8 s away
    await waitFor('the fourth failed attempt', async () => ((await world.workers()).get(sync)?.failures ?? 0) >= 4, 20_000, 50);
    await proxy.open();
    const back = Date.now();
    await world.arrives(b, [1, 2], 5_000);
    expect(Date.now() - back).toBeLessThan(5_000);

    const lines = daemon.log().slice(before).split('\n').filter(Boolean);
    expect(lines.filter((line) => line.includes('answers again'))).toEqual([
      expect.stringMatching(new RegExp(` DAEMON sync=${sync} Sync "${sync}": database "${b.name}" answers again; retrying now rather than in \\d+ s$`)),
    ]);
    // one warning per failed run: the test connections while the target was away said nothing
    const failures = lines.filter((line) => line.includes(' WARN '));
    expect(failures.length, failures.join('\n')).toBe(4);
    expect(failures.every((line) => line.includes(`Sync "${sync}" failed: `))).toBe(true);
    await waitFor('the sync idle again', async () => (await world.workers()).get(sync)?.state === 'idle');
    expect((await world.workers()).get(sync)).toMatchObject({ state: 'idle', failures: 0 });
    expect(await world.ids(b)).toEqual([1, 2]);
  }, 40_000);
});
