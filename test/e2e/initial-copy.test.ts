/**
 * Initial copy, `onetimecopy=1`, end to end (issue 6): a 100k-row source table copied to two targets in
 * committed batches by `bucardo kick S 0` run as a process, with a writer changing the source all the
 * while; the kick is SIGKILLed in the middle of the copy and kicked again:
 *
 *  - what the killed run committed stays (`bucardo.copy_progress` says how far it got, and the targets
 *    hold exactly those rows), and the next kick resumes after the last committed key: the rows it had
 *    committed are not copied again (their xmin is unchanged) and the log says `resuming after N rows`;
 *  - `bucardo status S` shows `Copying public.t from A to B, C (N of about M rows)` while it copies, M the
 *    source's row estimate (its statistics), read once per table copy;
 *  - the writes made during the copy (before, during and after the interruption) are delivered by the
 *    delta path of the same run: every database ends equal to the source, stale target rows gone;
 *  - `onetimecopy` goes back to 0 (`Onetimecopy : No`), and the next run is a plain delta run.
 *
 * `onetimecopy=2` is in initial-copy-empty.test.ts (a file of its own, so the two run in parallel).
 */
import pg from 'pg';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { assertConverged } from '../src/helpers/databases.js';
import { statusDetail, waitFor, type Db } from './support/daemon-world.js';
import { batchConfig, Children, threeDatabaseWorld, rewrittenSince, snapshotXmins, Writer } from './support/lifecycle-kit.js';

const server = serverFromInfo(inject('pg'));

const ROWS = 100_000;
/** Small batches: about a hundred commits per target, so the copy is still going when it is killed. */
const BATCH = 1_000;

