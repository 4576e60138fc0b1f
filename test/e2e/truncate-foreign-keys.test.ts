/**
 * Writes made after a truncate that point (foreign key) at rows new in the same run, end to end, with the
 * `bucardo` command run as processes and real databases: two sources and a target, `chi` pointing at `par`
 * pointing at `gpar`; A truncates `chi`, then B writes rows of `chi` that point at rows B writes in `par`
 * (and `gpar`) in the same interval.
 *
 *  - the parent rows new in the run are written first, on every database, so the child rows written after
 *    the truncate are kept everywhere (they used to be dropped with a warning, as Bucardo drops them);
 *    through a grandparent too;
 *  - a parent key both sources wrote is settled as the run's normal apply settles it (conflict=latest);
 *  - in a run cut into key partitions as well;
 *  - a run failing after those rows were written loses nothing: the next run converges;
 *  - a child row whose parent is deleted in the same run (so on no database at its end) is still dropped,
 *    with a warning naming the table and the constraint, and the run goes through.
 *
 * One control database for the file; every database is made and dropped by DaemonWorld.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { assertConverged } from '../src/helpers/databases.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';
import { batchConfig } from './support/lifecycle-kit.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'tfk');
let a: Db;
let b: Db;
let t: Db;
const tables = { gpar: 'id', par: 'id', chi: 'id' };

beforeAll(async () => {
  await world.install();
  a = await world.database('tf_A');
  b = await world.database('tf_B');
  t = await world.database('tf_T');
  for (const db of [a, b, t]) {
    await world.query(db.url, `CREATE TABLE gpar (id int PRIMARY KEY);
      CREATE TABLE par (id int PRIMARY KEY, gid int REFERENCES gpar, v text);
      CREATE TABLE chi (id int PRIMARY KEY, pid int REFERENCES par);
      INSERT INTO par VALUES (30, NULL, 'p30')`);
  }
  // in name order: the run writes them parents first all the same
  await world.api.addTables(['chi', 'gpar', 'par'], { herd: 'tf_h', db: a.name });
  await world.api.addDbGroup('tf_g', ['tf_A:source', 'tf_B:source', 'tf_T:target']);
  await world.api.addSync('tf', { herd: 'tf_h', dbs: 'tf_g', autokick: 'false', conflict: 'latest' });
});
afterAll(() => world.dispose());

const rows = async (db: Db, table: string) => (await world.query(db.url, `SELECT * FROM ${table} ORDER BY id`)).map((row) => Object.values(row).join(':'));
const kickLogged = async (...options: string[]) => {
  const run = await world.bucardo('--log-level', 'normal', ...options, 'kick', 'tf', '0');
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return run.stdout + run.stderr;
};

describe('writes made after a truncate that point at rows new in the same run', () => {
  it('are kept everywhere: the rows they point at are written first, on every database', async () => {
    await world.query(a.url, 'TRUNCATE chi');
    await world.query(b.url, "INSERT INTO par VALUES (10, NULL, 'b10'); INSERT INTO chi VALUES (100, 10)");
    const log = await kickLogged();
    expect(log).toContain('Table public.chi was truncated on tf_A: first writing the keys other sources changed after the truncate (tf_B: 1), so that its copy carries them');
    expect(log).toContain('Writing the new rows and updates of public.par first, on every database: the keys other sources changed after the truncate of public.chi may point at them');
    expect(log).not.toContain('were dropped');
    // written once: par 10 into A and T, chi 100 into A (its copy to B and T counts no key)
    expect(log).toMatch(/Sync "tf" good: 3 inserts, 0 deletes, 0 conflicts in /);
    for (const db of [a, b, t]) {
      expect(await rows(db, 'par'), db.name).toEqual(['10::b10', '30::p30']);
      expect(await rows(db, 'chi'), db.name).toEqual(['100:10']);
    }
    // written once: nothing echoes back, the next run is empty
    expect(await world.ok('kick', 'tf', '0')).toMatch(/^Kick tf: \[\d+ s\] DONE!$/m);
    await assertConverged([a.url, b.url, t.url], tables);
  });

  it('through a grandparent, with a parent key both sources wrote settled by the sync\'s strategy', async () => {
    await world.query(a.url, 'TRUNCATE chi');
    // key 21 written on both sources after the truncate, B's later: conflict=latest picks B's row
    await world.query(a.url, "INSERT INTO par VALUES (21, NULL, 'a21')");
    await world.query(b.url, "INSERT INTO gpar VALUES (2); INSERT INTO par VALUES (20, 2, 'b20'), (21, 2, 'b21'); INSERT INTO chi VALUES (200, 20), (201, 21)");
    const log = await kickLogged();
    expect(log).toContain('Writing the new rows and updates of public.gpar, public.par first, on every database: the keys other sources changed after the truncate of public.chi may point at them');
    expect(log).not.toContain('were dropped');
    for (const db of [a, b, t]) {
      expect(await rows(db, 'gpar'), db.name).toEqual(['2']);
      expect(await rows(db, 'par'), db.name).toEqual(['10::b10', '20:2:b20', '21:2:b21', '30::p30']);
      expect(await rows(db, 'chi'), db.name).toEqual(['200:20', '201:21']);
    }
    // settled once: the normal apply did not settle it again
    expect(await world.sql("SELECT tablename, key, winner FROM bucardo.conflict_log WHERE sync = 'tf'")).toEqual([{ tablename: 'public.par', key: '21', winner: 'tf_B' }]);
    await assertConverged([a.url, b.url, t.url], tables);
  });

  it('in a run cut into key partitions too', async () => {
    const config = batchConfig(world, 40, { partitionSize: 50 });
    await world.query(a.url, 'TRUNCATE chi');
    await world.query(b.url, `INSERT INTO par SELECT i, NULL, 'b' || i FROM generate_series(1001, 1080) AS i;
      INSERT INTO chi SELECT i, i FROM generate_series(1001, 1080) AS i;
      INSERT INTO chi SELECT i, 30 FROM generate_series(2001, 2100) AS i`);
    const log = await kickLogged('--config', config, '--log-level', 'verbose');
    expect(log).toMatch(/Changed keys per source \(partition 1 of [2-9]\)/);
    expect(log).toContain('first writing the keys other sources changed after the truncate (tf_B: 180)');
    expect(log).not.toContain('were dropped');
    const children = [...Array.from({ length: 80 }, (_, i) => `${1001 + i}:${1001 + i}`), ...Array.from({ length: 100 }, (_, i) => `${2001 + i}:30`)];
    for (const db of [a, b, t]) {
      expect((await rows(db, 'par')).length, db.name).toBe(84);
      expect(await rows(db, 'chi'), db.name).toEqual(children);
    }
    await assertConverged([a.url, b.url, t.url], tables);
  });

  it('lose nothing when the run fails after the rows they point at were written, and the next run converges', async () => {
    await world.query(a.url, 'TRUNCATE chi');
    await world.query(b.url, "INSERT INTO par VALUES (40, NULL, 'b40'); INSERT INTO chi VALUES (400, 40)");
    await world.query(t.url, `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'no rows today'; END$$;
      CREATE TRIGGER refuse BEFORE INSERT ON chi FOR EACH ROW EXECUTE FUNCTION refuse()`);
    const failed = await world.bucardo('kick', 'tf', '0');
    expect(failed.code).not.toBe(0);
    expect(failed.stdout + failed.stderr).toContain('no rows today');
    // committed before the copy that failed: the parent everywhere, the child in the winner's table
    for (const db of [a, b, t]) expect(await rows(db, 'par'), db.name).toContain('40::b40');
    expect(await rows(a, 'chi')).toEqual(['400:40']);
    await world.query(t.url, 'DROP TRIGGER refuse ON chi');
    const log = await kickLogged();
    expect(log).toContain('Writing the new rows and updates of public.par first, on every database');
    for (const db of [a, b, t]) {
      expect(await rows(db, 'par'), db.name).toContain('40::b40');
      expect(await rows(db, 'chi'), db.name).toEqual(['400:40']);
    }
    await assertConverged([a.url, b.url, t.url], tables);
  });

  it('are dropped with a warning naming the table and the constraint where the row they point at is on no database at the run\'s end', async () => {
    await world.query(a.url, 'TRUNCATE chi');
    // B's row points at 30, which A deletes afterwards (A's chi, truncated, holds nothing pointing at it)
    await world.query(b.url, 'INSERT INTO chi VALUES (300, 30)');
    await world.query(a.url, 'DELETE FROM par WHERE id = 30');
    const log = await kickLogged();
    expect(log).toMatch(/The keys other sources changed after the truncate of public\.chi on tf_A \(tf_B: 1\) were dropped, as Bucardo drops them: a row they point at comes later in this run \(.*chi_pid_fkey.*\)/);
    for (const db of [a, b, t]) {
      expect(await rows(db, 'par'), db.name).not.toContain('30::p30');
      expect(await rows(db, 'chi'), db.name).toEqual([]);
    }
    await assertConverged([a.url, b.url, t.url], tables);
  });
});
