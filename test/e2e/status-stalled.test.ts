/**
 * `bucardo list syncs` and `bucardo status S` agree on a stalled sync, end to end (the `bucardo` command as
 * processes, a daemon, real databases): a target database is dropped under a running daemon, whose runs of
 * the sync then fail to connect and are retried. `status s1` says `Status : Stalled`; `list syncs` says
 * `[Stalled]` for it (Bucardo's form: it writes `stalled` into the sync's status) and `[Active]` for the
 * sync beside it, both from the daemon's worker row. Once the daemon is stopped, neither says Stalled.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { dropDatabase } from '../src/helpers/databases.js';
import { DaemonWorld, statusDetail, waitFor, type Pair } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

/** The line of sync `name` in `bucardo list syncs`. */
const syncLine = (output: string, name: string) => output.split('\n').find((line) => line.startsWith(`Sync "${name}"`));

describe('a sync whose target database was dropped', () => {
  const world = new DaemonWorld(server, 'sstl');
  let s1: Pair;
  let s2: Pair;
  beforeAll(async () => {
    await world.install();
    s1 = await world.pair('s1');
    s2 = await world.pair('s2');
  });
  afterAll(() => world.dispose());

  it('is [Stalled] in list syncs while status says Stalled, and the other sync [Active]', async () => {
    const d = world.daemon();
    const pid = await d.start('stalled');
    await world.owned(pid, ['s1', 's2']);
    await world.insert(s1.a, 1);
    await world.arrives(s1.b, [1]);
    expect(syncLine(await world.ok('list', 'syncs'), 's1')).toMatch(/ \[Active\]$/);

    await dropDatabase(server, s1.b.dbname);
    await world.insert(s1.a, 2);
    await waitFor('status s1 to show Status : Stalled', async () =>
      statusDetail((await world.bucardo('status', 's1')).stdout).get('Status') === 'Stalled', 20_000, 200);

    const listed = await world.ok('list', 'syncs');
    expect(syncLine(listed, 's1')).toMatch(/^Sync "s1"\s+Relgroup "s1_h"\s+DB group "s1_g" s1_A:source s1_B:target  \[Stalled\]$/);
    expect(syncLine(listed, 's2')).toMatch(/ \[Active\]$/);
    expect(await world.ok('list', 'syncs', 's1')).toMatch(/ \[Stalled\]\n$/);

    // no daemon, no word on the sync's databases: both go back to the sync's own status
    expect((await d.cli('stop')).code).toBe(0);
    expect(statusDetail(await world.ok('status', 's1')).get('Status')).toBe('Active');
    expect(syncLine(await world.ok('list', 'syncs'), 's1')).toMatch(/ \[Active\]$/);
  });
});
