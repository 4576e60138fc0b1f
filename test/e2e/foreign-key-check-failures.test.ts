/**
 * A foreign-key check after `add sync` that fails on a live connection (the source refusing the read) is
 * FETCH_FAILED naming the database, not CONNECTION_FAILED: the connection was fine. A database type of the
 * test's own is the PostgreSQL driver on a real database, whose `foreignKeys` is refused as a server
 * refuses a read it has no permission for (SQLSTATE 42501). A source that is gone stays CONNECTION_FAILED.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { definePlugin, type DatabaseDriver, type PluginHost, type SourceSession } from '@bucardo/plugin-sdk';
import { postgres } from '@bucardo/plugin-postgres';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { dropDatabase, withClient } from '../src/helpers/databases.js';
import { Harness } from './support/sync-harness.js';

const server = serverFromInfo(inject('pg'));

/** The PostgreSQL driver as its plugin registers it. */
function postgresDriver(): DatabaseDriver {
  let driver: DatabaseDriver | undefined;
  void postgres().apply({ registerDatabase: (registered: DatabaseDriver) => { driver = registered; } } as unknown as PluginHost);
  return driver!;
}

/** A session's method called on the session itself (its private fields are not the proxy's). */
const bound = (session: SourceSession, value: unknown): unknown => (typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(session) : value);

/** Database type `pgfkdenied`: PostgreSQL, whose source sessions are refused the foreign keys. */
function sourceDeniedForeignKeys() {
  const pg = postgresDriver();
  const denied = (session: SourceSession): SourceSession => new Proxy(session, {
    get: (target, name) => (name === 'foreignKeys'
      ? async () => { throw Object.assign(new Error('permission denied for table pg_constraint'), { code: '42501' }); }
      : bound(target, Reflect.get(target, name))),
  });
  return definePlugin({
    name: 'pgfkdenied',
    apply(host) {
      host.registerDatabase({
        ...pg, type: 'pgfkdenied', aliases: [],
        source: { ...pg.source!, open: async (spec, context) => denied(await pg.source!.open(spec, context)) },
      } as DatabaseDriver);
    },
  });
}

describe('a foreign-key check refused on a live connection', () => {
  const harness = new Harness(server, 'fkdenied');
  afterAll(() => harness.dispose());

  it('is FETCH_FAILED naming the database and the sync, with the server\'s words', async () => {
    const bucardo = await harness.open([sourceDeniedForeignKeys()]);
    await harness.main();
    const a = await harness.createDatabase('fkdenied_a');
    const b = await harness.createDatabase('fkdenied_b');
    for (const db of [a, b]) await withClient(db.url, (client) => client.query('CREATE TABLE child (id int PRIMARY KEY)'));
    await bucardo.addDatabase('fkdenied_a', { ...harness.params(a.name), type: 'pgfkdenied' });
    await bucardo.addDatabase('fkdenied_b', harness.params(b.name));
    await bucardo.addTables(['child'], { herd: 'fkdenied_h', db: 'fkdenied_a' });
    await bucardo.addDbGroup('fkdenied_g', ['fkdenied_a:source', 'fkdenied_b:target']);
    await bucardo.addSync('fkdenied_s', { herd: 'fkdenied_h', dbs: 'fkdenied_g', autokick: 'false' });

    const [result] = await bucardo.foreignKeyWarnings(['fkdenied_s']);
    expect(result!.warnings).toEqual([]);
    expect(result!.error).toMatchObject({
      code: 'FETCH_FAILED', db: 'fkdenied_a', sync: 'fkdenied_s', sqlstate: '42501',
      message: 'Reading the foreign keys on database "fkdenied_a" failed: permission denied for table pg_constraint',
    });
  });

  it('a source database that is gone is CONNECTION_FAILED naming it', async () => {
    const bucardo = await harness.open([]);
    const a = await harness.createDatabase('fkgone_a');
    const b = await harness.createDatabase('fkgone_b');
    for (const db of [a, b]) await withClient(db.url, (client) => client.query('CREATE TABLE child (id int PRIMARY KEY)'));
    await bucardo.addDatabase('fkgone_a', harness.params(a.name));
    await bucardo.addDatabase('fkgone_b', harness.params(b.name));
    await bucardo.addTables(['child'], { herd: 'fkgone_h', db: 'fkgone_a' });
    await bucardo.addDbGroup('fkgone_g', ['fkgone_a:source', 'fkgone_b:target']);
    await bucardo.addSync('fkgone_s', { herd: 'fkgone_h', dbs: 'fkgone_g', autokick: 'false' });
    await dropDatabase(server, a.name);

    const [result] = await bucardo.foreignKeyWarnings(['fkgone_s']);
    expect(result!.error).toMatchObject({ code: 'CONNECTION_FAILED', db: 'fkgone_a', sync: 'fkgone_s' });
  });
});
