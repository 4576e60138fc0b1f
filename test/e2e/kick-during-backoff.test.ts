/**
 * A kick while a failing sync waits for its retry, end to end (the `bucardo` command as processes, real
 * databases): the target is unreachable, so the daemon's runs fail and it waits longer before each retry
 * (1 s, 2 s, 4 s, …). Once the target is back, `bucardo kick S 0` is answered at once, by a run that starts
 * before the retry the daemon had planned; before, the kick waited out the backoff.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, waitFor, type DaemonHandle, type Pair, type TcpProxy } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('a kick during a retry backoff', () => {
  const world = new DaemonWorld(server, 'kbo');
  let proxy: TcpProxy;
  let kb: Pair;
  let d: DaemonHandle;

  beforeAll(async () => {
    await world.install();
    proxy = world.proxy();
    await proxy.open();
    kb = await world.pair('kb', { autokick: false, proxyB: proxy });
    d = world.daemon();
    const pid = await d.start();
    await world.owned(pid, ['kb']);
  });
  afterAll(() => world.dispose());

  it('is answered at once, not when the planned retry comes', async () => {
    await proxy.close();
    await world.insert(kb.a, 1, 2);
    const failed = await world.bucardo('kick', 'kb', '0');
    expect(failed.code, failed.stdout + failed.stderr).not.toBe(0);
    // the daemon retries by itself, waiting longer each time: by the third failure, 4 s
    const worker = await waitFor('a third failure', async () => {
      const [row] = await world.sql("SELECT failures, retry_at FROM bucardo.sync_worker WHERE sync = 'kb'");
      return row && Number(row.failures) >= 3 ? row : undefined;
    }, 20_000, 50);
    const retryAt = worker.retry_at as Date;
    const lastRun = Number((await world.sql("SELECT max(id) AS id FROM bucardo.syncrun WHERE sync = 'kb'"))[0]!.id);

    await proxy.open();
    expect(await world.ok('kick', 'kb', '0')).toMatch(/^Kick kb: \[\d+ s\] DONE!$/m);
    expect(await world.ids(kb.b)).toEqual([1, 2]);
    const [served] = await world.sql("SELECT outcome, started FROM bucardo.syncrun WHERE sync = 'kb' AND id > $1 ORDER BY id LIMIT 1", [lastRun]);
    expect(served!.outcome).toBe('good');
    expect((served!.started as Date).getTime(), `the run started at ${(served!.started as Date).toISOString()}, the retry was planned at ${retryAt.toISOString()}`)
      .toBeLessThan(retryAt.getTime());
    expect(d.log()).toMatch(/Sync "kb" recovered after \d+ failed attempt\(s\)$/m);
  });
});
