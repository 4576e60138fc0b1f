/**
 * Faults while a daemon applies a batch, end to end (the `bucardo` command as processes, real databases):
 *
 *  - the daemon killed with SIGKILL while a run is blocked in apply (a lock held on one target table from
 *    another connection), more writes while it is dead, then started again: the interrupted run is
 *    recorded as such in bucardo.syncrun, nothing it did is kept, and every database converges with
 *    nothing lost or duplicated;
 *  - the target's backend terminated (`pg_terminate_backend`) in the middle of a large COPY: the run fails,
 *    the daemon retries after its backoff on its own, and the databases converge;
 *  - a target that refuses the rows of a run's third transaction (a CHECK constraint): the daemon retries
 *    with backoff, each retry goes on after the two committed transactions instead of writing them again,
 *    `bucardo status` says so, and once the constraint is dropped the next retry converges.
 *
 * Every daemon started is stopped (or killed) in afterAll, before the databases are dropped.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { assertConverged } from '../src/helpers/databases.js';
import { alive, DaemonWorld, statusDetail, waitFor, type Db } from './support/daemon-world.js';
import { rewrittenSince, snapshotXmins } from './support/lifecycle-kit.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'fdmn');
/** A config file of the daemon's own: small transactions, so a run is several of them. */
let config = '';

beforeAll(async () => {
  await world.install();
  config = path.join(world.tempDir('cfg'), 'bucardo.config.json');
  writeFileSync(config, JSON.stringify({ batchSize: 250 }));
});
afterAll(() => world.dispose());

/** Every row of `table` on `db` as `id:v`, in id order. */
async function rows(db: Db, table: string): Promise<string[]> {
  return (await world.query(db.url, `SELECT id, v FROM ${table} ORDER BY id`)).map((row) => `${row.id}:${row.v}`);
}

/** `from..to` as `id:prefix<id>` rows (or a fixed value). */
function range(from: number, to: number, value: (id: number) => string): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => `${from + i}:${value(from + i)}`);
}

/** The sessions of sync `sync` on database `dbname` (its application_name is `bucardo <sync>`). */
async function syncBackends(dbname: string, sync: string): Promise<Array<{ pid: number; state: string; wait: string | null; query: string }>> {
  return (await world.query(server.url(), `SELECT pid, state, wait_event_type AS wait, query FROM pg_stat_activity WHERE datname = $1 AND application_name = $2`,
    [dbname, `bucardo ${sync}`])).map((row) => ({ pid: Number(row.pid), state: String(row.state), wait: row.wait as string | null, query: String(row.query) }));
}

