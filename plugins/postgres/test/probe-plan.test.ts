/**
 * The probe for "has this delta table a record after the checkpoint" must walk the txid index: as an
 * EXISTS or a bare LIMIT 1 it is planned as a sequential scan, which reads every consumed record not yet
 * purged when nothing is new (the daemon probes every 250 ms and purges once a minute).
 */
import { describe, expect, inject, it } from 'vitest';
import { silentLogger, type TableShape } from '@bucardo/plugin-sdk';
import { createDatabase, dropDatabase, serverFromInfo, uniqueName, withClient } from '@bucardo/test';
import { registeredDriver } from './support/driver.js';
import { firstRecord, interval } from '../src/capture-read.js';
import { captureNames } from '../src/capture-names.js';

const server = serverFromInfo(inject('pg'));

describe('the change probe', () => {
  it('uses the txid index when 20,000 consumed records are still there, and finds the one new record', async () => {
    const db = uniqueName('probe_plan');
    const url = await createDatabase(server, db);
    const driver = registeredDriver();
    const source = await driver.source!.open({ name: 'p', type: 'postgres', params: driver.normalizeParams({ url }) }, { log: silentLogger, label: 'probe test' });
    try {
      await withClient(url, (client) => client.query('CREATE TABLE t (id int PRIMARY KEY, v text)'));
      const shape = (await source.describeTable({ schema: 'public', name: 't' })) as TableShape;
      const installed = await source.installCapture([shape]);
      await withClient(url, (client) => client.query("INSERT INTO t SELECT i, 'x' FROM generate_series(1, 20000) AS i"));
      // a run consumes them: its checkpoint is after every one
      const consumed = (await source.capture({ tables: [shape], since: installed, signal: new AbortController().signal })).checkpoint;
      const probe = `SELECT ${firstRecord(captureNames(shape.table).delta, interval())} IS NOT NULL AS found`;
      await withClient(url, async (client) => {
        const plan = await client.query<{ 'QUERY PLAN': unknown }>({ text: `EXPLAIN (FORMAT JSON) ${probe}`, values: [consumed] });
        const text = JSON.stringify(plan.rows[0]!['QUERY PLAN']);
        expect(text).toMatch(/"Node Type":"Index (Only )?Scan"/);
        expect(text).not.toMatch(/"Node Type":"Seq Scan"/);
        expect((await client.query<{ found: boolean }>({ text: probe, values: [consumed] })).rows[0]!.found).toBe(false);
        await client.query("INSERT INTO t VALUES (20001, 'new')");
        expect((await client.query<{ found: boolean }>({ text: probe, values: [consumed] })).rows[0]!.found).toBe(true);
      });
      expect(await source.hasChanges!({ tables: [shape], since: consumed, signal: new AbortController().signal })).toBe(true);
    } finally {
      await source.close();
      await dropDatabase(server, db);
    }
  });
});
