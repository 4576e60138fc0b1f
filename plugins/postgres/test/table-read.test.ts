/**
 * Reading a whole table (`readTable`) on a real server: the rows come in key order and in batches whatever
 * the way they are read, and a table most of whose rows just changed (`mostlyChanged`, a `refreshAbove`
 * copy) is scanned and sorted rather than read through its key index, which then points at a dead row
 * version beside every live one.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encodeKey, silentLogger, type RowBatch, type SourceSession, type TableShape } from '@bucardo/plugin-sdk';
import { createDatabase, dropDatabase, serverFromInfo, uniqueName, withClient } from '@bucardo/test';
import { selectAll } from '../src/table-read.js';
import { registeredDriver } from './support/driver.js';

const server = serverFromInfo(inject('pg'));
const db = uniqueName('tableread');
const ROWS = 20_000;
let url: string;
let session: SourceSession;
let shape: TableShape;

beforeAll(async () => {
  url = await createDatabase(server, db);
  // keys written in an order of their own, then every row updated: heap order is not key order, and the
  // statistics (taken before the update) still describe the table as it was
  await withClient(url, async (client) => {
    await client.query('CREATE TABLE big (id int PRIMARY KEY, v int NOT NULL, pad text NOT NULL)');
    await client.query(`INSERT INTO big SELECT i, 0, 'p' || i FROM generate_series(1, ${ROWS}) AS i ORDER BY md5(i::text)`);
    await client.query('VACUUM ANALYZE big');
    await client.query('UPDATE big SET v = v + 1');
    // written in key order, then analyzed: the statistics say the key index reads the table in order
    await client.query(`CREATE TABLE ordered (id int PRIMARY KEY, v int NOT NULL, pad text NOT NULL);
      INSERT INTO ordered SELECT i, 0, 'p' || i FROM generate_series(1, ${ROWS}) AS i`);
    await client.query('VACUUM ANALYZE ordered');
    await client.query('UPDATE ordered SET v = v + 1');
  });
  const driver = registeredDriver();
  session = await driver.source!.open({ name: 'src', type: 'postgres', params: driver.normalizeParams({ url }) }, { log: silentLogger, label: 'test' });
  shape = (await session.describeTable({ schema: 'public', name: 'big' }))!;
});

afterAll(async () => {
  await session?.close();
  await dropDatabase(server, db);
});

async function readAll(mostlyChanged: boolean, after?: string): Promise<{ ids: number[]; sizes: number[] }> {
  const ids: number[] = [];
  const sizes: number[] = [];
  const signal = new AbortController().signal;
  for await (const batch of session.readTable!({ shape, batchRows: 3_000, signal, mostlyChanged, ...(after === undefined ? {} : { after }) }) as AsyncIterable<RowBatch>) {
    sizes.push(batch.rowCount);
    for (const row of batch.rows()) ids.push(Number(row[0]));
  }
  return { ids, sizes };
}

describe('readTable', () => {
  it('gives every row in key order, in batches of batchRows, read through the index or scanned and sorted', async () => {
    const inOrder = Array.from({ length: ROWS }, (_, index) => index + 1);
    for (const mostlyChanged of [false, true]) {
      const { ids, sizes } = await readAll(mostlyChanged);
      expect(ids, `mostlyChanged ${mostlyChanged}`).toEqual(inOrder);
      expect(sizes).toEqual([...Array(6).fill(3_000), 2_000]);
    }
    const resumed = await readAll(true, encodeKey(['15000']));
    expect(resumed.ids).toEqual(inOrder.slice(15_000));
  });

  it('plans a table that mostly changed as a sequential scan and a sort, where the planner would walk its key index', async () => {
    const ordered = { ...shape, table: { schema: 'public', name: 'ordered' } };
    const plan = async (mostlyChanged: boolean) => withClient(url, async (client) =>
      (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${selectAll({ shape: ordered, batchRows: 1, signal: new AbortController().signal, mostlyChanged })}`)).rows.map((row) => row['QUERY PLAN']).join('\n'));
    expect(await plan(false)).toMatch(/^Index Scan using ordered_pkey on ordered/);
    const sorted = await plan(true);
    expect(sorted).toMatch(/^Sort/);
    expect(sorted).toMatch(/Seq Scan on ordered/);
    expect(sorted).not.toMatch(/Index/);
  });
});
