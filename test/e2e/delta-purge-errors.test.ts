/**
 * `bucardo delta` and `bucardo purge` with bad names and during an outage (a walk-through's finds). A
 * misspelt database was taken as "no such backlog": `delta` printed 0 and `purge` said no database had
 * capture, both with exit 0. One source down made both print nothing but its error, when the backlog of
 * the others is what a DBA watches during an outage. Now an unknown name is DB_NOT_FOUND (exit 1, nothing
 * purged), a target is said to have nothing to purge, and a database that cannot be reached is named after
 * what the others show (exit 1).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, type Db, type TcpProxy } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'dpe');
let a: Db;
let b: Db;
let c: Db;
let proxy: TcpProxy;

async function deltaRows(db: Db): Promise<number> {
  const [row] = await world.query(db.url, 'SELECT count(*)::int AS n FROM bucardo.delta_public_t');
  return Number(row!.n);
}

beforeAll(async () => {
  await world.install();
  proxy = world.proxy();
  await proxy.open();
  a = await world.database('dp_A');
  b = await world.database('dp_B', proxy);
  c = await world.database('dp_C');
  await world.api.addTables(['t'], { herd: 'dp_h', db: a.name });
  await world.api.addDbGroup('dp_g', [`${a.name}:source`, `${b.name}:source`, `${c.name}:target`]);
  await world.api.addSync('dp', { herd: 'dp_h', dbs: 'dp_g', autokick: 'false' });
  await world.insert(a, 1, 2);
  await world.insert(b, 3);
  expect(await world.ok('kick', 'dp', '0')).toMatch(/DONE!/);
});
afterAll(() => world.dispose());

describe('bucardo delta and purge', () => {
  it('an unknown database: DB_NOT_FOUND, exit 1, nothing purged', async () => {
    const before = await deltaRows(a);
    expect(before).toBeGreaterThan(0);
    for (const command of ['delta', 'purge']) {
      const result = await world.bucardo(command, a.name, 'dp_X');
      expect(result.code, command).toBe(1);
      expect(result.stderr, command).toBe('ERROR: There is no database named "dp_X" [DB_NOT_FOUND]\n');
      expect(result.stdout, command).toBe('');
    }
    expect(await deltaRows(a)).toBe(before);
  });

  it('a target: nothing to purge there, said so, also beside a source; exit 0', async () => {
    expect(await world.ok('purge', c.name)).toBe('Nothing to purge on dp_C: no sync has consumed change records there\n');
    expect(await world.ok('purge', a.name, c.name)).toMatch(/^Nothing to purge on dp_C: no sync has consumed change records there\nChecking db dp_A\ndp_A: \d+ consumed change records purged\n$/);
  });

  it('a source down: the other\'s backlog is shown and purged, the one down named after it; exit 1', async () => {
    await world.insert(a, 7);
    expect(await world.ok('kick', 'dp', '0')).toMatch(/DONE!/); // a consumed record on A to purge
    await world.insert(a, 4, 5, 6);
    await proxy.close();
    try {
      const delta = await world.bucardo('delta');
      expect(delta.code).toBe(1);
      expect(delta.stdout).toBe('Total deltas across all targets: 3\n  Total deltas for database dp_A: 3\n    public.t: 3\n');
      expect(delta.stderr).toMatch(/^ERROR: Cannot connect to database "dp_B" .*\[CONNECTION_FAILED\]\n$/);

      const purged = await world.bucardo('purge');
      expect(purged.code).toBe(1);
      expect(purged.stdout).toBe('Checking db dp_A\ndp_A: 1 consumed change records purged\n');
      expect(purged.stderr).toMatch(/^ERROR: Cannot connect to database "dp_B" .*\[CONNECTION_FAILED\]\n$/);
      expect(await deltaRows(a)).toBe(3);
    } finally {
      await proxy.open();
    }
    expect(await world.ok('kick', 'dp', '0')).toMatch(/DONE!/);
    expect(await world.ids(c)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await world.ok('purge')).toBe('Checking db dp_A\ndp_A: 3 consumed change records purged\nChecking db dp_B\ndp_B: 1 consumed change records purged\n');
  });
});
