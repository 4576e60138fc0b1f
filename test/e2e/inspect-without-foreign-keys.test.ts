/**
 * A source whose plugin cannot list foreign keys (no `SourceSession.foreignKeys`) says nothing about them:
 * `inspect` names the table and its relgroups and says its foreign keys were not inspected, and why;
 * `validate` and the warnings `add sync` prints have no foreign key line. A database type of the test's
 * own is the PostgreSQL driver on a real database, its source sessions without `foreignKeys`; the same
 * herd read through the PostgreSQL type warns, so the silence is the plugin's, not the schema's.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { definePlugin, type DatabaseDriver, type PluginHost, type SourceSession } from '@bucardo/plugin-sdk';
import { postgres } from '@bucardo/plugin-postgres';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { withClient } from '../src/helpers/databases.js';
import { Harness } from './support/sync-harness.js';

const server = serverFromInfo(inject('pg'));

/** The PostgreSQL driver as its plugin registers it. */
function postgresDriver(): DatabaseDriver {
  let driver: DatabaseDriver | undefined;
  void postgres().apply({ registerDatabase: (registered: DatabaseDriver) => { driver = registered; } } as unknown as PluginHost);
  return driver!;
}

/** Database type `pgnofk`: PostgreSQL, whose source sessions have every method but `foreignKeys`. */
function sourceWithoutForeignKeys() {
  const pg = postgresDriver();
  const withoutForeignKeys = (session: SourceSession): SourceSession => {
    const forwarded: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(Object.getOwnPropertyDescriptors(Object.getPrototypeOf(session)))) {
      if (typeof value.value === 'function' && name !== 'constructor' && name !== 'foreignKeys') forwarded[name] = (value.value as (...args: unknown[]) => unknown).bind(session);
    }
    return forwarded as unknown as SourceSession;
  };
  return definePlugin({
    name: 'pgnofk',
    apply(host) {
      host.registerDatabase({
        ...pg, type: 'pgnofk', aliases: [],
        source: { ...pg.source!, open: async (spec, context) => withoutForeignKeys(await pg.source!.open(spec, context)) },
      } as DatabaseDriver);
    },
  });
}

describe('a source plugin without foreignKeys', () => {
  const harness = new Harness(server, 'nofk');
  afterAll(() => harness.dispose());

  it('inspect says the keys were not inspected and why; validate and add sync say nothing of them', async () => {
    const bucardo = await harness.open([sourceWithoutForeignKeys()]);
    await harness.main();
    const schema = 'CREATE TABLE parent (id int PRIMARY KEY); CREATE TABLE child (id int PRIMARY KEY, parent_id int CONSTRAINT child_parent_fk REFERENCES parent)';
    const a = await harness.createDatabase('nofk_a');
    const b = await harness.createDatabase('nofk_b');
    for (const db of [a, b]) await withClient(db.url, (client) => client.query(schema));
    await bucardo.addDatabase('nofk_a', { ...harness.params(a.name), type: 'pgnofk' });
    await bucardo.addDatabase('nofk_pg', harness.params(a.name));
    await bucardo.addDatabase('nofk_b', harness.params(b.name));
    await bucardo.addTables(['child'], { herd: 'nofk_h', db: 'nofk_a' });
    await bucardo.addDbGroup('nofk_g', ['nofk_a:source', 'nofk_b:target']);
    await bucardo.addSync('nofk_s', { herd: 'nofk_h', dbs: 'nofk_g', autokick: 'false' });

    expect(await bucardo.inspect('table', ['child'])).toEqual([{
      table: { schema: 'public', name: 'child' },
      db: 'nofk_a',
      herds: [{ herd: 'nofk_h', syncs: ['nofk_s'], gaps: [] }],
      unchecked: 'database "nofk_a" (type pgnofk) cannot list foreign keys',
    }]);
    expect(await bucardo.foreignKeyWarnings(['nofk_s'])).toEqual([{ sync: 'nofk_s', warnings: [] }]);
    const [validated] = await bucardo.validate(['nofk_s']);
    expect(validated!.problems).toEqual([]);
    expect(validated!.warnings).toEqual([]);

    // the same database through the PostgreSQL type: the gap is there
    await bucardo.addDbGroup('nofk_g2', ['nofk_pg:source', 'nofk_b:target']);
    await bucardo.addSync('nofk_s2', { herd: 'nofk_h', dbs: 'nofk_g2', autokick: 'false' });
    expect((await bucardo.foreignKeyWarnings(['nofk_s2']))[0]!.warnings.map((warning) => warning.toJSON())).toEqual([{
      code: 'TABLE_NOT_IN_HERD',
      message: 'Table public.child of sync "nofk_s2" has foreign key child_parent_fk pointing at public.parent, which is not in relgroup "nofk_h": a row the sync writes fails on a database that lacks the row it points at. Add it (bucardo add table public.parent herd=nofk_h), or give every database the sync writes to those rows yourself',
      sync: 'nofk_s2', herd: 'nofk_h', table: 'public.child', item: 'child_parent_fk',
    }]);
  });
});
