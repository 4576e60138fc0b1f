/**
 * The daemon when things break, end to end (the `bucardo` command as processes, real databases):
 *
 *  - an outage: a target database becomes unreachable (a TCP proxy in front of it is closed; the shared
 *    server keeps running). Its sync fails and is shown Bad / Stalled with the error while another sync
 *    keeps converging; when the proxy is back, the sync recovers with no command.
 *  - two daemons sharing one control database: each sync is run by exactly one of them (its advisory
 *    lock), and when one is killed with SIGKILL the other takes its syncs within seconds, with nothing
 *    written before, during or after the kill lost.
 *
 * Each describe block has its own control database, databases and daemons; every daemon started is
 * stopped (or killed) in afterAll, before the databases are dropped.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { assertConverged } from '../src/helpers/databases.js';
import {
  alive, daemonId, DaemonWorld, sleep, statusDetail, statusRow, waitFor, type Pair, type TcpProxy,
} from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('a database outage', () => {
  const world = new DaemonWorld(server, 'dout');
  let proxy: TcpProxy;
  let s1: Pair;
  let s2: Pair;
  beforeAll(async () => {
    await world.install();
    proxy = world.proxy();
    await proxy.open();
    s1 = await world.pair('s1', { proxyB: proxy });
    s2 = await world.pair('s2');
  });
  afterAll(() => world.dispose());

  it('the sync of the unreachable database goes Bad and stalls, the other keeps converging, and it recovers with no command', async () => {
    const d = world.daemon();
    const pid = await d.start('outage');
    const id = daemonId(pid);
    await world.owned(pid, ['s1', 's2']);
    await world.insert(s1.a, 1);
    await world.insert(s2.a, 1);
    await world.arrives(s1.b, [1]);
    await world.arrives(s2.b, [1]);

    await proxy.close();
    await world.insert(s1.a, 2, 3);

    const table = await waitFor('status to show s1 Bad', async () => {
      const out = (await world.bucardo('status')).stdout;
      return statusRow(out, 's1')?.[1] === 'Bad' ? out : undefined;
    }, 15_000, 200);
    expect(statusRow(table, 's2')?.[1]).toBe('Good');
    // the first failure may be the kept session's (`Lost the connection …`, APPLY_FAILED); from the first
    // retry on, with new connections, it is the refused connection, which is what a stalled sync shows
    const stalled = await waitFor('status s1 to show the stalled state, after a retry', async () => {
      const detail = statusDetail((await world.bucardo('status', 's1')).stdout);
      return detail.get('Current state') === 'Bad' && detail.get('Run by')?.includes('(stalled') && detail.get('Last error')?.startsWith('Cannot connect') ? detail : undefined;
    }, 15_000, 200);
    expect(stalled.get('Status')).toBe('Stalled');
    expect(stalled.get('Run by')).toMatch(new RegExp(`^daemon ${escape(id)} \\(stalled, \\d+ failed attempts?, retry in \\d+s\\)$`));
    expect(stalled.get('Last error')).toMatch(
      new RegExp(`^Cannot connect to database "s1_B" \\(.*port=${proxy.port}.*\\): .*ECONNREFUSED.* \\[CONNECTION_FAILED\\] \\(.+\\)$`));

    // the other sync is not held up
    for (const i of [2, 3]) {
      await world.insert(s2.a, i);
      await world.arrives(s2.b, [1, 2, 3].slice(0, i), 5_000);
    }
    const during = (await world.workers()).get('s1');
    expect(during?.daemon).toBe(id);
    expect(during?.failures).toBeGreaterThan(0);
    expect(await world.ids(s1.a)).toEqual([1, 2, 3]);
    expect(alive(pid)).toBe(true);

    // the database comes back: the sync catches up on its own (retries back off 1 s, 2 s, 4 s, …)
    await proxy.open();
    await world.arrives(s1.b, [1, 2, 3], 20_000);
    await world.owned(pid, ['s1', 's2']);
    expect((await world.workers()).get('s1')).toEqual({ daemon: id, state: 'idle', failures: 0 });
    const detail = statusDetail((await world.bucardo('status', 's1')).stdout);
    expect(detail.get('Current state')).toBe('Good');
    expect(detail.get('Status')).toBe('Active');
    expect(detail.get('Run by')).toBe(`daemon ${id} (idle)`);
    expect(statusRow((await world.bucardo('status')).stdout, 's1')?.[1]).toBe('Good');
    await assertConverged([s1.a.url, s1.b.url], { t: 'id' });
    await assertConverged([s2.a.url, s2.b.url], { t: 'id' });

    // the log tells the story, each line about a run naming the sync and the run, and no password
    const log = d.log();
    // one line per failed attempt: the failure, the retry, the code
    expect(log).toMatch(new RegExp(`^\\(${pid}\\) \\[[^\\]]+\\] WARN DAEMON sync=s1 run=\\d+ Sync "s1" failed: Cannot connect to database "s1_B".*; retrying in \\d+ s \\(attempt \\d+\\) \\[CONNECTION_FAILED\\]$`, 'm'));
    // the first failed attempt may be the cut connection (APPLY_FAILED) or the refused one
    expect(log).toMatch(new RegExp(`^\\(${pid}\\) \\[[^\\]]+\\] WARN DAEMON sync=s1 run=\\d+ Sync "s1" failed: .*; retrying in 1 s \\(attempt 1\\) \\[[A-Z_]+\\]$`, 'm'));
    expect(log).not.toContain('run failed:');
    expect(log).toMatch(new RegExp(`^\\(${pid}\\) \\[[^\\]]+\\] DAEMON sync=s1 Sync "s1" recovered after \\d+ failed attempt\\(s\\)$`, 'm'));
    if (server.password) expect(log).not.toContain(server.password);

    const stop = await d.cli('stop');
    expect(stop.stdout).toBe(`Stopping Bucardo (PID ${pid}) ... Done\n`);
  });
});

describe('two daemons sharing one control database', () => {
  const world = new DaemonWorld(server, 'dtwo');
  const pairs: Pair[] = [];
  beforeAll(async () => {
    await world.install();
    for (const name of ['t1', 't2', 't3']) pairs.push(await world.pair(name));
  });
  afterAll(() => world.dispose());

  it('each sync is run by exactly one daemon; after a SIGKILL the other takes its syncs within seconds and nothing is lost', async () => {
    const d1 = world.daemon();
    const d2 = world.daemon();
    // t1 for the first daemon; t2 and t3 come back while it is held still, so the second takes them
    await world.ok('pause', 't2', 't3');
    const pid1 = await d1.start('first');
    await world.owned(pid1, ['t1']);
    const pid2 = await d2.start('second');
    await d2.registered(pid2);
    process.kill(pid1, 'SIGSTOP');
    try {
      await world.ok('resume', 't2', 't3');
      await world.owned(pid2, ['t2', 't3']);
    } finally {
      process.kill(pid1, 'SIGCONT');
    }
    await sleep(1500); // a few rounds of the first daemon: it must not take what the second runs
    const [id1, id2] = [daemonId(pid1), daemonId(pid2)];
    const expectOwners = async (owners: Record<string, string>): Promise<void> => {
      const workers = await world.workers();
      expect(Object.fromEntries([...workers].map(([sync, w]) => [sync, w.daemon]))).toEqual(owners);
      const holders = await world.lockHolders();
      expect(Object.fromEntries(holders)).toEqual(Object.fromEntries(Object.entries(owners).map(([sync, daemon]) => [sync, [`bucardo daemon ${daemon}`]])));
    };
    await expectOwners({ t1: id1, t2: id2, t3: id2 });
    expect(statusDetail((await world.bucardo('status', 't2')).stdout).get('Run by')).toBe(`daemon ${id2} (idle)`);

    for (const pair of pairs) await world.insert(pair.a, 1, 2, 3);
    for (const pair of pairs) await world.arrives(pair.b, [1, 2, 3]);

    // writes before, during and after the kill
    let writing = true;
    let next = 100;
    const writer = (async () => {
      while (writing) {
        const id = next++;
        for (const pair of pairs) await world.insert(pair.a, id);
        await sleep(25);
      }
    })();
    await sleep(700);
    process.kill(pid2, 'SIGKILL');
    const killedAt = Date.now();
    const takeover = waitFor('the first daemon to own every sync', async () => {
      const workers = await world.workers();
      return ['t1', 't2', 't3'].every((sync) => workers.get(sync)?.daemon === id1) ? Date.now() - killedAt : undefined;
    }, 15_000, 50);
    await waitFor('the killed daemon to be gone', async () => !alive(pid2), 5_000, 20);
    await sleep(1200);
    writing = false;
    await writer;
    const takeoverMs = await takeover;
    expect(takeoverMs, `ms from SIGKILL to takeover: ${takeoverMs}`).toBeLessThan(5_000);

    const written = [1, 2, 3, ...Array.from({ length: next - 100 }, (_, i) => 100 + i)];
    expect(next - 100).toBeGreaterThan(10);
    for (const pair of pairs) {
      expect(await world.ids(pair.a)).toEqual(written);
      await world.arrives(pair.b, written, 15_000);
      await assertConverged([pair.a.url, pair.b.url], { t: 'id' });
    }
    await world.owned(pid1, ['t1', 't2', 't3']);
    await expectOwners({ t1: id1, t2: id1, t3: id1 });
    // a run the killed daemon left unfinished is marked interrupted by the next run, not shown as running
    expect(await world.sql('SELECT id, worker FROM bucardo.syncrun WHERE ended IS NULL')).toEqual([]);
    // over the whole test, never two runs of one sync at once, whichever daemon ran them: each run of a sync
    // started after the one before it ended; t2 and t3 were run by the second daemon, then by the first
    const runs = await world.sql('SELECT sync, worker, started, ended FROM bucardo.syncrun ORDER BY sync, started, id') as
      Array<{ sync: string; worker: string; started: Date; ended: Date }>;
    for (const [index, run] of runs.entries()) {
      const before = runs[index - 1];
      if (before?.sync === run.sync) expect(run.started.getTime(), `${run.sync}: a run by ${run.worker} began before the one by ${before.worker} ended`).toBeGreaterThanOrEqual(before.ended.getTime());
    }
    for (const sync of ['t2', 't3']) {
      const workers = runs.filter((run) => run.sync === sync).map((run) => run.worker);
      expect(workers, sync).toContain(`daemon ${id2}`);
      expect(workers.at(-1), sync).toBe(`daemon ${id1}`);
      expect(workers.slice(workers.lastIndexOf(`daemon ${id2}`) + 1).every((worker) => worker === `daemon ${id1}`), `${sync}: ${workers.join(', ')}`).toBe(true);
    }
    expect(new Set(runs.filter((run) => run.sync === 't1').map((run) => run.worker))).toEqual(new Set([`daemon ${id1}`]));
    expect(statusDetail((await world.bucardo('status', 't2')).stdout).get('Run by')).toBe(`daemon ${id1} (idle)`);

    // the killed daemon's pid file is left behind: ping says it is stale (or a zombie, until its adopter reaps it)
    const ping = await d2.cli('ping');
    expect(ping.code).toBe(1);
    expect(ping.stdout).toMatch(new RegExp(`^CRITICAL: Bucardo is not running \\((stale PID ${pid2}|PID ${pid2} has ended; its parent has not reaped it)\\)\n$`));

    const stop = await d1.cli('stop');
    expect(stop.stdout).toBe(`Stopping Bucardo (PID ${pid1}) ... Done\n`);
    expect(alive(pid1)).toBe(false);
  });
});
