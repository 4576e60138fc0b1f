/**
 * The foreign-key check after `bucardo add sync`, the command run as a process, when the check itself
 * fails: the sync is added whatever the check says, so the command exits 0 and says on one WARNING line
 * that the foreign keys were not checked, why, and what checks them. A real refusal: on the source
 * database, the catalog the check reads (`pg_constraint`) is taken from PUBLIC, and a login event trigger
 * (PostgreSQL 17+) makes the check's own connection (its application_name ends "foreign keys") a role
 * without it; the sync's other connections, a superuser's, read it as before.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { uniqueName, withClient } from '../src/helpers/databases.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'fkcli');
const reader = uniqueName('fkcli_reader');
let a: Db;
let able = false;

beforeAll(async () => {
  const [row] = (await withClient(server.url('postgres'), (c) => c.query("SELECT rolsuper AND current_setting('server_version_num')::int >= 170000 AS able FROM pg_roles WHERE rolname = current_user"))).rows;
  able = row.able === true;
  // roles and login event triggers need a superuser and PostgreSQL 17; an external server given by URL may lack either
  if (!able) return;
  await world.install();
  a = await world.database('A');
  await world.database('B');
  await world.query(a.url, `CREATE ROLE ${reader} NOLOGIN;
    REVOKE SELECT ON pg_catalog.pg_constraint FROM PUBLIC;
    CREATE FUNCTION public.check_as_reader() RETURNS event_trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF current_setting('application_name') LIKE '% foreign keys' THEN SET ROLE ${reader}; END IF;
    END $$;
    CREATE EVENT TRIGGER check_as_reader ON login EXECUTE FUNCTION public.check_as_reader();`);
  await world.api.addTables(['t'], { herd: 'h', db: 'A' });
  await world.api.addDbGroup('g', ['A:source', 'B:target']);
});

afterAll(async () => {
  await world.dispose();
  if (able) await withClient(server.url('postgres'), (c) => c.query(`DROP ROLE IF EXISTS ${reader}`));
});

describe('add sync when the foreign-key check that follows it fails', () => {
  it('exits 0 with the sync added, and says on one line that its foreign keys were not checked, why, and what checks them', async (ctx) => {
    if (!able) ctx.skip();
    const added = await world.bucardo('add', 'sync', 's', 'herd=h', 'dbs=g', 'autokick=false');
    expect(added.stdout).toBe('Added sync "s"\n');
    expect(added.stderr).toBe('WARNING: The foreign keys of sync "s" were not checked (bucardo validate s checks them): Reading the foreign keys on database "A" failed: permission denied for table pg_constraint [FETCH_FAILED]\n');
    expect(added.code).toBe(0);
    expect(await world.sql("SELECT name, herd, dbgroup FROM bucardo.sync WHERE name = 's'")).toEqual([{ name: 's', herd: 'h', dbgroup: 'g' }]);
    // and it runs: the refusal is the check's connection's only
    await world.query(a.url, "INSERT INTO t VALUES (1, 'one')");
    expect(await world.ok('kick', 's', '0')).toMatch(/^Kick s: \[\d+ s\] DONE!$/m);
  });
});
