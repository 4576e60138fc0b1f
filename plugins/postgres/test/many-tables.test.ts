/**
 * A sync of many tables: the PostgreSQL source and target describe tables in a few statements whatever
 * their number (`describeTables`, the same answers as `describeTable`), and the change reader probes only
 * delta tables that hold pages, in statements of at most 1,000 columns. Against the real server.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { silentLogger, tableId, type SourceSession, type TableShape, type TargetSession } from '@bucardo/plugin-sdk';
import { createDatabase, dropDatabase, serverFromInfo, uniqueName, withClient } from '@bucardo/test';
import { registeredDriver } from './support/driver.js';

const server = serverFromInfo(inject('pg'));

const driver = registeredDriver();

describe('describeTables', () => {
  const db = uniqueName('describe_many');
  let source: SourceSession;
  let target: TargetSession;

  beforeAll(async () => {
    const url = await createDatabase(server, db);
    await withClient(url, (client) => client.query(`
      CREATE TABLE plain (id int PRIMARY KEY, a text, g int GENERATED ALWAYS AS (id * 2) STORED, b numeric(10,2));
      CREATE TABLE uniq (a int NOT NULL, b int NOT NULL, c text, d int UNIQUE, UNIQUE (b, a));
      CREATE TABLE nullable_unique (a int UNIQUE, b text);
      CREATE TABLE nokey (x int);
      CREATE SCHEMA "Mixed Case";
      CREATE TABLE "Mixed Case"."odd.name" (k text, n int, PRIMARY KEY (n, k));
      ALTER TABLE plain DROP COLUMN a;`));
    const spec = { name: 'm1', type: 'postgres', params: driver.normalizeParams({ url }) };
    source = await driver.source!.open(spec, { log: silentLogger, label: 'many-tables test' });
    target = await driver.target!.open(spec, { log: silentLogger, label: 'many-tables test' });
  });

  afterAll(async () => {
    await source?.close();
    await target?.close();
    await dropDatabase(server, db);
  });

  const tables = [
    { schema: 'public', name: 'plain' },
    { schema: 'public', name: 'missing' },
    { schema: 'public', name: 'uniq' },
    { schema: 'public', name: 'nullable_unique' },
    { schema: 'public', name: 'nokey' },
    { schema: 'Mixed Case', name: 'odd.name' },
    { schema: 'other', name: 'plain' },
  ];

  it('answers in order, undefined for missing tables, as describeTable does table by table', async () => {
    const batch = await source.describeTables!(tables);
    const one = [];
    for (const table of tables) one.push(await source.describeTable(table));
    expect(batch).toEqual(one);
    expect(await target.describeTables!(tables)).toEqual(one);
    expect(batch.map((shape) => shape === undefined)).toEqual([false, true, false, false, false, false, true]);
  });

  it('reads columns (no generated or dropped ones) and the key: the primary key, else the narrowest unique index over NOT NULL columns', async () => {
    const [plain, , uniq, nullableUnique, nokey, odd] = await source.describeTables!(tables);
    expect(plain).toEqual({
      table: tables[0], keySource: 'primary key',
      columns: [{ name: 'id', type: 'integer' }, { name: 'b', type: 'numeric(10,2)' }],
      key: [{ name: 'id', type: 'integer' }],
    });
    // d is unique but nullable; (b, a) is NOT NULL, in the index's column order
    expect(uniq?.key).toEqual([{ name: 'b', type: 'integer' }, { name: 'a', type: 'integer' }]);
    expect(uniq?.keySource).toMatch(/^unique index /);
    expect(nullableUnique?.key).toEqual([]);
    expect(nullableUnique?.keySource).toBe('none');
    expect(nokey).toMatchObject({ key: [], keySource: 'none', columns: [{ name: 'x', type: 'integer' }] });
    expect(odd?.key).toEqual([{ name: 'n', type: 'integer' }, { name: 'k', type: 'text' }]);
  });

  it('answers an empty list with an empty list', async () => {
    expect(await source.describeTables!([])).toEqual([]);
  });
});

describe('the change reader with many tables', () => {
  const db = uniqueName('capture_many');
  const COUNT = 1700;
  let url = '';
  let source: SourceSession;
  let shapes: TableShape[] = [];

  beforeAll(async () => {
    url = await createDatabase(server, db);
    // more tables than a select list may have columns (1,664): the probes and counts go in several statements
    await withClient(url, (client) => client.query(`DO $$ BEGIN
      FOR i IN 0..${COUNT - 1} LOOP EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, v text)', i); END LOOP; END $$`));
    const spec = { name: 'm2', type: 'postgres', params: driver.normalizeParams({ url }) };
    source = await driver.source!.open(spec, { log: silentLogger, label: 'many-tables test' });
    shapes = (await source.describeTables!(Array.from({ length: COUNT }, (_, i) => ({ schema: 'public', name: `t${i}` })))) as TableShape[];
  }, 300_000);

  afterAll(async () => {
    await source?.close();
    await dropDatabase(server, db);
  });

  it('captures, counts and probes changes in a few of 1,700 tables, and in every one of them', async () => {
    const since = await source.installCapture(shapes);
    expect(await source.hasChanges!({ tables: shapes, since, signal: new AbortController().signal })).toBe(false);
    const none = await source.capture({ tables: shapes, since, signal: new AbortController().signal });
    expect(none.tables.size).toBe(0);

    // a few tables change; every other delta table has no page at all
    await withClient(url, (client) => client.query(`
      INSERT INTO t0 VALUES (1, 'a'), (2, 'b'); INSERT INTO t7 VALUES (1, 'x'); INSERT INTO t1699 VALUES (5, 'z');
      UPDATE t7 SET v = 'y' WHERE id = 1; DELETE FROM t0 WHERE id = 2;`));
    expect(await source.hasChanges!({ tables: shapes, since, signal: new AbortController().signal })).toBe(true);
    const few = await source.capture({ tables: shapes, since, signal: new AbortController().signal });
    expect([...few.tables.keys()].sort()).toEqual(['t0', 't1699', 't7'].map((name) => tableId({ schema: 'public', name })).sort());
    expect([...few.tables.get(tableId({ schema: 'public', name: 't0' }))!.changes.keys()]).toEqual(['1', '2']);
    const pending = await source.pending!({ tables: shapes, since });
    expect(pending.size).toBe(COUNT);
    expect([...pending.entries()].filter(([, count]) => count > 0).sort()).toEqual([
      [tableId({ schema: 'public', name: 't0' }), 3], [tableId({ schema: 'public', name: 't1699' }), 1], [tableId({ schema: 'public', name: 't7' }), 2],
    ].sort());

    // after the first capture's checkpoint, one row in every table: 1,700 probes and counts of records
    await withClient(url, (client) => client.query(`DO $$ BEGIN
      FOR i IN 0..${COUNT - 1} LOOP EXECUTE format('INSERT INTO t%s VALUES (100, ''n'')', i); END LOOP; END $$`));
    const all = await source.capture({ tables: shapes, since: few.checkpoint, signal: new AbortController().signal });
    expect(all.tables.size).toBe(COUNT);
    for (const table of all.tables.values()) expect([...table.changes.keys()]).toEqual(['100']);
    const counts = await source.pending!({ tables: shapes, since: few.checkpoint });
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    // in key partitions, each table reports its newest change of the whole interval
    const half = await source.capture({ tables: shapes, since: few.checkpoint, until: all.checkpoint, partition: { index: 0, count: 2 }, signal: new AbortController().signal });
    expect(half.tables.size).toBe(COUNT);
    for (const [id, table] of half.tables) expect(table.newestOverall, id).toBe(all.tables.get(id)!.changes.get('100')!.changedAt);
    const otherHalf = await source.capture({ tables: shapes, since: few.checkpoint, until: all.checkpoint, partition: { index: 1, count: 2 }, signal: new AbortController().signal });
    expect(otherHalf.tables.size).toBe(0);
  }, 300_000);
});
