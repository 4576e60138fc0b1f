/**
 * Unique values that collide while a run writes (a walk-through's finds), through `bucardo kick`:
 *  - an application inserts, on a receiving source, a key the run is writing there, between the run's
 *    delete of the key and its write: the run's transaction is tried again, which leaves the
 *    application's row alone (a change after the capture), and the kick ends DONE; before, the run
 *    failed with the bare duplicate-key error and the sync went Bad until the next run;
 *  - two sources give one value of a unique column to different rows: the error says it is a conflict
 *    between rows that no strategy settles and what to do; once the value is changed on one source,
 *    the next run goes through and every database converges.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { assertConverged } from '../src/helpers/databases.js';
import { DaemonWorld, waitFor, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'uqc');

beforeAll(() => world.install());
afterAll(() => world.dispose());

const rows = async (db: Db) => (await world.query(db.url, 'SELECT id, v FROM t ORDER BY id')).map((row) => `${String(row.id)}:${String(row.v)}`);

describe('a key an application inserts on a receiving source while the run writes it', () => {
  it('the transaction is tried again, the application\'s row is left alone and carried by the next run; all converge', async () => {
    const a = await world.database('rc_A');
    const b = await world.database('rc_B');
    const c = await world.database('rc_C');
    await world.api.addTables(['t'], { herd: 'rc_h', db: a.name });
    await world.api.addDbGroup('rc_g', [`${a.name}:source`, `${b.name}:source`, `${c.name}:target`]);
    await world.api.addSync('rc', { herd: 'rc_h', dbs: 'rc_g', autokick: 'false' });
    await world.query(a.url, "INSERT INTO t VALUES (100, 'from A')");

    // B's insert of the same key, not committed yet: the run's delete does not see it, its write waits on it
    const writer = await world.connect(b.url);
    try {
      await writer.query("BEGIN; INSERT INTO t VALUES (100, 'from B')");
      const kick = world.bucardo('--log-level', 'normal', 'kick', 'rc', '0');
      await waitFor('the run to wait on B\'s insert', async () => (await world.query(b.url,
        "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name LIKE 'bucardo%'")).length > 0, 15_000);
      await writer.query('COMMIT');
      const kicked = await kick;
      expect(kicked.code, kicked.stdout + kicked.stderr).toBe(0);
      expect(kicked.stdout + kicked.stderr).toMatch(/A race with another writer \(duplicate key value violates unique constraint "[^"]+" \(Key \(id\)=\(100\) already exists\.\): the run deleted this key on database "rc_B" before writing it, and another session inserted it meanwhile .*\); retrying the transaction in \d+ ms/);
    } finally {
      await writer.end();
    }
    expect(await rows(b)).toEqual(['100:from B']);
    expect(await rows(c)).toEqual(['100:from A']);

    // B's row is a change after the run's capture: the next run carries it everywhere
    expect(await world.ok('kick', 'rc', '0')).toMatch(/DONE!/);
    for (const db of [a, b, c]) expect(await rows(db), db.name).toEqual(['100:from B']);
    await assertConverged([a.url, b.url, c.url], { t: 'id' });
  });
});

describe('one value of a unique column given to different rows on two sources', () => {
  it('fails naming the value, the database and the way out; changed on one source, the next run converges', async () => {
    const a = await world.database('uv_A');
    const b = await world.database('uv_B');
    for (const db of [a, b]) await world.query(db.url, 'ALTER TABLE t ADD CONSTRAINT t_v_unique UNIQUE (v)');
    await world.api.addTables(['t'], { herd: 'uv_h', db: a.name });
    await world.api.addDbGroup('uv_g', [`${a.name}:source`, `${b.name}:source`]);
    await world.api.addSync('uv', { herd: 'uv_h', dbs: 'uv_g', autokick: 'false' });
    await world.query(a.url, "INSERT INTO t VALUES (1, 'x')");
    await world.query(b.url, "INSERT INTO t VALUES (2, 'x')");

    const failed = await world.bucardo('kick', 'uv', '0');
    expect(failed.code).toBe(2);
    expect(failed.stdout + failed.stderr).toMatch(/duplicate key value violates unique constraint "t_v_unique" \(Key \(v\)=\(x\) already exists\.\): another row on database "uv_[AB]" holds this value\. Where two sources gave it to different rows, this is a conflict between rows that no strategy settles: change the value on one source and the next run goes through\./);
    expect(await rows(a)).toEqual(['1:x']);
    expect(await rows(b)).toEqual(['2:x']);

    await world.query(b.url, "UPDATE t SET v = 'y' WHERE id = 2");
    expect(await world.ok('kick', 'uv', '0')).toMatch(/DONE!/);
    for (const db of [a, b]) expect(await rows(db), db.name).toEqual(['1:x', '2:y']);
  });
});
