/**
 * A whole server of a sync stopped and started again while a daemon runs and the other sources keep
 * writing. The databases of one node, a source C and the target D, live on a second embedded PostgreSQL
 * cluster that this file starts, stops (fast shutdown: every session cut) and starts again; sources A and
 * B live on the shared test server. The sync (autokick) goes Bad and stalled while the node is down, and
 * recovers with no command once it is back: every database ends with every row written anywhere, once.
 *
 * The daemon is stopped and the second cluster removed in afterAll, even when the test fails.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmbeddedPostgres, type RestartablePgServer } from '../src/fixtures/embedded-postgres.js';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { assertConverged, createDatabase, dropDatabase, uniqueName, withClient } from '../src/helpers/databases.js';
import { DaemonWorld, daemonId, sleep, statusDetail, statusRow, waitFor, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'fcl');
let node: RestartablePgServer | undefined;
const nodeDatabases: string[] = [];

beforeAll(async () => {
  [node] = await Promise.all([startEmbeddedPostgres(), world.install()]);
});
afterAll(async () => {
  await world.dispose(); // stops the daemons first
  if (node) {
    if (!node.running) await node.resume().catch(() => undefined);
    for (const name of nodeDatabases) await dropDatabase(node, name).catch(() => undefined);
    await node.stop();
  }
});

/** A database on the second cluster holding t, registered as `name`. */
async function nodeDatabase(name: string): Promise<Db> {
  const dbname = uniqueName(`fcl_${name}`);
  nodeDatabases.push(dbname);
  const url = await createDatabase(node!, dbname);
  await withClient(url, (c) => c.query('CREATE TABLE t (id int PRIMARY KEY, v text)'));
  await world.api.addDatabase(name, { dbname, host: node!.host, port: String(node!.port), user: node!.user, pass: node!.password });
  return { name, dbname, url };
}

/** A fresh connection each time: the node's databases go away and come back. */
async function ids(db: Db): Promise<number[]> {
  return withClient(db.url, async (c) => (await c.query<{ id: number }>('SELECT id FROM t ORDER BY id')).rows.map((row) => row.id));
}

async function insert(db: Db, ...list: number[]): Promise<void> {
  await withClient(db.url, (c) => c.query("INSERT INTO t SELECT i, 'v' || i FROM unnest($1::int[]) AS i", [list]));
}

describe('a node (a source and the target) on a server that is stopped and started again', () => {
  it('the sync goes Bad and stalls, the other sources keep writing, and it recovers with no command; all converge', async () => {
    const a = await world.database('cl_A');
    const b = await world.database('cl_B');
    const c = await nodeDatabase('cl_C');
    const d = await nodeDatabase('cl_D');
    await world.api.addTables(['t'], { herd: 'cl_h', db: a.name });
    await world.api.addDbGroup('cl_g', [`${a.name}:source`, `${b.name}:source`, `${c.name}:source`, `${d.name}:target`]);
    await world.api.addSync('cl', { herd: 'cl_h', dbs: 'cl_g' }); // autokick

    const daemon = world.daemon();
    const pid = await daemon.start('cluster outage');
    await world.owned(pid, ['cl']);
    const all = [a, b, c, d];
    const written: number[] = [];
    const write = async (db: Db, ...list: number[]): Promise<void> => {
      await insert(db, ...list);
      written.push(...list);
    };
    const everywhere = async (timeoutMs: number): Promise<void> => {
      const want = [...written].sort((x, y) => x - y);
      await waitFor(`all ${want.length} rows on every database`, async () => {
        for (const db of all) if (JSON.stringify(await ids(db)) !== JSON.stringify(want)) return false;
        return true;
      }, timeoutMs, 100);
    };
    await write(a, 1, 2, 3);
    await write(b, 11, 12, 13);
    await write(c, 21, 22, 23);
    await everywhere(15_000);

    // C commits more, and the node goes down at once: some of it may not have left C yet
    await write(c, 24, 25, 26);
    await node!.halt();

    // the other sources keep writing during the outage
    let writing = true;
    let next = 0;
    const writer = (async () => {
      while (writing) {
        await write(a, 1000 + next);
        await write(b, 5000 + next);
        next++;
        await sleep(50);
      }
    })();
    try {
      await waitFor('status to show the sync Bad', async () => statusRow((await world.bucardo('status')).stdout, 'cl')?.[1] === 'Bad', 20_000, 200);
      // the first failure may be a kept session's (`Lost the connection …`); from the first retry on, with
      // new connections, it is the refused connection, which is what a stalled sync shows
      const stalled = await waitFor('status cl to show it stalled, after a retry', async () => {
        const detail = statusDetail((await world.bucardo('status', 'cl')).stdout);
        return detail.get('Run by')?.includes('(stalled') && detail.get('Last error')?.startsWith('Cannot connect') ? detail : undefined;
      }, 20_000, 200);
      expect(stalled.get('Status')).toBe('Stalled');
      expect(stalled.get('Last error')).toMatch(/Cannot connect to database "cl_[CD]" .*\[CONNECTION_FAILED\]/);
      expect((await world.workers()).get('cl')?.failures).toBeGreaterThan(0);
      // a run is all or nothing: while C and D are down, A and B do not get each other's new rows either
      expect((await ids(a)).filter((id) => id >= 5000)).toEqual([]);
      expect((await ids(b)).filter((id) => id >= 1000 && id < 5000)).toEqual([]);
    } finally {
      await node!.resume();
    }
    await sleep(1000);
    writing = false;
    await writer;
    expect(next).toBeGreaterThan(10);
    await write(c, 27, 28); // the source works again

    // no command: the daemon's retries find the node back
    await everywhere(45_000);
    await assertConverged(all.map((db) => db.url), { t: 'id' });
    await world.owned(pid, ['cl'], 20_000);
    expect((await world.workers()).get('cl')).toEqual({ daemon: daemonId(pid), state: 'idle', failures: 0 });
    expect(statusRow((await world.bucardo('status')).stdout, 'cl')?.[1]).toBe('Good');
    expect(daemon.log()).toMatch(/DAEMON sync=cl Sync "cl" recovered after \d+ failed attempt\(s\)$/m);
    // every row once: written ids are unique, and each database holds exactly them
    expect(new Set(written).size).toBe(written.length);
    await daemon.cli('stop');
  });
});
