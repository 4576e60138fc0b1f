/**
 * estimateRows (refreshAbove's row figure): the statistics' count for analysed tables, and no figure for
 * a table never analysed, one vacuumed empty, a missing table, a view, or a name that matches only
 * unquoted. The source kit's `row-estimates` scenario cannot tell a figure from none on a fresh database;
 * this can.
 */
import { describe, expect, inject, it } from 'vitest';
import { createDatabase, dropDatabase, serverFromInfo, uniqueName, withClient } from '@bucardo/test';
import { estimateRows } from '../src/row-estimates.js';

const server = serverFromInfo(inject('pg'));

describe('estimateRows', () => {
  it('gives analysed tables their row count, and nothing for tables without statistics or that are not tables', async () => {
    const db = uniqueName('estimates');
    const url = await createDatabase(server, db);
    try {
      await withClient(url, async (client) => {
        await client.query(`CREATE SCHEMA "Odd schema";
          CREATE TABLE analysed (id int PRIMARY KEY); INSERT INTO analysed SELECT generate_series(1, 1234); ANALYZE analysed;
          CREATE TABLE "Odd schema"."Mixed Case" (id int PRIMARY KEY); INSERT INTO "Odd schema"."Mixed Case" SELECT generate_series(1, 56); ANALYZE "Odd schema"."Mixed Case";
          CREATE TABLE never_analysed (id int PRIMARY KEY) WITH (autovacuum_enabled = false); INSERT INTO never_analysed SELECT generate_series(1, 500);
          CREATE TABLE emptied (id int PRIMARY KEY); INSERT INTO emptied SELECT generate_series(1, 10); DELETE FROM emptied;
          CREATE VIEW a_view AS SELECT * FROM analysed`);
        await client.query('VACUUM ANALYZE emptied');
        const estimates = await estimateRows(client, [
          { schema: 'public', name: 'analysed' }, { schema: 'Odd schema', name: 'Mixed Case' }, { schema: 'public', name: 'never_analysed' },
          { schema: 'public', name: 'emptied' }, { schema: 'public', name: 'a_view' }, { schema: 'public', name: 'missing' }, { schema: 'odd schema', name: 'mixed case' },
        ]);
        expect(Object.fromEntries(estimates)).toEqual({
          'public\u0000analysed': 1234,
          'Odd schema\u0000Mixed Case': 56,
        });
        // vacuumed to no rows and no pages: 0 rows on 0 pages, which before PostgreSQL 14 also meant "never
        // analysed", so no figure (its new rows then go key by key)
        expect(await estimateRows(client, [])).toEqual(new Map());
      });
    } finally {
      await dropDatabase(server, db);
    }
  });
});
