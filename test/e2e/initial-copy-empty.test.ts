/**
 * Initial copy, `onetimecopy=2`, end to end (issue 6; Bucardo's acceptance scenario 9): only the targets
 * where a table is empty get it. Table t (100k rows) is empty on B and already there on C; table u (20k
 * rows) is already there on B and empty on C. `bucardo kick S 0` runs as a process with a small batch size
 * and writers change both tables on the source all the while; the kick is SIGKILLed in the middle of t's
 * copy to B and kicked again:
 *
 *  - the copy goes only where the table was empty (t → B, u → C): the rows of C's t and B's u are never
 *    rewritten except for the keys the writers changed;
 *  - the resumed run goes on after the last committed key (`resuming after N rows`), to the targets
 *    chosen when the copy began, without copying the committed rows again;
 *  - the writes made during the copy arrive by the delta path in the same run, every database ends equal
 *    to the source, and `onetimecopy` is 0 again.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { assertConverged } from '../src/helpers/databases.js';
import { statusDetail, waitFor, type Db } from './support/daemon-world.js';
import { batchConfig, Children, threeDatabaseWorld, rewrittenSince, snapshotXmins, Writer } from './support/lifecycle-kit.js';

const server = serverFromInfo(inject('pg'));

const T_ROWS = 100_000;
const U_ROWS = 20_000;
const BATCH = 1_000;

describe('onetimecopy=2: only empty target tables are copied, interrupted and resumed, with writes during the copy', () => {
  const setup = threeDatabaseWorld(server, 'ic2');
  const { world } = setup;
  let kids: Children;
  let a: Db;
  let b: Db;
  let c: Db;

  const fillT = (db: Db) => world.query(db.url, `INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, ${T_ROWS}) AS i`);
  const fillU = (db: Db) => world.query(db.url, `INSERT INTO u SELECT i, 'u' || i FROM generate_series(1, ${U_ROWS}) AS i`);

  beforeAll(async () => {
    ({ kids, a, b, c } = setup);
    for (const db of [a, b, c]) await world.query(db.url, 'CREATE TABLE u (id int PRIMARY KEY, v text)');
    // the source has both tables; B already has u, C already has t (as the source had them before the sync)
    await Promise.all([fillT(a), fillU(a), fillU(b), fillT(c)]);
    await world.api.addTables(['t', 'u'], { herd: 'ic2_h', db: a.name });
    await world.api.addDbGroup('ic2_g', [`${a.name}:source`, `${b.name}:target`, `${c.name}:target`]);
  });

  const progress = async (table: string) =>
    (await world.sql('SELECT targets, last_key, rows, done FROM bucardo.copy_progress WHERE sync = $1 AND tablename = $2', ['ic2', table]))[0];
  const count = async (db: Db, table: string, upTo = 2 ** 31 - 1) =>
    Number((await world.query(db.url, `SELECT count(*) AS n FROM ${table} WHERE id <= $1`, [upTo]))[0]!.n);

  it('copies t to B and u to C only, resumes after a SIGKILL, and delivers the writes made meanwhile', async () => {
    await snapshotXmins(world, c.url, 't', 'before');
    await snapshotXmins(world, b.url, 'u', 'before');
    expect(await world.ok('add', 'sync', 'ic2', 'herd=ic2_h', 'dbs=ic2_g', 'autokick=false', 'onetimecopy=2')).toContain('Added sync "ic2"');
    const config = batchConfig(world, BATCH);
    const kick = () => kids!.spawn('--config', config, '--log-level', 'normal', 'kick', 'ic2', '0');

    const writeT = new Writer(a.url, { table: 't', existing: T_ROWS, firstNewId: 1_000_001 }).start();
    const writeU = new Writer(a.url, { table: 'u', existing: U_ROWS, firstNewId: 1_000_001, pauseMs: 20 }).start();
    await Promise.all([writeT.committed(3), writeU.committed(3)]);

    // 1. the first kick starts copying t to B (only: C's t is not empty), then dies
    const first = kick();
    await waitFor('the first committed batches of t', async () => Number((await progress('t'))?.rows ?? 0) >= 5 * BATCH, 60_000, 10);
    const killed = await kids!.kill(first);
    expect(killed.signal, killed.stdout + killed.stderr).toBe('SIGKILL');
    const stopped = (await progress('t'))!;
    const committedRows = Number(stopped.rows);
    const lastKey = Number(stopped.last_key);
    expect(stopped.targets).toEqual([b.name]);
    expect(stopped.done).toBe(false);
    expect(committedRows).toBeGreaterThanOrEqual(5 * BATCH);
    expect(committedRows).toBeLessThan(T_ROWS);
    expect(await count(b, 't', lastKey)).toBe(committedRows);
    // u's copy has not begun
    expect(await progress('u')).toBeUndefined();
    expect(await snapshotXmins(world, b.url, 't', 'interrupted', lastKey)).toBe(committedRows);
    const interrupted = (await world.sql("SELECT id FROM bucardo.syncrun WHERE sync = 'ic2' AND ended IS NULL"))[0]!.id;

    // 2. the second kick resumes; the writers stop while it copies
    const second = kick();
    await waitFor('the second run to copy', async () =>
      (await world.sql("SELECT 1 FROM bucardo.syncrun WHERE sync = 'ic2' AND id > $1 AND ended IS NULL AND status LIKE 'Copying%'", [interrupted])).length > 0, 60_000, 10);
    await Promise.all([writeT.stop(), writeU.stop()]);
    expect((await progress('t'))?.done).toBe(false);
    const done = await second.exited;
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout).toMatch(/^Kick ic2: \[\d+ s\] DONE!$/m);
    expect(done.stderr).toContain(`Initial copy of public.t from ic2_A to ic2_B (resuming after ${committedRows} rows)`);
    expect(done.stderr).toContain('Initial copy of public.u from ic2_A to ic2_C\n');
    expect(killed.stderr).toContain('Initial copy of public.t from ic2_A to ic2_B\n');

    // 3. every database equals the source, the writes made during the copy included
    await assertConverged([a.url, b.url, c.url], { t: 'id', u: 'id' });
    for (const table of ['t', 'u']) {
      const total = await count(a, table);
      for (const db of [b, c]) expect(await count(db, table), `${table} on ${db.name}`).toBe(total);
    }
    // the tables that were not empty were not copied: only the writers' keys were rewritten there
    expect(await rewrittenSince(world, c.url, 't', 'before', { except: writeT.touched })).toEqual([]);
    expect(await rewrittenSince(world, b.url, 'u', 'before', { except: writeU.touched })).toEqual([]);
    // the rows B's t got before the interruption were not copied again
    expect(await rewrittenSince(world, b.url, 't', 'interrupted', { except: writeT.touched })).toEqual([]);

    // 4. onetimecopy is back to 0 and the progress forgotten
    expect(statusDetail(await world.ok('status', 'ic2')).get('Onetimecopy')).toBe('No');
    expect(await world.sql("SELECT * FROM bucardo.copy_progress WHERE sync = 'ic2'")).toEqual([]);
  });
});
