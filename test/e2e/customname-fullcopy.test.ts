/**
 * A custom name on a fullcopy member: each run makes the renamed table equal to the source's table, and
 * leaves the member's table of the sync's name alone; removing the sync removes its custom names.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('customname on a fullcopy member', () => {
  const world = new DaemonWorld(server, 'cnfc');
  let a: Db;
  let f: Db;

  beforeAll(async () => {
    await world.install();
    a = await world.database('A');
    f = await world.database('F');
    await world.query(f.url, "CREATE TABLE t_full (id int PRIMARY KEY, v text); INSERT INTO t VALUES (50, 'own')");
    await world.api.addTables(['t'], { herd: 'h', db: a.name });
    await world.api.addDbGroup('g', ['A:source', 'F:fullcopy']);
    await world.api.addSync('fc', { herd: 'h', dbs: 'g' });
  });
  afterAll(() => world.dispose());

  const rows = async (db: Db, table: string) => (await world.query(db.url, `SELECT id, v FROM ${table} ORDER BY id`)).map((row) => `${String(row.id)}:${String(row.v)}`);

  it('each run copies the source\'s table whole into the renamed table', async () => {
    expect(await world.ok('add', 'customname', 't', 't_full', 'db=F', 'sync=fc')).toBe('Transformed public.t to public.t_full (database "F", sync "fc")\n');
    await world.query(a.url, "INSERT INTO t VALUES (1, 'one'), (2, 'two')");
    await world.query(f.url, "INSERT INTO t_full VALUES (99, 'only on F')");
    expect(await world.ok('kick', 'fc', '0')).toMatch(/^Kick fc: \[\d+ s\] DONE!$/m);
    expect(await rows(f, 't_full')).toEqual(['1:one', '2:two']);
    expect(await rows(f, 't')).toEqual(['50:own']);

    await world.query(a.url, "DELETE FROM t WHERE id = 1; INSERT INTO t VALUES (3, 'three')");
    expect(await world.ok('kick', 'fc', '0')).toMatch(/^Kick fc: \[\d+ s\] DONE!$/m);
    expect(await rows(f, 't_full')).toEqual(['2:two', '3:three']);
    expect(await rows(f, 't')).toEqual(['50:own']);
  });

  it('a custom name for a sync goes with the sync', async () => {
    await world.ok('remove', 'sync', 'fc');
    expect(await world.ok('list', 'customnames')).toBe('No customnames have been added yet\n');
  });
});
