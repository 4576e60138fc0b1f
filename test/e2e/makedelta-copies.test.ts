/**
 * makedelta and whole-table copies: an initial copy (`onetimecopy`) or a fullcopy member writing into a
 * database with makedelta records the copy there as a truncate (as the capture's truncate trigger would),
 * so that a cascade's next sync, added before the copy, copies the table whole in turn: it converges
 * without an `onetimecopy` of its own, rows the next database had that the first did not included. The
 * truncate goes with the copy's last transaction, after its rows: a sync reading the database half-way
 * through would otherwise copy half a table and never learn of the rest.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'mkc');
let a: Db;
let b: Db;
let c: Db;

async function rows(db: Db, table: string): Promise<string[]> {
  return (await world.query(db.url, `SELECT id || ':' || v AS r FROM ${table} ORDER BY id`)).map((row) => row.r as string);
}

describe('makedelta and whole-table copies: A→B (onetimecopy, fullcopy) with makedelta on B, B→C', () => {
  beforeAll(async () => {
    await world.install();
    [a, b, c] = [await world.database('mc_A'), await world.database('mc_B'), await world.database('mc_C')];
    for (const db of [a, b, c]) await world.query(db.url, 'CREATE TABLE f (id int PRIMARY KEY, v text)');
    await world.query(a.url, "INSERT INTO t SELECT i, 'A ' || i FROM generate_series(1, 5) i; INSERT INTO f VALUES (1, 'A f1')");
    await world.query(c.url, "INSERT INTO t VALUES (99, 'only on C'); INSERT INTO f VALUES (98, 'only on C')");
    await world.api.addTables(['t'], { herd: 'mc_h', db: 'mc_A', makedelta: 'mc_B' });
    await world.api.addTables(['f'], { herd: 'mc_fh', db: 'mc_A', makedelta: 'mc_B' });
    await world.api.addDbGroup('mc_g1', ['mc_A:source', 'mc_B:target']);
    await world.api.addDbGroup('mc_gf', ['mc_A:source', 'mc_B:fullcopy']);
    await world.api.addDbGroup('mc_g2', ['mc_B:source', 'mc_C:target']);
    await world.api.addSync('s1', { herd: 'mc_h', dbs: 'mc_g1', autokick: 'false', onetimecopy: '1' });
    await world.api.addSync('sf', { herd: 'mc_fh', dbs: 'mc_gf', autokick: 'false' });
    // added before the copies: its capture on B is there to read what they record
    await world.api.addSync('s2', { herd: 'mc_h', dbs: 'mc_g2', autokick: 'false' });
    await world.api.addSync('s2f', { herd: 'mc_fh', dbs: 'mc_g2', autokick: 'false' });
  });
  afterAll(() => world.dispose());

  it('an initial copy into B is recorded there as a truncate after its rows, and s2 makes C equal to B without a copy of its own', async () => {
    expect((await world.api.runSync('s1')).outcome).toBe('good');
    expect(await rows(b, 't')).toEqual(await rows(a, 't'));
    expect(await world.query(b.url, `SELECT tablename, (SELECT m.sync FROM bucardo.made_delta m WHERE m.tablename = d.tablename AND m.bucardo_txid = d.bucardo_txid) AS sync,
        d.bucardo_txid::text::bigint > (SELECT max(xmin::text::bigint) FROM t) AS after_rows FROM bucardo.truncate_log d`)).toEqual([{ tablename: 't', sync: 's1', after_rows: true }]);
    // s1 does not read its own truncate back
    expect((await world.api.runSync('s1')).outcome).toBe('empty');
    expect((await world.api.runSync('s2')).outcome).toBe('good');
    expect(await rows(c, 't')).toEqual(['1:A 1', '2:A 2', '3:A 3', '4:A 4', '5:A 5']);
    expect((await world.api.runSync('s2')).outcome).toBe('empty');
    // and the cascade goes on as before
    await world.query(a.url, "UPDATE t SET v = 'A 2, again' WHERE id = 2");
    expect((await world.api.runSync('s1')).outcome).toBe('good');
    expect((await world.api.runSync('s2')).outcome).toBe('good');
    expect(await rows(c, 't')).toEqual(await rows(a, 't'));
  });

  it('a fullcopy member with makedelta passes each run\'s copy on: s2f makes C equal to it', async () => {
    expect((await world.api.runSync('sf')).outcome).toBe('good');
    expect((await world.api.runSync('s2f')).outcome).toBe('good');
    expect(await rows(c, 'f')).toEqual(['1:A f1']);
    await world.query(a.url, "UPDATE f SET v = 'A f1, again' WHERE id = 1; INSERT INTO f VALUES (2, 'A f2')");
    expect((await world.api.runSync('sf')).outcome).toBe('good');
    expect((await world.api.runSync('s2f')).outcome).toBe('good');
    for (const db of [b, c]) expect(await rows(db, 'f')).toEqual(['1:A f1, again', '2:A f2']);
  });
});
