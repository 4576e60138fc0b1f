/**
 * What a target is told when a run starts (`TargetSession.beginRun`): the sync, the run, and the sync's
 * tables in herd order, before anything is written, so that a target mapping tables onto names of its own
 * (MongoDB collections) can refuse a run two of whose tables would share one. A target type of the test's
 * own wraps the PostgreSQL target on a real database and records what it is told; a failing `beginRun`
 * fails the run with the target's error and writes nothing.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { BucardoError, definePlugin, type DatabaseDriver, type PluginHost, type RunInfo, type TargetSession } from '@bucardo/plugin-sdk';
import { postgres } from '@bucardo/plugin-postgres';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { withClient } from '../src/helpers/databases.js';
import { Harness, expectOutcome } from './support/sync-harness.js';

const server = serverFromInfo(inject('pg'));

/** The PostgreSQL driver as its plugin registers it. */
function postgresDriver(): DatabaseDriver {
  let driver: DatabaseDriver | undefined;
  void postgres().apply({ registerDatabase: (registered: DatabaseDriver) => { driver = registered; } } as unknown as PluginHost);
  return driver!;
}

/** Database type `pgrec`: a PostgreSQL target whose sessions record each `beginRun`, and can refuse it. */
function recordingTarget(told: RunInfo[], refuse: { table?: string }) {
  const pg = postgresDriver();
  const wrap = (session: TargetSession): TargetSession => {
    const forwarded: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(Object.getOwnPropertyDescriptors(Object.getPrototypeOf(session)))) {
      if (typeof value.value === 'function' && name !== 'constructor') forwarded[name] = (value.value as (...args: unknown[]) => unknown).bind(session);
    }
    return {
      ...forwarded,
      beginRun: async (run: RunInfo) => {
        told.push(run);
        if (refuse.table && run.tables?.some((table) => table.name === refuse.table)) {
          throw new BucardoError('SYNC_INVALID', `this target will not take table ${refuse.table}`, { table: refuse.table });
        }
      },
    } as unknown as TargetSession;
  };
  return definePlugin({
    name: 'pgrec',
    apply(host) {
      host.registerDatabase({
        ...pg, type: 'pgrec', aliases: [], source: undefined,
        target: { capabilities: pg.target!.capabilities, open: async (spec, context) => wrap(await pg.target!.open(spec, context)) },
      } as DatabaseDriver);
    },
  });
}

describe('beginRun', () => {
  const harness = new Harness(server, 'tri');
  afterAll(() => harness.dispose());

  it('tells a target the sync\'s tables in herd order before anything is written; a target that refuses fails the run, nothing written', async () => {
    const told: RunInfo[] = [];
    const refuse: { table?: string } = {};
    const bucardo = await harness.open([recordingTarget(told, refuse)]);
    await harness.main();
    const schema = 'CREATE TABLE t (id int PRIMARY KEY, v text); CREATE TABLE u (id int PRIMARY KEY, v text)';
    const a = await harness.createDatabase('tri_a');
    const r = await harness.createDatabase('tri_r');
    for (const db of [a, r]) await withClient(db.url, (client) => client.query(schema));
    await bucardo.addDatabase('tri_a', harness.params(a.name));
    await bucardo.addDatabase('tri_r', { ...harness.params(r.name), type: 'pgrec' });
    await bucardo.addTables(['u', 't'], { herd: 'tri_h', db: 'tri_a' });
    await bucardo.addDbGroup('tri_g', ['tri_a:source', 'tri_r:target']);
    await bucardo.addSync('tri_s', { herd: 'tri_h', dbs: 'tri_g', autokick: 'false' });

    await withClient(a.url, (client) => client.query("INSERT INTO t VALUES (1, 'one'); INSERT INTO u VALUES (2, 'two')"));
    const good = await bucardo.runSync('tri_s');
    expectOutcome(good, 'good');
    expect(told.at(-1)).toMatchObject({ sync: 'tri_s', runId: good.runId, tables: [{ schema: 'public', name: 'u' }, { schema: 'public', name: 't' }] });
    expect((await withClient(r.url, (client) => client.query('SELECT (SELECT count(*)::int FROM t) AS t, (SELECT count(*)::int FROM u) AS u'))).rows).toEqual([{ t: 1, u: 1 }]);

    refuse.table = 't';
    await withClient(a.url, (client) => client.query("INSERT INTO t VALUES (3, 'three'); INSERT INTO u VALUES (4, 'four')"));
    const refused = await bucardo.runSync('tri_s');
    expectOutcome(refused, 'bad');
    expect(refused.error).toMatchObject({ code: 'SYNC_INVALID', message: 'this target will not take table t', table: 't' });
    expect((await withClient(r.url, (client) => client.query('SELECT (SELECT count(*)::int FROM t) AS t, (SELECT count(*)::int FROM u) AS u'))).rows).toEqual([{ t: 1, u: 1 }]);

    refuse.table = undefined;
    expectOutcome(await bucardo.runSync('tri_s'), 'good');
    expect((await withClient(r.url, (client) => client.query('SELECT (SELECT count(*)::int FROM t) AS t, (SELECT count(*)::int FROM u) AS u'))).rows).toEqual([{ t: 2, u: 2 }]);
  });
});
