/**
 * A source plugin that cannot read with a custom select list (no `SourceSession.selectColumns`): `add
 * customcols` is refused, naming the database and the table, and nothing is stored. A database type of the
 * test's own is the PostgreSQL driver on a real database, its source sessions without `selectColumns`.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { definePlugin, type DatabaseDriver, type PluginHost, type SourceSession } from '@bucardo/plugin-sdk';
import { postgres } from '@bucardo/plugin-postgres';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { withClient } from '../src/helpers/databases.js';
import { Harness } from './support/sync-harness.js';

const server = serverFromInfo(inject('pg'));

function postgresDriver(): DatabaseDriver {
  let driver: DatabaseDriver | undefined;
  void postgres().apply({ registerDatabase: (registered: DatabaseDriver) => { driver = registered; } } as unknown as PluginHost);
  return driver!;
}

/** Database type `pgnosel`: PostgreSQL, whose source sessions have every method but `selectColumns`. */
function sourceWithoutSelectColumns() {
  const pg = postgresDriver();
  const without = (session: SourceSession): SourceSession => {
    const forwarded: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(Object.getOwnPropertyDescriptors(Object.getPrototypeOf(session)))) {
      if (typeof value.value === 'function' && name !== 'constructor' && name !== 'selectColumns') forwarded[name] = (value.value as (...args: unknown[]) => unknown).bind(session);
    }
    return forwarded as unknown as SourceSession;
  };
  return definePlugin({
    name: 'pgnosel',
    apply(host) {
      host.registerDatabase({
        ...pg, type: 'pgnosel', aliases: [],
        source: { ...pg.source!, open: async (spec, context) => without(await pg.source!.open(spec, context)) },
      } as DatabaseDriver);
    },
  });
}

describe('customcols on a source plugin without selectColumns', () => {
  const harness = new Harness(server, 'nosel');
  afterAll(() => harness.dispose());

  it('add customcols is refused, naming the database and the table', async () => {
    const bucardo = await harness.open([sourceWithoutSelectColumns()]);
    await harness.main();
    const a = await harness.createDatabase('nosel_a');
    const b = await harness.createDatabase('nosel_b');
    for (const db of [a, b]) await withClient(db.url, (client) => client.query('CREATE TABLE t (id int PRIMARY KEY, v text)'));
    await bucardo.addDatabase('nosel_a', { ...harness.params(a.name), type: 'pgnosel' });
    await bucardo.addDatabase('nosel_b', harness.params(b.name));
    await bucardo.addTables(['t'], { herd: 'nosel_h', db: 'nosel_a' });
    await bucardo.addDbGroup('nosel_g', ['nosel_a:source', 'nosel_b:target']);
    await bucardo.addSync('nosel_s', { herd: 'nosel_h', dbs: 'nosel_g', autokick: 'false' });

    const refusal = await bucardo.addCustomCols('t', 'SELECT id, upper(v) AS v', { db: 'nosel_b' }).then(() => undefined, (error: unknown) => error as Error & { toJSON(): unknown });
    expect(refusal?.toJSON()).toEqual({
      code: 'DB_ROLE_UNSUPPORTED',
      message: 'Database "nosel_a" cannot read table "public.t" with customcols: its source has no selectColumns()',
      db: 'nosel_a', table: 'public.t',
    });
    expect(await bucardo.listCustomCols()).toEqual([]);
  });
});
