/**
 * A custom name for every receiving database, in a sync with two sources: each source keeps the table's
 * own name (its changes are captured there, and the other source's arrive there), and only the target
 * writes the renamed table.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('customname in a multi-master sync', () => {
  const world = new DaemonWorld(server, 'cnm');
  let a: Db;
  let b: Db;
  let c: Db;

  beforeAll(async () => {
    await world.install();
    a = await world.database('A');
    b = await world.database('B');
    c = await world.database('C');
    await world.query(c.url, 'CREATE TABLE t_all (id int PRIMARY KEY, v text)');
    await world.api.addTables(['t'], { herd: 'h', db: a.name });
    await world.api.addDbGroup('g', ['A:source', 'B:source', 'C:target']);
    await world.api.addSync('mm', { herd: 'h', dbs: 'g', autokick: 'false' });
  });
  afterAll(() => world.dispose());

  const rows = async (db: Db, table: string) => (await world.query(db.url, `SELECT id, v FROM ${table} ORDER BY id`)).map((row) => `${String(row.id)}:${String(row.v)}`);

  it('the sources exchange their changes under the table\'s own name; the target gets them renamed', async () => {
    expect(await world.ok('add', 'customname', 't', 't_all')).toBe('Transformed public.t to public.t_all\n');
    await world.query(a.url, "INSERT INTO t VALUES (1, 'from A')");
    await world.query(b.url, "INSERT INTO t VALUES (2, 'from B')");
    expect(await world.ok('kick', 'mm', '0')).toMatch(/^Kick mm: \[\d+ s\] DONE!$/m);
    expect(await rows(a, 't')).toEqual(['1:from A', '2:from B']);
    expect(await rows(b, 't')).toEqual(['1:from A', '2:from B']);
    expect(await rows(c, 't_all')).toEqual(['1:from A', '2:from B']);
    expect(await rows(c, 't')).toEqual([]);
  });
});
