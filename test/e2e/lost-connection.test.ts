/**
 * A target whose connection breaks: the first failed run names the database (and the table it was writing),
 * as the runs after it do ("Cannot connect to database …"). Users saw `Client has encountered a connection
 * error and is not queryable [APPLY_FAILED] (sync s3)` from a daemon whose kept connection to the target
 * died with its server; and a walk-through saw that message name the database, but still not why the
 * connection broke. Here the target's backends are ended with pg_terminate_backend: between two runs
 * on kept sessions (`runSync(name, { cache })`, as a daemon's worker keeps them), and in the middle of a
 * run, by an apply tap that runs just before the core's.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { SessionCache } from '@bucardo/core';
import { definePlugin } from '@bucardo/plugin-sdk';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { withClient } from '../src/helpers/databases.js';
import { Harness, expectEverywhere, expectOutcome } from './support/sync-harness.js';

const server = serverFromInfo(inject('pg'));
const harness = new Harness(server, 'lost');
const SCHEMA = "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'seed')";

/** Ends the sync's connections to database `dbname` and waits until the server has no trace of them. */
async function killConnections(dbname: string, sync: string): Promise<number> {
  return withClient(server.url(), async (admin) => {
    const ended = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [dbname, `bucardo ${sync}`]);
    for (let waited = 0; waited < 10_000; waited += 50) {
      const left = await admin.query('SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [dbname, `bucardo ${sync}`]);
      if (left.rowCount === 0) return ended.rowCount ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the connections to ${dbname} did not end`);
  });
}

describe('a target whose connection breaks', () => {
  afterAll(() => harness.dispose());

  it('between runs on kept sessions: the next run fails with APPLY_FAILED naming the target, and the run after it reconnects', async () => {
    const w = await harness.setup({ tag: 'lk', roles: { A: 'source', B: 'target' }, schema: SCHEMA, tables: ['t'] });
    const cache: SessionCache = {};
    await w.sql('A', "INSERT INTO t VALUES (2, 'two')");
    expectOutcome(await w.bucardo.runSync(w.sync, { cache }), 'good');
    expect(await killConnections(w.dbname.B!, w.sync)).toBe(1);

    await w.sql('A', "INSERT INTO t VALUES (3, 'three')");
    const failed = await w.bucardo.runSync(w.sync, { cache });
    expectOutcome(failed, 'bad');
    expect(failed.error).toMatchObject({ code: 'APPLY_FAILED', db: w.registered.B, sync: w.sync });
    // why it broke, not the driver's `Client has encountered a connection error and is not queryable`
    expect(failed.error!.message).toBe(`Lost the connection to database "${w.registered.B}": terminating connection due to administrator command (the connection was lost before this statement)`);
    expect(failed.error).toMatchObject({ sqlstate: '57P01' });

    // the failed run dropped the kept sessions: the next one connects again and delivers what was left
    expectOutcome(await w.bucardo.runSync(w.sync, { cache }), 'good');
    await expectEverywhere(w, 't', 'id', ['(1,seed)', '(2,two)', '(3,three)']);
  });

  it('in the middle of a run: APPLY_FAILED names the target and the table, in its fields and its message; the next run delivers', async () => {
    let killOn: { dbname: string; sync: string } | undefined;
    const killer = definePlugin({
      name: 'kill-target',
      apply(host) {
        // before the core's apply tap: the target's transaction is open, its write not yet sent
        host.hooks.apply.tapPromise({ name: 'kill-target', stage: -10 }, async (outcome) => {
          const once = killOn;
          killOn = undefined;
          if (once) await killConnections(once.dbname, once.sync);
          return outcome;
        });
      },
    });
    const w = await harness.setup({ tag: 'lm', roles: { A: 'source', B: 'target' }, schema: SCHEMA, tables: ['t'], plugins: [killer] });
    await w.sql('A', "INSERT INTO t VALUES (2, 'two')");
    killOn = { dbname: w.dbname.B!, sync: w.sync };
    const failed = await w.run();
    expectOutcome(failed, 'bad');
    expect(killOn).toBeUndefined();
    expect(failed.error).toMatchObject({ code: 'APPLY_FAILED', db: w.registered.B, table: 'public.t', sync: w.sync });
    expect(failed.error!.message).toBe(`Lost the connection to database "${w.registered.B}" (table "public.t"): terminating connection due to administrator command (the connection was lost before this statement)`);

    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 't', 'id', ['(1,seed)', '(2,two)']);
  });
});
