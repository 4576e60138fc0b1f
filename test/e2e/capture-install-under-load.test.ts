/**
 * Installing capture on a source the application is writing, end to end (the `bucardo` command run as a
 * process, real databases; a walk-through's find: `update dbgroup` under pgbench failed with a bare
 * `deadlock detected` and aborted pgbench's own transactions):
 *
 *  - a table whose capture is already installed as this version installs it is left alone: `update sync S
 *    add table u` goes through while an application transaction holds a row of t (before, every table of
 *    the sync was installed again, and waited on t's lock until it gave up);
 *  - a table whose capture changes (`update table t additive=n`) is locked before its delta table, in the
 *    order the application's writes take them: an application transaction that read a row FOR UPDATE and
 *    then updates it goes through, and the command ends once it commits (before, the two deadlocked).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, waitFor, type Db } from './support/daemon-world.js';
import { Children } from './support/lifecycle-kit.js';

const server = serverFromInfo(inject('pg'));

describe('capture installed on a source under the application\'s writes', () => {
  const world = new DaemonWorld(server, 'ciu');
  let kids: Children;
  let a: Db;
  let b: Db;
  beforeAll(async () => {
    await world.install();
    kids = new Children(world);
    a = await world.database('ciu_A');
    b = await world.database('ciu_B');
    for (const db of [a, b]) await world.query(db.url, 'ALTER TABLE t ADD COLUMN n int NOT NULL DEFAULT 0; CREATE TABLE u (id int PRIMARY KEY, v text)');
    await world.api.addTables(['t'], { herd: 'ciu_h', db: a.name });
    await world.api.addDbGroup('ciu_g', [`${a.name}:source`, `${b.name}:target`]);
    await world.api.addSync('ciu', { herd: 'ciu_h', dbs: 'ciu_g', autokick: 'false' });
    await world.insert(a, 1, 2);
  });
  afterAll(async () => {
    await kids.killAll();
    await world.dispose();
  });

  const triggerOids = async () =>
    (await world.query(a.url, "SELECT oid::text FROM pg_trigger WHERE tgrelid = 'public.t'::regclass AND tgname LIKE 'bucardo_capture%' ORDER BY tgname")).map((row) => String(row.oid));

  it('a table whose capture is as installed is left alone while the application holds it', async () => {
    const before = await triggerOids();
    const app = await world.connect(a.url);
    try {
      await app.query('BEGIN');
      await app.query('SELECT * FROM t WHERE id = 1 FOR UPDATE');
      expect(await world.ok('add', 'table', 'u', `db=${a.name}`)).toContain('public.u');
      const added = await world.bucardo('update', 'sync', 'ciu', 'add', 'table', 'u');
      expect(added.code, added.stderr).toBe(0);
      expect(added.stdout).toMatch(/^Added to sync "ciu": public\.u$/m);
      await app.query("UPDATE t SET v = 'app' WHERE id = 1");
      await app.query('COMMIT');
    } finally {
      await app.end();
    }
    expect(await triggerOids()).toEqual(before);
    await world.query(a.url, "INSERT INTO u VALUES (1, 'u1')");
    expect(await world.ok('kick', 'ciu', '0')).toMatch(/DONE!/);
    expect(await world.query(b.url, 'SELECT id, v FROM t ORDER BY id')).toEqual([{ id: 1, v: 'app' }, { id: 2, v: 'v2' }]);
    expect(await world.query(b.url, 'SELECT id, v FROM u')).toEqual([{ id: 1, v: 'u1' }]);
  });

  it('a table whose capture changes is locked before its delta table: no deadlock with the application', async () => {
    const app = await world.connect(a.url);
    try {
      await app.query('BEGIN');
      await app.query('SELECT * FROM t WHERE id = 2 FOR UPDATE');
      const command = kids.spawn('update', 'table', 't', 'additive=n');
      // the install waits for the application's lock on t, holding nothing the application needs
      await waitFor('the install to wait on t', async () => (await world.query(a.url,
        "SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'public.t'::regclass")).length > 0, 10_000, 20);
      await app.query('UPDATE t SET n = n + 5 WHERE id = 2');
      await app.query('COMMIT');
      const done = await command.exited;
      expect(done.code, done.stdout + done.stderr).toBe(0);
      expect(done.stdout).toBe('Set additive columns of public.t to n\n');
    } finally {
      await app.end();
    }
    await world.query(a.url, 'UPDATE t SET n = n + 1 WHERE id = 1');
    expect(await world.ok('kick', 'ciu', '0')).toMatch(/DONE!/);
    expect(await world.query(b.url, 'SELECT id, n FROM t ORDER BY id')).toEqual([{ id: 1, n: 1 }, { id: 2, n: 5 }]);
  });
});
