/**
 * The target's TRUNCATE waits at most two seconds for the table's lock (a transaction-local
 * `lock_timeout`), and puts the session's own setting back afterwards: the rest of the transaction
 * waits for locks as the database was told to, neither two seconds nor forever.
 */
import { describe, expect, inject, it } from 'vitest';
import { RowBatch, silentLogger, type TableShape } from '@bucardo/plugin-sdk';
import { createDatabase, dropDatabase, serverFromInfo, uniqueName, withClient } from '@bucardo/test';
import pg from 'pg';
import { registeredDriver } from './support/driver.js';

const server = serverFromInfo(inject('pg'));

describe('TRUNCATE on a target', () => {
  it('puts the lock_timeout back once it has the lock: a later statement of the transaction times out as the database says', async () => {
    const db = uniqueName('truncwait');
    const url = await createDatabase(server, db);
    const holder = new pg.Client({ connectionString: url });
    try {
      await withClient(url, (client) => client.query(`CREATE TABLE t (id int PRIMARY KEY, v text); CREATE TABLE u (id int PRIMARY KEY, v text);
        INSERT INTO t VALUES (1, 'a'); ALTER DATABASE ${db} SET lock_timeout = '100ms'`));
      const driver = registeredDriver();
      const session = await driver.target!.open({ name: 'tgt', type: 'postgres', params: driver.normalizeParams({ url }) }, { log: silentLogger, label: 'test' });
      try {
        const [t, u] = await session.describeTables!([{ schema: 'public', name: 't' }, { schema: 'public', name: 'u' }]) as TableShape[];
        const signal = new AbortController().signal;
        await session.begin(signal);
        expect(await session.truncate!(t!, signal)).toBeUndefined();
        // another session holds u for a second: with the database's 100 ms the write gives up; had the
        // TRUNCATE's two seconds stayed, it would wait and succeed once the holder lets go
        await holder.connect();
        await holder.query('BEGIN; LOCK TABLE u IN ACCESS EXCLUSIVE MODE');
        const release = setTimeout(() => void holder.query('COMMIT'), 1000);
        const write = session.apply({ shape: u!, deletes: [], rows: [RowBatch.fromRows('src', u!, [['1', 'x']])], signal });
        await expect(write).rejects.toMatchObject({ code: '55P03' });
        clearTimeout(release);
        await holder.query('COMMIT');
        await session.rollback();
      } finally {
        await session.close();
      }
      expect((await withClient(url, (client) => client.query('SELECT count(*)::int AS n FROM t'))).rows).toEqual([{ n: 1 }]);
    } finally {
      await holder.end().catch(() => undefined);
      await dropDatabase(server, db);
    }
  });
});
