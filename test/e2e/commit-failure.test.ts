/**
 * A COMMIT that fails on one target after the others committed (here a deferred constraint trigger on C
 * that raises a serialization failure, 40001, at commit) is not retried within the run: trying the
 * transaction again would write B twice. The run fails naming C, with the SQLSTATE and no retries; once C
 * accepts the rows, the next run applies the keys again from the checkpoints and every database converges.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { assertConverged } from '../src/helpers/databases.js';
import { Harness, expectOutcome } from './support/sync-harness.js';

const server = serverFromInfo(inject('pg'));
const harness = new Harness(server, 'cmtf');
const SCHEMA = "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'seed')";

describe('a commit that fails on one target', () => {
  afterAll(() => harness.dispose());

  it('fails the run without retrying it, names the target, and the next run converges', async () => {
    const w = await harness.setup({ tag: 'cf', roles: { A: 'source', B: 'target', C: 'target' }, schema: SCHEMA, tables: ['t'] });
    await w.sql('C', `CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'could not serialize access (at commit)' USING ERRCODE = '40001'; END $$;
      CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_at_commit()`);
    await w.sql('A', "INSERT INTO t SELECT i, 'new' FROM generate_series(2, 11) i");
    const failed = await w.run();
    expectOutcome(failed, 'bad');
    expect(failed.error).toMatchObject({ code: 'APPLY_FAILED', db: w.registered.C, sqlstate: '40001' });
    expect(failed.error!.message).toContain('could not serialize access (at commit)');
    expect(failed.retries).toBe(0);
    expect(await w.sql('C', "SELECT count(*)::int AS n FROM t WHERE v = 'new'")).toEqual([{ n: 0 }]);

    await w.sql('C', 'DROP TRIGGER refuse_at_commit ON t');
    const next = await w.run();
    expectOutcome(next, 'good');
    expect(next.inserts).toBe(10);
    await assertConverged(w.urls as string[], { t: 'id' });
  });
});