describe('onetimecopy=1: a 100k-row copy, interrupted, resumed, with writes during the copy', () => {
  const setup = threeDatabaseWorld(server, 'ic1');
  const { world } = setup;
  let kids: Children;
  let a: Db;
  let b: Db;
  let c: Db;

  beforeAll(async () => {
    ({ kids, a, b, c } = setup);
    await world.query(a.url, `INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, ${ROWS}) AS i`);
    // statistics, as autovacuum would gather them in time: the copy's progress shows their row estimate
    await world.query(a.url, 'VACUUM ANALYZE t');
    // B is not empty: stale values for keys the source has, and keys it does not have; C is empty
    await world.query(b.url, `INSERT INTO t SELECT i, 'stale' FROM generate_series(${ROWS - 99}, ${ROWS + 200}) AS i`);
    await world.api.addTables(['t'], { herd: 'ic1_h', db: a.name });
    await world.api.addDbGroup('ic1_g', [`${a.name}:source`, `${b.name}:target`, `${c.name}:target`]);
  });

  const progress = async () => (await world.sql('SELECT targets, last_key, rows, done FROM bucardo.copy_progress WHERE sync = $1', ['ic1']))[0];
  const count = async (db: Db, upTo = 2 ** 31 - 1) => Number((await world.query(db.url, 'SELECT count(*) AS n FROM t WHERE id <= $1', [upTo]))[0]!.n);

  it('copies in committed batches, resumes after a SIGKILL without copying twice, and delivers the writes made meanwhile', async () => {
    expect(await world.ok('add', 'sync', 'ic1', 'herd=ic1_h', 'dbs=ic1_g', 'autokick=false', 'onetimecopy=1')).toContain('Added sync "ic1"');
    expect((await world.sql("SELECT onetimecopy FROM bucardo.sync WHERE name = 'ic1'"))[0]!.onetimecopy).toBe(1);
    const config = batchConfig(world, BATCH);
    const kick = () => kids!.spawn('--config', config, '--log-level', 'normal', 'kick', 'ic1', '0');

    const writer = new Writer(a.url, { table: 't', existing: ROWS, firstNewId: 1_000_001 }).start();
    await writer.committed(3);

    // 1. the first kick copies a part, then dies
    const first = kick();
    await waitFor('the first committed batches of the copy', async () => Number((await progress())?.rows ?? 0) >= 5 * BATCH, 60_000, 10);
    const killed = await kids!.kill(first);
    expect(killed.signal, killed.stdout + killed.stderr).toBe('SIGKILL');
    const stopped = (await progress())!;
    const committedRows = Number(stopped.rows);
    const lastKey = Number(stopped.last_key);
    expect(stopped.done).toBe(false);
    expect(stopped.targets).toEqual([b.name, c.name]);
    expect(committedRows).toBeGreaterThanOrEqual(5 * BATCH);
    expect(committedRows).toBeLessThan(ROWS);
    expect(committedRows % BATCH).toBe(0);
    // each target holds exactly the committed batches up to the last recorded key (B's stale rows were emptied first)
    for (const db of [b, c]) expect(await count(db, lastKey), db.name).toBe(committedRows);
    // the interrupted run is still marked as running, and the sync still wants its copy
    const interrupted = await world.sql("SELECT id, status FROM bucardo.syncrun WHERE sync = 'ic1' AND ended IS NULL");
    expect(interrupted).toHaveLength(1);
    expect(interrupted[0]!.status).toMatch(/^Copying public\.t from ic1_A to ic1_B, ic1_C \(\d+ of about \d+ rows\)$/);
    expect((await world.sql("SELECT onetimecopy FROM bucardo.sync WHERE name = 'ic1'"))[0]!.onetimecopy).toBe(1);
    for (const db of [b, c]) expect(await snapshotXmins(world, db.url, 't', 'interrupted', lastKey)).toBe(committedRows);

    // 2. the second kick resumes; the writer stops while it copies; status shows the copy
    const second = kick();
    await waitFor('the second run to copy', async () =>
      (await world.sql("SELECT 1 FROM bucardo.syncrun WHERE sync = 'ic1' AND id > $1 AND ended IS NULL AND status LIKE 'Copying%'", [interrupted[0]!.id])).length > 0, 60_000, 10);
    await writer.stop();
    // the writer stopped while the copy was still going: everything it wrote is committed before this run captures
    expect((await progress())?.done).toBe(false);
    // the copy is held at its next batch (a lock that its writes into C wait for) while status is asked,
    // so that it cannot finish in the time a status process takes to start
    const hold = new pg.Client({ connectionString: c.url });
    await hold.connect();
    let state: string | undefined;
    try {
      await hold.query('BEGIN; LOCK TABLE t IN SHARE MODE');
      state = statusDetail(await world.ok('status', 'ic1')).get('Current state');
    } finally {
      await hold.query('ROLLBACK');
      await hold.end();
    }
    const shown = /^Copying public\.t from ic1_A to ic1_B, ic1_C \((\d+) of about (\d+) rows\)$/.exec(state ?? '');
    expect(shown, state).not.toBeNull();
    // the resumed copy counts on from what the interrupted one committed
    expect(Number(shown![1])).toBeGreaterThan(committedRows);
    // the total is the source's estimate (its statistics; the writer adds a few rows meanwhile)
    expect(Math.abs(Number(shown![2]) - ROWS)).toBeLessThan(ROWS / 10);
    const done = await second.exited;
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout).toMatch(/^Kick ic1: \[\d+ s\] DONE!$/m);
    expect(done.stderr).toContain(`Initial copy of public.t from ic1_A to ic1_B, ic1_C (resuming after ${committedRows} rows)`);
    // the killed run is recorded as interrupted
    expect((await world.sql('SELECT outcome, status FROM bucardo.syncrun WHERE id = $1', [interrupted[0]!.id]))[0]).toEqual({ outcome: 'bad', status: 'Interrupted' });
    expect(writer.transactions).toBeGreaterThan(10);

    // 3. every database equals the source, including every write made during the copy
    await assertConverged([a.url, b.url, c.url], { t: 'id' });
    const total = await count(a);
    for (const db of [b, c]) expect(await count(db), db.name).toBe(total);
    expect(await world.query(b.url, "SELECT id FROM t WHERE v = 'stale' OR id BETWEEN $1 AND $2", [ROWS + 1, 1_000_000])).toEqual([]);
    const written = [...writer.touched].filter((id) => id > 1_000_000);
    expect(Number((await world.query(c.url, 'SELECT count(*) AS n FROM t WHERE id = ANY($1::int[])', [written]))[0]!.n)).toBe(written.length);
    // the rows committed before the interruption were not copied again (only the writer's keys were rewritten)
    for (const db of [b, c]) expect(await rewrittenSince(world, db.url, 't', 'interrupted', { except: writer.touched }), db.name).toEqual([]);

    // 4. the copy is done: onetimecopy is 0 again, its progress forgotten, and the next run is a delta run
    expect(statusDetail(await world.ok('status', 'ic1')).get('Onetimecopy')).toBe('No');
    expect((await world.sql("SELECT onetimecopy FROM bucardo.sync WHERE name = 'ic1'"))[0]!.onetimecopy).toBe(0);
    expect(await progress()).toBeUndefined();
    await snapshotXmins(world, b.url, 't', 'copied');
    await world.query(a.url, "INSERT INTO t VALUES (2000000, 'after the copy')");
    expect(await world.ok('kick', 'ic1', '0')).toMatch(/DONE!/);
    await assertConverged([a.url, b.url, c.url], { t: 'id' });
    expect(await rewrittenSince(world, b.url, 't', 'copied')).toEqual([]);
    expect(await world.query(b.url, 'SELECT v FROM t WHERE id = 2000000')).toEqual([{ v: 'after the copy' }]);
  });
});
