/**
 * Commits across databases. Each target first checks what its COMMIT would check (deferred constraints,
 * `SET CONSTRAINTS ALL IMMEDIATE` on PostgreSQL), and only then does any database commit: a deferred
 * constraint that refuses the rows on one target rolls the transaction back everywhere, and the run may
 * try it again. A COMMIT that still fails after others committed (here the target's connection ended
 * between the check and the commit) is not retried within the run, since trying again would write the
 * others twice; the next run applies the keys again from the checkpoints and every database converges.
 * A deferred check that waits on a lock is cut short by a stopped run, since nothing is committed yet.
 */
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { assertConverged } from '../src/helpers/databases.js';
import { Harness, expectOutcome } from './support/sync-harness.js';

const server = serverFromInfo(inject('pg'));
const harness = new Harness(server, 'cmtf');
const SCHEMA = "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'seed')";

describe('a commit that fails on one target', () => {
  afterAll(() => harness.dispose());

  it('a deferred constraint that refuses the rows: checked before any database commits, so nothing is committed anywhere', async () => {
    const w = await harness.setup({ tag: 'cf', roles: { A: 'source', B: 'target', C: 'target' }, schema: SCHEMA, tables: ['t'] });
    await w.sql('C', `CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'could not serialize access (at commit)' USING ERRCODE = '40001'; END $$;
      CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_at_commit()`);
    await w.sql('A', "INSERT INTO t SELECT i, 'new' FROM generate_series(2, 11) i");
    const failed = await w.run();
    expectOutcome(failed, 'bad');
    expect(failed.error).toMatchObject({ code: 'APPLY_FAILED', db: w.registered.C, sqlstate: '40001' });
    expect(failed.error!.message).toContain('could not serialize access (at commit)');
    // refused before any commit: a serialization failure may be tried again, as the run did
    expect(failed.retries).toBe(5);
    for (const db of ['B', 'C']) expect(await w.sql(db, "SELECT count(*)::int AS n FROM t WHERE v = 'new'"), db).toEqual([{ n: 0 }]);

    await w.sql('C', 'DROP TRIGGER refuse_at_commit ON t');
    const next = await w.run();
    expectOutcome(next, 'good');
    expect(next.inserts).toBe(10);
    await assertConverged(w.urls as string[], { t: 'id' });
  });

  it('a connection that ends between the check and the commit: the others commit, the run is not retried, and the next run converges', async () => {
    const w = await harness.setup({ tag: 'cl', roles: { A: 'source', B: 'target', C: 'target' }, schema: SCHEMA, tables: ['t'] });
    // B's check takes 1.5 s, once; C's server ends a session idle in a transaction for 300 ms meanwhile
    await w.sql('B', `CREATE SEQUENCE slow_once;
      CREATE FUNCTION slow_check() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF nextval('slow_once') = 1 THEN PERFORM pg_sleep(1.5); END IF; RETURN NULL; END $$;
      CREATE CONSTRAINT TRIGGER slow_check AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_check()`);
    await w.sql('C', `ALTER DATABASE ${w.dbname.C} SET idle_in_transaction_session_timeout = '300ms'`);
    await w.sql('A', "INSERT INTO t SELECT i, 'new' FROM generate_series(2, 11) i");
    const failed = await w.run();
    expectOutcome(failed, 'bad');
    expect(failed.error).toMatchObject({ code: 'APPLY_FAILED', db: w.registered.C });
    expect(failed.error!.message).toContain(`Lost the connection to database "${w.registered.C}"`);
    expect(failed.retries).toBe(0);
    expect(await w.sql('B', "SELECT count(*)::int AS n FROM t WHERE v = 'new'")).toEqual([{ n: 10 }]);
    expect(await w.sql('C', "SELECT count(*)::int AS n FROM t WHERE v = 'new'")).toEqual([{ n: 0 }]);

    const next = await w.run();
    expectOutcome(next, 'good');
    expect(next.inserts).toBe(10);
    await assertConverged(w.urls as string[], { t: 'id' });
  });
  it('a deferred check that waits on a lock: a stopped run cuts it short (nothing is committed yet) and nothing is kept', async () => {
    const w = await harness.setup({ tag: 'cw', roles: { A: 'source', B: 'target', C: 'target' }, schema: SCHEMA, tables: ['t'] });
    // C's deferred check waits for an advisory lock the test holds
    await w.sql('C', `CREATE FUNCTION wait_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_advisory_xact_lock(4242); RETURN NULL; END $$;
      CREATE CONSTRAINT TRIGGER wait_at_commit AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION wait_at_commit()`);
    const holder = new pg.Client({ connectionString: w.url.C });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(4242)');
      await w.sql('A', "INSERT INTO t SELECT i, 'new' FROM generate_series(2, 4) i");
      const started = Date.now();
      const stopped = await w.bucardo.runSync(w.sync, { signal: AbortSignal.timeout(1500) });
      expect(stopped.outcome).toBe('bad');
      expect(stopped.error).toMatchObject({ code: 'RUN_ABORTED' });
      expect(stopped.error!.message).toContain('nothing it did was kept');
      // cut short at the stop, not when the lock went
      expect(Date.now() - started).toBeLessThan(10_000);
      for (const db of ['B', 'C']) expect(await w.sql(db, "SELECT count(*)::int AS n FROM t WHERE v = 'new'"), db).toEqual([{ n: 0 }]);
    } finally {
      await holder.end();
    }
    const next = await w.run();
    expectOutcome(next, 'good');
    await assertConverged(w.urls as string[], { t: 'id' });
  });
});
