/**
 * Changing a live sync, and purging, end to end (issue 6):
 *
 *  - a daemon (`bucardo start`) runs an autokick sync; `bucardo add table t2` and `bucardo update sync S
 *    add table t2` put a table into it while it runs: writes to t2 arrive with no kick; `update sync S
 *    remove table t2` takes it out: writes to t2 no longer arrive (while writes to t still do), and its
 *    capture trigger stays while another sync reads t2, and is gone with its delta table once none does;
 *  - purge: twenty rounds of writes on a source, each run by a daemon with automatic purging after good
 *    runs, while a transaction stays open on another database of the server: the delta table stays
 *    bounded by one round's changes instead of growing with every round;
 *    `bucardo delta` shows the backlog per database and table, `bucardo purge` deletes consumed records.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Daemon } from '@bucardo/core';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { assertConverged } from '../src/helpers/databases.js';
import { DaemonWorld, sleep, waitFor, type Db, type Pair } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

/** The bucardo triggers on `table`, and whether its delta table exists. */
async function captureOf(world: DaemonWorld, db: Db, table: string): Promise<{ triggers: string[]; delta: boolean }> {
  const triggers = await world.query(db.url,
    "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = $1::regclass AND tgname LIKE 'bucardo%' ORDER BY 1", [table]);
  const delta = await world.query(db.url, 'SELECT to_regclass($1) IS NOT NULL AS found', [`bucardo.delta_public_${table}`]);
  return { triggers: triggers.map((row) => String(row.tgname)), delta: delta[0]!.found === true };
}

const captured = { triggers: ['bucardo_capture', 'bucardo_capture_truncate'], delta: true };

