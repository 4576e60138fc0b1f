/**
 * pendingKeys (refreshAbove's key count): exact where the records are few, or where the first of them
 * repeat keys (a few rows changed many times: the count may spare a large table's copy); estimated from
 * the first 10,000 records where nearly all of those differ (a bulk change). Against a real server, with
 * the capture the source installs; composite keys and a table without records too.
 */
import { describe, expect, inject, it } from 'vitest';
import { createDatabase, dropDatabase, serverFromInfo, uniqueName, withClient } from '@bucardo/test';
import { installCapture } from '../src/capture-install.js';
import { pendingKeys } from '../src/capture-read.js';
import { describeTables } from '../src/introspect.js';

const server = serverFromInfo(inject('pg'));

describe('pendingKeys', () => {
  it('counts the keys of few records and of repeating ones exactly, and estimates a bulk change from its first records', async () => {
    const db = uniqueName('pendingkeys');
    const url = await createDatabase(server, db);
    try {
      await withClient(url, async (client) => {
        await client.query(`CREATE TABLE hot (id int PRIMARY KEY, v int NOT NULL); INSERT INTO hot SELECT i, 0 FROM generate_series(1, 1000) i;
          CREATE TABLE busy (id int PRIMARY KEY, v int NOT NULL); INSERT INTO busy SELECT i, 0 FROM generate_series(1, 1000) i;
          CREATE TABLE bulk (id int PRIMARY KEY, v int NOT NULL); INSERT INTO bulk SELECT i, 0 FROM generate_series(1, 30000) i;
          CREATE TABLE pair (a text, b int, v int NOT NULL, PRIMARY KEY (a, b)); INSERT INTO pair SELECT 'k' || (i % 3), i, 0 FROM generate_series(1, 300) i;
          CREATE TABLE quiet (id int PRIMARY KEY)`);
        const shapes = (await describeTables(client, ['hot', 'busy', 'bulk', 'pair', 'quiet'].map((name) => ({ schema: 'public', name })))).map((shape) => shape!);
        const since = await installCapture(client, shapes, 'test');
        // hot: 10 keys, 120 records each (1,200 records, fewer than the sample); busy: 100 keys, 150 records
        // each (15,000, the first 10,000 repeating); bulk: 25,000 keys once each, then 2,000 of them again
        // (27,000 records, the first 10,000 all different); pair: 300 composite keys, 2 records each
        await client.query(`DO $$ BEGIN FOR i IN 1..120 LOOP UPDATE hot SET v = i WHERE id <= 10; END LOOP;
            FOR i IN 1..150 LOOP UPDATE busy SET v = i WHERE id <= 100; END LOOP; END $$;
          UPDATE bulk SET v = 1 WHERE id <= 25000; UPDATE bulk SET v = 2 WHERE id <= 2000;
          UPDATE pair SET v = 1; UPDATE pair SET v = 2`);
        const keys = await pendingKeys(client, shapes, since);
        expect(Object.fromEntries(keys)).toEqual({
          'public\u0000hot': 10,
          'public\u0000busy': 100,
          // 27,000 records taken as distinct keys: the first 10,000 were (the exact count is 25,000)
          'public\u0000bulk': 27_000,
          'public\u0000pair': 300,
          'public\u0000quiet': 0,
        });
        // the records `pending` counted, when given, are not counted again: the bulk estimate is scaled from them
        const given = new Map([['public\u0000bulk', 30_000]]);
        expect((await pendingKeys(client, shapes, since, given)).get('public\u0000bulk')).toBe(30_000);
        // consumed by a later checkpoint: none
        const now = (await client.query<{ now: string }>('SELECT pg_current_snapshot()::text AS now')).rows[0]!.now;
        expect([...(await pendingKeys(client, shapes, now)).values()]).toEqual([0, 0, 0, 0, 0]);
      });
    } finally {
      await dropDatabase(server, db);
    }
  });
});
