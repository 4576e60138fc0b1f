/**
 * The key conditions of the target's DELETE and the source's fetch. Where the table has an index led by
 * the key, the key array is hidden from the planner: given it as a constant, the planner estimates the
 * selectivity of every element (2k instructions a key, a third of a large DELETE's server time). Checked
 * on the plan: the key index is used, the row estimate is not the array's length (the planner did not
 * read it), the fetch needs no sort; and on the rows. Where there is no such index (only the first
 * source's is guaranteed), the array stays a constant, which the sequential scan hashes: behind the
 * subquery every row would walk the whole array. Which tables count as indexed is asked of the server.
 */
import { describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { RowBatch, encodeKey, silentLogger, type TableShape } from '@bucardo/plugin-sdk';
import { createDatabase, dropDatabase, serverFromInfo, uniqueName, withClient } from '@bucardo/test';
import { describeTable } from '../src/introspect.js';
import { KeyIndexes } from '../src/key-index.js';
import { inlineKeyCondition, keyAfter, keyCondition, type KeyColumn } from '../src/key-sql.js';
import { registeredDriver } from './support/driver.js';

const server = serverFromInfo(inject('pg'));

const shapeOf = (name: string, key = 'id'): TableShape => ({
  table: { schema: 'public', name },
  columns: [{ name: 'id', type: 'integer' }, { name: 'v', type: 'text' }],
  key: [{ name: key, type: 'integer', operatorSchema: 'pg_catalog' } as KeyColumn],
  keySource: 'primary key',
});

interface PlanNode { 'Node Type': string; 'Plan Rows': number; 'Index Name'?: string; Filter?: string; Plans?: PlanNode[] }
const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

async function explain(client: pg.Client, text: string, values: string[] = []): Promise<PlanNode[]> {
  const result = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>({ text: `EXPLAIN (FORMAT JSON) ${text}`, values });
  return nodes(result.rows[0]!['QUERY PLAN'][0]!.Plan);
}

/** A table of 100,000 rows (`id` 1..100,000), analysed. */
async function filled(client: pg.Client, name: string, definition: string): Promise<TableShape> {
  await client.query(`CREATE TABLE ${name} ${definition}; INSERT INTO ${name} SELECT i, 'row ' || i FROM generate_series(1, 100000) AS i; ANALYZE ${name}`);
  return shapeOf(name);
}

/** The target's DELETE of `keys`, with the keys bound as a parameter (planned as a constant unless hidden), and its plan. */
async function planDelete(client: pg.Client, shape: TableShape, keys: string[], indexed: boolean) {
  const { sql, params } = keyCondition(shape, keys, indexed);
  const text = `DELETE FROM ONLY ${shape.table.name} WHERE ${sql}`;
  return { text, params, plan: await explain(client, text, params) };
}

async function withDatabase(tag: string, work: (client: pg.Client) => Promise<void>): Promise<void> {
  const db = uniqueName(tag);
  const url = await createDatabase(server, db);
  try {
    await withClient(url, work);
  } finally {
    await dropDatabase(server, db);
  }
}

describe('key conditions', () => {
  it('keep 30,000 keys out of the planner where the key is indexed: an index scan on the key, not estimated from the keys; the right rows', async () => {
    await withDatabase('key_plan', async (client) => {
      const shape = await filled(client, 't', '(id int PRIMARY KEY, v text)');
      const keys = Array.from({ length: 30_000 }, (_, i) => String(3 * i + 1));
      const { text, params, plan: deletePlan } = await planDelete(client, shape, keys, true);
      const deleteScan = deletePlan.find((node) => node['Index Name'] === 't_pkey');
      expect(deleteScan?.['Node Type']).toBe('Index Scan');
      expect(deleteScan!['Plan Rows']).toBeLessThan(1000);
      expect(deletePlan.map((node) => node['Node Type'])).not.toContain('Seq Scan');
      await client.query('BEGIN');
      expect((await client.query(text, params)).rowCount).toBe(30_000);
      await client.query('ROLLBACK');

      // the source's fetch, keys inlined (COPY takes no parameters), in key order without a sort
      const fetch = `SELECT id, v FROM ONLY t WHERE ${inlineKeyCondition(shape, keys, true)} ORDER BY id`;
      const fetchPlan = await explain(client, fetch);
      const fetchScan = fetchPlan.find((node) => node['Index Name'] === 't_pkey');
      expect(fetchScan?.['Node Type']).toBe('Index Scan');
      expect(fetchScan!['Plan Rows']).toBeLessThan(1000);
      expect(fetchPlan.map((node) => node['Node Type'])).not.toContain('Sort');
      const rows = (await client.query<{ id: number }>(fetch)).rows;
      expect(rows.map((row) => String(row.id))).toEqual(keys);
    });
  });

  it('leave the array a constant where the key is not indexed: a sequential scan filtering on the constant array; the right rows', async () => {
    await withDatabase('key_plan_noidx', async (client) => {
      const shape = await filled(client, 'bare', '(id int NOT NULL, v text)');
      const keys = Array.from({ length: 5_000 }, (_, i) => String(7 * i + 2));
      const { text, params, plan } = await planDelete(client, shape, keys, false);
      const scan = plan.find((node) => node['Node Type'] === 'Seq Scan');
      // the array is the constant the server hashes, not an InitPlan's result walked row by row
      expect(scan?.Filter).toMatch(/^\(id = ANY \('\{2,9,16,/);
      expect(JSON.stringify(plan)).not.toContain('InitPlan');
      await client.query('BEGIN');
      expect((await client.query(text, params)).rowCount).toBe(5_000);
      await client.query('ROLLBACK');
      const fetched = (await client.query<{ id: number }>(`SELECT id FROM ONLY bare WHERE ${inlineKeyCondition(shape, keys, false)} ORDER BY id`)).rows;
      expect(fetched.map((row) => String(row.id))).toEqual(keys);
    });
  });

  it('a target and a source write and fetch 10,000 keys through the sessions, with and without a key index, each in its form', async () => {
    const db = uniqueName('key_plan_session');
    const url = await createDatabase(server, db);
    // the wrong form on the table without an index walks the whole array for each of its 100,000 rows
    // (over 10 s here): the timeout turns that into a failure instead of a slow pass
    const driver = registeredDriver({ sessionSettings: { statement_timeout: '3000' } });
    const spec = { name: 'n', type: 'postgres', params: driver.normalizeParams({ url }) };
    try {
      await withClient(url, (client) => client.query(`
        CREATE TABLE bare (id int NOT NULL, v text); INSERT INTO bare SELECT i, 'row ' || i FROM generate_series(1, 100000) AS i;
        CREATE TABLE keyed (id int PRIMARY KEY, v text); INSERT INTO keyed SELECT i, 'row ' || i FROM generate_series(1, 100000) AS i;
        ANALYZE bare, keyed`));
      const keys = Array.from({ length: 10_000 }, (_, i) => String(7 * i + 2));
      for (const name of ['bare', 'keyed']) {
        const shape = shapeOf(name);
        const target = await driver.target!.open(spec, { log: silentLogger, label: 'key plan test' });
        try {
          await target.begin(new AbortController().signal);
          const rows = RowBatch.fromRows('s', shape, keys.map((key) => [key, `new ${key}`]));
          expect(await target.apply({ shape, deletes: keys, rows: [rows], signal: new AbortController().signal }), name).toEqual({ deleted: 10_000, inserted: 10_000, skipped: [] });
          await target.commit();
        } finally {
          await target.close();
        }
        const source = await driver.source!.open(spec, { log: silentLogger, label: 'key plan test' });
        try {
          const fetched = await source.fetch({ shape, keys, signal: new AbortController().signal });
          expect([...fetched.rows()].map((row) => fetched.keyOf(row)), name).toEqual(keys);
        } finally {
          await source.close();
        }
        const counts = await withClient(url, (client) => client.query(`SELECT count(*)::int AS rows, count(*) FILTER (WHERE v LIKE 'new %')::int AS new FROM ${name}`));
        expect(counts.rows[0], name).toEqual({ rows: 100_000, new: 10_000 });
      }
    } finally {
      await dropDatabase(server, db);
    }
  });

  it('hide the array for keys of every kind of type: the cast behind the subquery finds exactly the rows', async () => {
    await withDatabase('key_plan_types', async (client) => {
      const cases: Array<{ type: string; values: string[] }> = [
        { type: 'character varying(10)', values: ['a', 'b"q', "c'q", 'd\\e'] },
        { type: 'text', values: ['x', 'with space', '{braces}', 'comma,here'] },
        { type: 'numeric(10,2)', values: ['1.50', '2.00', '-3.25'] },
        { type: 'timestamp with time zone', values: ['2026-01-02 03:04:05+00', '2026-06-30 23:59:59.5+00'] },
        { type: 'uuid', values: ['0b8e1a52-1c1f-4b7e-9d0a-2f0c2b1e4a10', 'ffffffff-0000-4000-8000-000000000001'] },
        { type: 'key_domain', values: ['7', '8'] },
      ];
      await client.query('CREATE DOMAIN key_domain AS int CHECK (VALUE > 0)');
      for (const [index, { type, values }] of cases.entries()) {
        const table = `typed_${index}`;
        await client.query(`CREATE TABLE ${table} (id ${type} PRIMARY KEY, v text)`);
        await client.query(`INSERT INTO ${table} (id, v) SELECT k::${type}, 'x' FROM unnest($1::text[]) AS k`, [values]);
        await client.query(`INSERT INTO ${table} (id, v) VALUES ($1::text::${type}, 'other')`, [type === 'uuid' ? '11111111-2222-4333-8444-555555555555' : type === 'key_domain' ? '99' : type.startsWith('timestamp') ? '2000-01-01 00:00:00+00' : type === 'numeric(10,2)' ? '99.99' : 'zz']);
        const shape: TableShape = { ...shapeOf(table), key: [{ name: 'id', type, operatorSchema: 'pg_catalog' } as KeyColumn] };
        const { sql, params } = keyCondition(shape, values, true);
        expect(sql, type).toContain('(SELECT ');
        await client.query('BEGIN');
        expect((await client.query(`DELETE FROM ONLY ${table} WHERE ${sql}`, params)).rowCount, type).toBe(values.length);
        expect((await client.query(`SELECT v FROM ${table}`)).rows, type).toEqual([{ v: 'other' }]);
        await client.query('ROLLBACK');
        const fetched = await client.query(`SELECT count(*)::int AS n FROM ONLY ${table} WHERE ${inlineKeyCondition(shape, values, true)}`);
        expect(fetched.rows[0].n, type).toBe(values.length);
      }
    });
  });

  it('compare keys by the key index\'s own equality, named with its schema: citext\'s in its schema (case-insensitive, index scan), pg_catalog\'s for an enum and a domain', async () => {
    await withDatabase('key_plan_operators', async (client) => {
      await client.query(`
        CREATE SCHEMA ext; CREATE EXTENSION citext SCHEMA ext;
        CREATE TABLE ci (id ext.citext PRIMARY KEY, v text);
        INSERT INTO ci SELECT 'Key' || i, 'row ' || i FROM generate_series(1, 100000) AS i;
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy'); CREATE TABLE moods (id mood PRIMARY KEY, v text);
        CREATE DOMAIN code AS text CHECK (VALUE <> ''); CREATE TABLE codes (id code PRIMARY KEY, v text);
        ANALYZE ci`);
      const indexes = new KeyIndexes(client);
      const described = (await describeTable(client, { schema: 'public', name: 'ci' }))!;
      // the shape says nothing of operators: each session asks its own catalog
      expect(described.key).toEqual([{ name: 'id', type: 'ext.citext' }]);
      const shape = await indexes.local(described);
      expect(shape.key).toEqual([{ name: 'id', type: 'ext.citext', operatorSchema: 'ext' }]);
      expect((await indexes.local((await describeTable(client, { schema: 'public', name: 'moods' }))!)).key).toEqual([{ name: 'id', type: 'mood', operatorSchema: 'pg_catalog' }]);
      expect((await indexes.local((await describeTable(client, { schema: 'public', name: 'codes' }))!)).key).toEqual([{ name: 'id', type: 'code', operatorSchema: 'pg_catalog' }]);
      // keys in another case still match: citext's equality, not text's (pg_catalog's would find none, by a sequential scan)
      const keys = Array.from({ length: 30_000 }, (_, i) => `KEY${3 * i + 1}`);
      const { text, params, plan } = await planDelete(client, shape, keys, true);
      expect(text).toContain('OPERATOR("ext".=)');
      expect(plan.find((node) => node['Index Name'] === 'ci_pkey')?.['Node Type']).toBe('Index Scan');
      expect(plan.map((node) => node['Node Type'])).not.toContain('Seq Scan');
      await client.query('BEGIN');
      expect((await client.query(text, params)).rowCount).toBe(30_000);
      await client.query('ROLLBACK');
      const fetched = await client.query(`SELECT count(*)::int AS n FROM ONLY ci WHERE ${inlineKeyCondition(shape, keys, true)}`);
      expect(fetched.rows[0].n).toBe(30_000);
    });
  });

  it('a composite key of a citext (schema ext) and an int: the EXISTS form and the spelt-out "after", each column by its own schema\'s operator, by index', async () => {
    await withDatabase('key_plan_mixed', async (client) => {
      await client.query(`
        CREATE SCHEMA ext; CREATE EXTENSION citext SCHEMA ext;
        CREATE TABLE mixed (name ext.citext, n int, v text, PRIMARY KEY (name, n));
        INSERT INTO mixed SELECT 'Key' || (i % 1000), i, 'row ' || i FROM generate_series(1, 100000) AS i;
        ANALYZE mixed`);
      const shape = await new KeyIndexes(client).local((await describeTable(client, { schema: 'public', name: 'mixed' }))!);
      expect(shape.key).toEqual([{ name: 'name', type: 'ext.citext', operatorSchema: 'ext' }, { name: 'n', type: 'integer', operatorSchema: 'pg_catalog' }]);
      // keys in another case match by citext's equality; (KEY1, 2) is no row
      const keys = [encodeKey(['KEY1', '1001']), encodeKey(['key2', '2002']), encodeKey(['KEY1', '2'])];
      const { sql, params } = keyCondition(shape, keys, false);
      expect(sql).toMatch(/^EXISTS \(SELECT FROM ROWS FROM \(pg_catalog\.unnest/);
      expect(sql).toContain('"name" OPERATOR("ext".=) bucardo_keys.k0 AND "n" OPERATOR("pg_catalog".=) bucardo_keys.k1');
      expect((await client.query(`SELECT n FROM ONLY mixed WHERE ${sql} ORDER BY n`, params)).rows).toEqual([{ n: 1001 }, { n: 2002 }]);
      expect((await client.query(`SELECT n FROM ONLY mixed WHERE ${inlineKeyCondition(shape, keys, false)} ORDER BY n`)).rows).toEqual([{ n: 1001 }, { n: 2002 }]);
      // after (KEY999, 99000): the rows of Key999 past 99000, none of a name before it, by the key index
      const after = keyAfter(shape, ["'KEY999'::ext.citext", '99000']);
      expect(after).toBe('(("name" OPERATOR("ext".>) \'KEY999\'::ext.citext) OR ("name" OPERATOR("ext".=) \'KEY999\'::ext.citext AND "n" OPERATOR("pg_catalog".>) 99000))');
      const read = `SELECT name, n FROM ONLY mixed WHERE ${after} ORDER BY name, n`;
      expect((await client.query(read)).rows).toEqual([{ name: 'Key999', n: 99999 }]);
      expect((await explain(client, read)).find((node) => node['Index Name'] === 'mixed_pkey')?.['Node Type']).toMatch(/Index/);
    });
  });

  it('name a key\'s operators from the catalog of the database the statement runs on: citext in ext on the source, in public on the target', async () => {
    const [source, target] = [uniqueName('key_ops_src'), uniqueName('key_ops_tgt')];
    const urls = [await createDatabase(server, source), await createDatabase(server, target)];
    try {
      // ext is on the source role's search path there, so both print the type as citext and the shapes agree
      await withClient(urls[0]!, (client) => client.query(`CREATE SCHEMA ext; CREATE EXTENSION citext SCHEMA ext;
        ALTER DATABASE ${source} SET search_path = "$user", public, ext`));
      await withClient(urls[1]!, (client) => client.query('CREATE EXTENSION citext SCHEMA public'));
      for (const url of urls) await withClient(url, (client) => client.query('CREATE TABLE ci (id citext PRIMARY KEY, v text); INSERT INTO ci VALUES (\'Alpha\', \'a\'), (\'Beta\', \'b\')'));
      const driver = registeredDriver();
      const [sourceSpec, targetSpec] = urls.map((url, index) => ({ name: index === 0 ? 'src' : 'tgt', type: 'postgres', params: driver.normalizeParams({ url }) }));
      const sourceSession = await driver.source!.open(sourceSpec!, { log: silentLogger, label: 'key ops test' });
      const targetSession = await driver.target!.open(targetSpec!, { log: silentLogger, label: 'key ops test' });
      try {
        const shape = (await sourceSession.describeTable({ schema: 'public', name: 'ci' }))!;
        expect(shape.key).toEqual([{ name: 'id', type: 'citext' }]);
        const fetched = await sourceSession.fetch({ shape, keys: ['ALPHA'], signal: new AbortController().signal });
        expect([...fetched.rows()].map((row) => fetched.keyOf(row))).toEqual(['Alpha']);
        // the target compares by public's citext equality, not by ext's (no schema ext there)
        await targetSession.begin(new AbortController().signal);
        const rows = RowBatch.fromRows('src', shape, [['ALPHA', 'new']]);
        expect(await targetSession.apply({ shape, deletes: ['ALPHA'], rows: [rows], signal: new AbortController().signal })).toEqual({ deleted: 1, inserted: 1, skipped: [] });
        await targetSession.commit();
      } finally {
        await sourceSession.close();
        await targetSession.close();
      }
      const written = await withClient(urls[1]!, (client) => client.query('SELECT id::text, v FROM ci ORDER BY id::text COLLATE "C"'));
      expect(written.rows).toEqual([{ id: 'ALPHA', v: 'new' }, { id: 'Beta', v: 'b' }]);
    } finally {
      await dropDatabase(server, source);
      await dropDatabase(server, target);
    }
  });

  it('count a table as indexed only with a valid, non-partial btree index led by the key column, asked once per table', async () => {
    await withDatabase('key_index', async (client) => {
      await client.query(`
        CREATE TABLE pk (id int PRIMARY KEY, v text);
        CREATE TABLE uniq (id int NOT NULL, v text); CREATE UNIQUE INDEX ON uniq (id);
        CREATE TABLE lead_col (id int NOT NULL, v text); CREATE INDEX ON lead_col (id, v);
        CREATE TABLE second_col (id int NOT NULL, v text); CREATE INDEX ON second_col (v, id);
        CREATE TABLE partial (id int NOT NULL, v text); CREATE UNIQUE INDEX ON partial (id) WHERE id > 0;
        CREATE TABLE hashed (id int NOT NULL, v text); CREATE INDEX ON hashed USING hash (id);
        CREATE TABLE bare (id int NOT NULL, v text);
        CREATE TABLE "odd ""name""" (id int PRIMARY KEY, v text);`);
      const indexes = new KeyIndexes(client);
      const verdicts: Record<string, boolean> = {};
      for (const name of ['pk', 'uniq', 'lead_col', 'second_col', 'partial', 'hashed', 'bare', 'odd "name"']) verdicts[name] = await indexes.indexed(shapeOf(name));
      expect(verdicts).toEqual({ pk: true, uniq: true, lead_col: true, second_col: false, partial: false, hashed: false, bare: false, 'odd "name"': true });
      // a composite key goes through unnest (a join), never through the array form
      expect(await indexes.indexed({ ...shapeOf('pk'), key: [{ name: 'id', type: 'integer' }, { name: 'v', type: 'text' }] })).toBe(false);
      // asked once: dropping the index later does not change the answer of this connection
      await client.query('ALTER TABLE pk DROP CONSTRAINT pk_pkey');
      expect(await indexes.indexed(shapeOf('pk'))).toBe(true);
      expect(await new KeyIndexes(client).indexed(shapeOf('pk'))).toBe(false);
      // small lookups take the constant array without asking: on an indexed table too
      expect(await indexes.hideKeys(shapeOf('uniq'), 199)).toBe(false);
      expect(await indexes.hideKeys(shapeOf('uniq'), 200)).toBe(true);
      expect(await indexes.hideKeys(shapeOf('bare'), 30_000)).toBe(false);
    });
  });
});
