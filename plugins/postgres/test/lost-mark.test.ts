/**
 * The plugin marks a failure that says the connection is gone as `connectionLost`, for the core, which
 * reads no driver's words: node-postgres's own (`Connection terminated unexpectedly`, `… is not
 * queryable`) carry no SQLSTATE or socket code. A statement on a connection that broke while idle gets
 * the cause's words and SQLSTATE as well.
 */
import { describe, expect, inject, it } from 'vitest';
import { isConnectionLost, silentLogger } from '@bucardo/plugin-sdk';
import { createDatabase, dropDatabase, serverFromInfo, uniqueName, withClient } from '@bucardo/test';
import type pg from 'pg';
import { connect } from '../src/connect.js';
import { resolveOptions } from '../src/postgres-options.js';
import { registeredDriver } from './support/driver.js';

const server = serverFromInfo(inject('pg'));

/** Waits until `client` has heard that its connection is gone. */
const ended = (client: pg.Client) => new Promise<void>((resolve) => client.once('end', () => resolve()));

describe('a lost connection', () => {
  it('is marked, whatever node-postgres says of it, and a statement after an idle break says why it broke', async () => {
    const db = uniqueName('lostmark');
    const url = await createDatabase(server, db);
    const spec = { name: 'b', type: 'postgres', params: registeredDriver().normalizeParams({ url }) };
    try {
      const idle = await connect(spec, { log: silentLogger, label: 'lost-mark idle' }, resolveOptions());
      const pid = (await idle.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as string;
      const gone = ended(idle);
      await withClient(url, (client) => client.query('SELECT pg_terminate_backend($1)', [pid]));
      await gone;
      const after = await idle.query('SELECT 1').then(() => undefined, (error: unknown) => error);
      expect(after).toMatchObject({ code: '57P01', message: 'terminating connection due to administrator command (the connection was lost before this statement)' });
      expect(isConnectionLost(after)).toBe(true);

      // the socket cut in the middle of a statement: node-postgres's words alone, no code
      const busy = await connect(spec, { log: silentLogger, label: 'lost-mark busy' }, resolveOptions());
      const during = busy.query('SELECT pg_sleep(30)').then(() => undefined, (error: unknown) => error);
      (busy as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      const failure = await during;
      expect(failure).toMatchObject({ message: 'Connection terminated unexpectedly' });
      expect(isConnectionLost(failure)).toBe(true);

      // a statement's own failure is not a lost connection
      const live = await connect(spec, { log: silentLogger, label: 'lost-mark live' }, resolveOptions());
      const refused = await live.query('SELECT 1/0').then(() => undefined, (error: unknown) => error);
      expect(refused).toMatchObject({ code: '22012' });
      expect(isConnectionLost(refused)).toBe(false);
      await live.end();
      await busy.end().catch(() => undefined);
      await idle.end().catch(() => undefined);
    } finally {
      await dropDatabase(server, db);
    }
  });
});