describe('the daemon killed with SIGKILL in the middle of applying a batch', () => {
  it('the interrupted run is recorded, nothing it did is kept, and after a restart every database converges', async () => {
    const a = await world.database('k_A');
    const b = await world.database('k_B');
    const d = await world.database('k_D');
    for (const db of [a, b, d]) await world.query(db.url, 'CREATE TABLE u (id int PRIMARY KEY, v text)');
    await world.api.addTables(['t', 'u'], { herd: 'k_h', db: a.name });
    await world.api.addDbGroup('k_g', [`${a.name}:source`, `${b.name}:source`, `${d.name}:target`]);
    await world.api.addSync('k', { herd: 'k_h', dbs: 'k_g', autokick: 'false' });

    const first = world.daemon();
    const pid = await first.start('--config', config, 'before the kill');
    await world.owned(pid, ['k']);
    await world.insert(a, ...Array.from({ length: 300 }, (_, i) => i + 1));
    await world.ok('kick', 'k', '0');
    await assertConverged([a.url, b.url, d.url], { t: 'id', u: 'id' });

    // a run of several transactions: t (clean keys of A, a conflict with B), then u (from B)
    await world.query(a.url, "UPDATE t SET v = 'A2' WHERE id <= 100");
    await world.query(a.url, 'DELETE FROM t WHERE id BETWEEN 101 AND 150');
    await world.query(a.url, "INSERT INTO t SELECT i, 'v' || i FROM generate_series(1001, 2000) i");
    await world.query(b.url, "UPDATE t SET v = 'B2' WHERE id BETWEEN 51 AND 60"); // later than A's: B wins these
    await world.query(b.url, "INSERT INTO u SELECT i, 'u' || i FROM generate_series(1, 1000) i");

    // the run will block on u on D, after t's transactions
    const locker = await world.connect(d.url);
    let locked = true;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE u IN EXCLUSIVE MODE');
      await world.ok('kick', 'k');
      await waitFor('the run to wait for the lock on u in D', async () =>
        (await syncBackends(d.dbname, 'k')).some((backend) => backend.wait === 'Lock' && /DELETE FROM ONLY "public"\."u"/.test(backend.query)), 20_000, 50);
      const [running] = await world.sql("SELECT id, status FROM bucardo.syncrun WHERE sync = 'k' AND ended IS NULL");
      expect(running, 'a run in progress').toBeDefined();
      expect(String(running!.status)).toMatch(/Applying public\.u/);

      process.kill(pid, 'SIGKILL');
      await waitFor('the killed daemon to be gone', async () => !alive(pid), 5_000, 20);
      // the run's row still says it is running: nobody could record its end
      expect(await world.sql('SELECT id FROM bucardo.syncrun WHERE ended IS NULL')).toEqual([{ id: running!.id }]);

      // writes while no daemon runs
      await world.query(a.url, "INSERT INTO t SELECT i, 'v' || i FROM generate_series(3001, 3010) i");
      await world.query(b.url, 'DELETE FROM u WHERE id <= 10');
      await locker.query('ROLLBACK');
      locked = false;
    } finally {
      if (locked) await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end().catch(() => undefined);
    }
    // the killed daemon's sessions end: the one that waited for the lock, once it finds its client gone
    await waitFor('the killed run\'s sessions to end', async () => {
      for (const db of [a, b, d]) if ((await syncBackends(db.dbname, 'k')).length > 0) return false;
      return true;
    }, 15_000, 100);
    // nothing the killed run wrote to u was kept anywhere
    expect(await rows(d, 'u')).toEqual([]);
    expect(await rows(a, 'u')).toEqual([]);

    const second = world.daemon();
    const again = await second.start('--config', config, 'after the kill');
    await world.owned(again, ['k']);

    const t = [...range(1, 50, () => 'A2'), ...range(51, 60, () => 'B2'), ...range(61, 100, () => 'A2'), ...range(151, 300, (i) => `v${i}`),
      ...range(1001, 2000, (i) => `v${i}`), ...range(3001, 3010, (i) => `v${i}`)];
    const u = range(11, 1000, (i) => `u${i}`);
    // the run that takes over may finish the interrupted run's change set only; the writes made while no
    // daemon ran then need one more run: kick until they are there (at most three runs)
    const delivered = async (): Promise<boolean> => {
      for (const db of [a, b, d]) if (JSON.stringify(await rows(db, 't')) !== JSON.stringify(t) || JSON.stringify(await rows(db, 'u')) !== JSON.stringify(u)) return false;
      return true;
    };
    for (let kicks = 0; kicks < 3 && !(await delivered()); kicks++) await world.ok('kick', 'k', '0');
    for (const db of [a, b, d]) {
      expect(await rows(db, 't'), `t on ${db.name}`).toEqual(t);
      expect(await rows(db, 'u'), `u on ${db.name}`).toEqual(u);
    }
    await assertConverged([a.url, b.url, d.url], { t: 'id', u: 'id' });

    // the run the kill interrupted is recorded as interrupted; every later run ended
    const runs = await world.sql("SELECT id, outcome, status, error->>'code' AS code, ended IS NOT NULL AS ended FROM bucardo.syncrun WHERE sync = 'k' ORDER BY id");
    const interrupted = runs.filter((run) => run.status === 'Interrupted');
    expect(interrupted, JSON.stringify(runs)).toHaveLength(1);
    expect(interrupted[0]).toMatchObject({ outcome: 'bad', code: 'RUN_ABORTED', ended: true });
    expect(runs.every((run) => run.ended === true)).toBe(true);
    expect(runs.at(-1)).toMatchObject({ outcome: expect.stringMatching(/^(good|empty)$/) });

    await second.cli('stop');
  });
});

