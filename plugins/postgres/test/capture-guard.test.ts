/**
 * The capture trigger's echo guard, as a role that writes a captured table would meet it: the trigger's
 * `WHEN` calls `bucardo.capturing()`, which such a role must be able to run with no rights on the
 * `bucardo` schema, which skips rows only while `bucardo.replicating` is on and only for the role that
 * owns the `bucardo` schema (its members, superusers), never for another role that sets it, and which a
 * search path of the role's own cannot turn.
 */
import { describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { silentLogger, type TableShape } from '@bucardo/plugin-sdk';
import { createDatabase, dropDatabase, serverFromInfo, uniqueName, withClient } from '@bucardo/test';
import { registeredDriver } from './support/driver.js';

const server = serverFromInfo(inject('pg'));

describe('the echo guard of the capture trigger', () => {
  it('captures a plain writer even while it sets bucardo.replicating, skips the owner\'s rows then, and ignores operators on its search path', async () => {
    const db = uniqueName('guard');
    const role = uniqueName('guard_writer');
    const password = 'guard-writer-pw';
    const url = await createDatabase(server, db);
    const driver = registeredDriver();
    const source = await driver.source!.open({ name: 'g', type: 'postgres', params: driver.normalizeParams({ url }) }, { log: silentLogger, label: 'guard test' });
    try {
      await withClient(url, async (client) => {
        await client.query('CREATE TABLE t (id int PRIMARY KEY, v text)');
        await client.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
        // rights on the table and a schema of its own; none on bucardo, nor on the delta table
        await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON t TO ${role}`);
        await client.query(`GRANT CREATE ON DATABASE ${db} TO ${role}`);
      });
      const shape = (await source.describeTable({ schema: 'public', name: 't' })) as TableShape;
      await source.installCapture([shape]);
      const writer = new pg.Client({ host: server.host, port: server.port, user: role, password, database: db });
      await writer.connect();
      try {
        await writer.query("INSERT INTO t VALUES (1, 'plain')");
        await writer.query(`BEGIN; SET LOCAL bucardo.replicating = on; INSERT INTO t VALUES (2, 'replicated'); COMMIT`);
        await writer.query(`BEGIN; SET LOCAL bucardo.replicating = off; INSERT INTO t VALUES (3, 'off'); COMMIT`);
        // an operator of its own that would call every setting "on", first on its search path
        await writer.query(`CREATE SCHEMA shadow`);
        await writer.query(`CREATE FUNCTION shadow.never_differs(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT false'`);
        await writer.query(`CREATE OPERATOR shadow.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = shadow.never_differs)`);
        await writer.query(`SET search_path = shadow, pg_catalog, public`);
        await writer.query("UPDATE public.t SET v = 'shadowed' WHERE id = 1");
        await writer.query("DELETE FROM public.t WHERE id = 3");
      } finally {
        await writer.end();
      }
      // the schema's owner (here the superuser that installed capture), as a sync writes: skipped
      await withClient(url, (client) => client.query(`BEGIN; SET LOCAL bucardo.replicating = on; INSERT INTO t VALUES (4, 'sync'); COMMIT`));
      const recorded = await withClient(url, (client) => client.query<{ id: number; bucardo_op: string }>('SELECT id::int AS id, bucardo_op FROM bucardo.delta_public_t ORDER BY bucardo_changed_at'));
      // row 2: the setting is the sync's, and the writer is not the sync's role
      expect(recorded.rows).toEqual([{ id: 1, bucardo_op: 'I' }, { id: 2, bucardo_op: 'I' }, { id: 3, bucardo_op: 'I' }, { id: 1, bucardo_op: 'U' }, { id: 3, bucardo_op: 'D' }]);
    } finally {
      await source.close();
      await dropDatabase(server, db);
      await withClient(server.url('postgres'), (client) => client.query(`DROP ROLE IF EXISTS ${role}`));
    }
  });
});