describe('adding and removing a table on a running autokick sync', () => {
  const world = new DaemonWorld(server, 'llt');
  let live: Pair;
  let c: Db;

  beforeAll(async () => {
    await world.install();
    live = await world.pair('live');
    c = await world.database('other_C');
    for (const db of [live.a, live.b, c]) await world.query(db.url, 'CREATE TABLE t2 (id int PRIMARY KEY, v text); CREATE TABLE t3 (id int PRIMARY KEY, v text)');
    // another sync reads t2 (and t3) from the same source
    await world.api.addTables(['t2', 't3'], { herd: 'other_h', db: live.a.name });
    await world.api.addDbGroup('other_g', [`${live.a.name}:source`, `${c.name}:target`]);
    await world.api.addSync('other', { herd: 'other_h', dbs: 'other_g', autokick: 'false' });
  });
  afterAll(() => world.dispose());

  it('writes to an added table arrive without a kick; after removal they do not, and the capture goes with the last sync reading it', async () => {
    const d = world.daemon();
    const pid = await d.start();
    await world.owned(pid, ['live', 'other']);
    await world.insert(live.a, 1);
    await world.arrives(live.b, [1]);

    // add the table to the running sync
    expect(await world.ok('update', 'sync', 'live', 'add', 'table', 't2')).toBe('Added to sync "live": public.t2\n'
      + 'Note: the rows already in them are not copied, only changes from now on; bucardo update sync live onetimecopy=2 copies them to each target whose table is still empty when its next run starts (a change may have reached it first: then onetimecopy=1 copies every table of the sync); a copy goes from the first source to the targets only: rows only another source has reach the others when they change there\n');
    expect(await captureOf(world, live.a, 't2')).toEqual(captured);
    await world.query(live.a.url, "INSERT INTO t2 VALUES (1, 'added')");
    await waitFor('the t2 row on B, with no kick', async () => (await world.query(live.b.url, 'SELECT v FROM t2 WHERE id = 1')).length === 1, 15_000, 50);
    expect(await world.query(live.b.url, 'SELECT id, v FROM t2')).toEqual([{ id: 1, v: 'added' }]);
    await world.query(live.a.url, "UPDATE t2 SET v = 'changed' WHERE id = 1; INSERT INTO t2 VALUES (2, 'two')");
    await waitFor('the t2 changes on B', async () => (await world.query(live.b.url, "SELECT 1 FROM t2 WHERE id = 2 OR v = 'changed'")).length === 2, 15_000, 50);

    // remove it: other still reads t2 on the source, so its capture stays
    expect(await world.ok('update', 'sync', 'live', 'remove', 'table', 't2')).toBe('Removed from sync "live": public.t2\n');
    expect(await captureOf(world, live.a, 't2')).toEqual(captured);
    await world.query(live.a.url, "INSERT INTO t2 VALUES (3, 'after removal')");
    await world.insert(live.a, 2);
    // the run that brings t's row 2 started after the removal: had t2 still been in the sync, row 3 would have come with it
    await world.arrives(live.b, [2]);
    await sleep(500);
    expect(await world.query(live.b.url, 'SELECT id FROM t2 ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
    // other (kicked) still gets it
    expect(await world.ok('kick', 'other', '0')).toMatch(/DONE!/);
    expect(await world.query(c.url, 'SELECT id FROM t2 ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);

    // the last sync reading t2 lets it go: trigger and delta table are gone; t and t3 keep theirs
    expect(await world.ok('update', 'sync', 'other', 'remove', 'table', 't2')).toBe('Removed from sync "other": public.t2\n');
    expect(await captureOf(world, live.a, 't2')).toEqual({ triggers: [], delta: false });
    expect(await captureOf(world, live.a, 't')).toEqual(captured);
    expect(await captureOf(world, live.a, 't3')).toEqual(captured);
    await world.query(live.a.url, "INSERT INTO t2 VALUES (4, 'not captured')");
    await world.insert(live.a, 3);
    await world.arrives(live.b, [3]);
    expect(await world.ok('kick', 'other', '0')).toMatch(/DONE!/);
    expect(await world.query(c.url, 'SELECT id FROM t2 ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    expect(await world.query(live.b.url, 'SELECT id FROM t2 ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
    await assertConverged([live.a.url, live.b.url], { t: 'id' });
    // the daemon ran all along
    expect((await world.workers()).get('live')?.failures).toBe(0);
  });
});

describe("purge keeps delta tables bounded over 20 runs, on the daemon worker's own connections", () => {
  const world = new DaemonWorld(server, 'llp');
  let pair: Pair;
  let daemon: Daemon | undefined;
  const stopping = new AbortController();
  let running: Promise<void> | undefined;

  beforeAll(async () => {
    await world.install();
    pair = await world.pair('pg');
    await world.query(pair.a.url, "INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 1000) AS i");
    await world.query(pair.b.url, "INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 1000) AS i");
  });
  afterAll(async () => {
    stopping.abort();
    await running?.catch(() => undefined);
    await world.dispose();
  });

  /** Connections ever made to source A (its server counts them; the test's own queries keep one). */
  const sessionsOnA = async () => {
    await world.query(pair.a.url, 'SELECT pg_stat_clear_snapshot()');
    return Number((await world.query(pair.a.url, 'SELECT sessions FROM pg_stat_database WHERE datname = current_database()'))[0]!.sessions);
  };
  const deltaRows = async () => Number((await world.query(pair.a.url, 'SELECT count(*) AS n FROM bucardo.delta_public_t'))[0]!.n);

  it('purges consumed changes after good runs (automatically and with bucardo purge); bucardo delta shows the backlog', async () => {
    // an in-process daemon that purges after every good run (the CLI daemon purges at most every 60 s)
    daemon = world.api.createDaemon({ id: 'purge-test', purgeEveryMs: 0, pollMs: 100 });
    // a transaction left open elsewhere on the server (it could be any database's) must not stop the purge
    const idle = await world.connect(pair.b.url);
    await idle.query('BEGIN; SELECT pg_current_xact_id()');
    running = daemon.run(stopping.signal);
    await waitFor('the daemon to take the sync', async () => (await world.workers()).get('pg')?.state === 'idle', 20_000);

    const PER_ROUND = 50;
    const seen: number[] = [];
    let sessionsBefore = 0;
    for (let round = 1; round <= 20; round++) {
      if (round === 3) sessionsBefore = await sessionsOnA();
      const fresh = Array.from({ length: PER_ROUND / 2 }, (_, i) => 10_000 + round * 100 + i);
      await world.insert(pair.a, ...fresh);
      await world.query(pair.a.url, "UPDATE t SET v = 'r' || $1 WHERE id BETWEEN $2 AND $3", [round, round * 25 + 1, round * 25 + PER_ROUND / 2]);
      await world.arrives(pair.b, fresh);
      await waitFor(`round ${round}'s update on B`, async () => (await world.query(pair.b.url, 'SELECT 1 FROM t WHERE id = $1 AND v = $2', [round * 25 + 1, `r${round}`])).length === 1, 10_000, 20);
      // the worker goes idle only after the purge that follows its run
      await waitFor('the worker to be idle', async () => (await world.workers()).get('pg')?.state === 'idle', 10_000, 20);
      seen.push(await deltaRows());
    }
    // the purges after those 18 runs used the worker's kept sessions: no new connection per purge (it made 18
    // before); the margin is for a connect of the round before that the server's statistics count late
    expect(await sessionsOnA() - sessionsBefore).toBeLessThanOrEqual(2);
    await idle.query('ROLLBACK');
    await idle.end();
    // 1000 change records were written in all; what is left never exceeds one round's worth (other tests'
    // transactions running on the server while a run takes its checkpoint may hold a round's records back)
    expect(Math.max(...seen), `delta rows after each round: ${seen.join(', ')}`).toBeLessThanOrEqual(PER_ROUND);
    await assertConverged([pair.a.url, pair.b.url], { t: 'id' });

    // no daemon now: a backlog shows in bucardo delta, a kick consumes it, bucardo purge deletes it
    stopping.abort();
    await running;
    running = undefined;
    const before = await deltaRows();
    await world.query(pair.a.url, "UPDATE t SET v = 'backlog' WHERE id <= 7");
    expect(await world.ok('delta')).toBe('Total deltas across all targets: 7\n  Total deltas for database pg_A: 7\n    public.t: 7\n');
    expect(await world.ok('kick', 'pg', '0')).toMatch(/DONE!/);
    expect(await world.ok('delta', 'pg_A')).toBe('Total deltas across all targets: 0\n  Total deltas for database pg_A: 0\n    public.t: 0\n');
    expect(await deltaRows()).toBe(before + 7);
    expect(await world.ok('purge')).toBe(`Checking db pg_A\npg_A: ${before + 7} consumed change records purged\n`);
    expect(await deltaRows()).toBe(0);
    await assertConverged([pair.a.url, pair.b.url], { t: 'id' });
  });
});