describe('a target backend terminated in the middle of a COPY', () => {
  it('the run fails, the daemon retries after its backoff, and the databases converge', async () => {
    const ROWS = 20_000;
    const pair = await world.pair('tm', { autokick: false });
    // make the COPY into the target slow enough to be caught in the act: a short sleep every 2000 rows
    await world.query(pair.b.url, `
      CREATE FUNCTION slow_copy() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.id % 2000 = 0 THEN PERFORM pg_sleep(0.1); END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER slow_copy BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION slow_copy();`);
    const daemon = world.daemon();
    const pid = await daemon.start('terminate');
    await world.owned(pid, ['tm']); // a daemon runs a sync once when it takes it: write after that
    await world.query(pair.a.url, `INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, ${ROWS}) i`);
    await world.ok('kick', 'tm');
    const copying = await waitFor('the sync to be copying into the target', async () => {
      const backend = (await syncBackends(pair.b.dbname, 'tm')).find((row) => row.state === 'active' && row.query.startsWith('COPY'));
      if (!backend) return undefined;
      const progress = await world.query(server.url(), 'SELECT tuples_processed FROM pg_stat_progress_copy WHERE pid = $1', [backend.pid]);
      return Number(progress[0]?.tuples_processed ?? 0) > 0 ? backend : undefined;
    }, 20_000, 20);
    const [terminated] = await world.query(server.url(), 'SELECT pg_terminate_backend($1) AS ok', [copying.pid]);
    expect(terminated!.ok).toBe(true);

    // the run fails; the daemon retries by itself after its backoff and the target gets every row once
    await world.arrives(pair.b, [1, ROWS / 2, ROWS], 30_000);
    await waitFor('the sync to be idle again', async () => (await world.workers()).get('tm')?.state === 'idle', 15_000);
    expect(await world.query(pair.b.url, 'SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, min(id) AS lo, max(id) AS hi FROM t'))
      .toEqual([{ n: ROWS, ids: ROWS, lo: 1, hi: ROWS }]);
    await assertConverged([pair.a.url, pair.b.url], { t: 'id' });

    const runs = await world.sql("SELECT outcome, error->>'message' AS message, started, ended FROM bucardo.syncrun WHERE sync = 'tm' ORDER BY id");
    const failed = runs.findIndex((run) => run.outcome === 'bad');
    expect(failed, JSON.stringify(runs)).toBeGreaterThanOrEqual(0);
    expect(String(runs[failed]!.message)).toMatch(/terminat/i);
    const good = runs.slice(failed + 1).find((run) => run.outcome === 'good');
    expect(good, JSON.stringify(runs)).toBeDefined();
    // the retry waited for the backoff (1 s after the first failure)
    expect((good!.started as Date).getTime() - (runs[failed]!.ended as Date).getTime()).toBeGreaterThanOrEqual(900);
    const log = daemon.log();
    // the failure and its retry on one line, with the code
    expect(log).toMatch(/WARN DAEMON sync=tm run=\d+ Sync "tm" failed: .*; retrying in 1 s \(attempt 1\) \[[A-Z_]+\]$/m);
    expect(log).not.toContain('run failed:');
    expect(log).toMatch(/DAEMON sync=tm Sync "tm" recovered after 1 failed attempt\(s\)$/m);
    await daemon.cli('stop');
  });
});

describe('a run that fails in its third transaction, retried by the daemon', () => {
  it('each retry goes on after the two committed transactions; fixed, the next retry converges without writing them again', async () => {
    const pair = await world.pair('rt', { autokick: false });
    // four transactions of 250 keys (the config's batchSize); B refuses the keys of the third
    await world.query(pair.b.url, 'ALTER TABLE t ADD CONSTRAINT no_third CHECK (id NOT BETWEEN 501 AND 750)');
    const daemon = world.daemon();
    const pid = await daemon.start('--config', config, 'retries');
    await world.owned(pid, ['rt']); // a daemon runs a sync once when it takes it: write after that
    await world.query(pair.a.url, "INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 1000) i");
    await world.ok('kick', 'rt');
    const failures = async () => world.sql("SELECT id::text, resume FROM bucardo.syncrun WHERE sync = 'rt' AND outcome = 'bad' ORDER BY id");
    const [first] = await waitFor('the first failure', async () => ((await failures()).length >= 1 ? failures() : undefined), 20_000, 50);
    expect(await world.query(pair.b.url, 'SELECT count(*)::int AS n, max(id) AS hi FROM t')).toEqual([{ n: 500, hi: 500 }]);
    await snapshotXmins(world, pair.b.url, 't', 'rt_committed');
    // a retry after the backoff fails again, having skipped the two transactions
    await waitFor('a retry to fail too', async () => (await failures()).length >= 2, 20_000, 50);
    expect(statusDetail(await world.ok('status', 'rt')).get('Next run resumes')).toBe(`run ${first!.id}, after 2 committed transactions, if its batchSize is still 250`);
    expect(await rewrittenSince(world, pair.b.url, 't', 'rt_committed')).toEqual([]);

    await world.query(pair.b.url, 'ALTER TABLE t DROP CONSTRAINT no_third');
    await world.arrives(pair.b, [501, 1000], 30_000);
    await waitFor('the sync to be idle again', async () => (await world.workers()).get('rt')?.state === 'idle', 15_000);
    await assertConverged([pair.a.url, pair.b.url], { t: 'id' });
    // the first two transactions' rows were written once, by the first run
    expect(await rewrittenSince(world, pair.b.url, 't', 'rt_committed')).toEqual([]);
    const [good] = await world.sql("SELECT inserts::int FROM bucardo.syncrun WHERE sync = 'rt' AND outcome = 'good' ORDER BY id LIMIT 1");
    expect(good).toEqual({ inserts: 500 });
    expect(statusDetail(await world.ok('status', 'rt')).has('Next run resumes')).toBe(false);
    await daemon.cli('stop');
  });
});
