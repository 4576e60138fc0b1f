/**
 * The key conditions of the target's DELETE and the source's fetch hide the key array from the planner:
 * given it as a constant, the planner estimates the selectivity of every element (2k instructions a key,
 * a third of a large DELETE's server time). Checked on the plan: the key index is used, the row estimate
 * is not the array's length (the planner did not read it), and the fetch needs no sort; and on the rows.
 */
import { describe, expect, inject, it } from 'vitest';
import type { TableShape } from '@bucardo/plugin-sdk';
import { createDatabase, dropDatabase, serverFromInfo, uniqueName, withClient } from '@bucardo/test';
import { inlineKeyCondition, keyCondition } from '../src/key-sql.js';

const server = serverFromInfo(inject('pg'));

const shape: TableShape = {
  table: { schema: 'public', name: 't' },
  columns: [{ name: 'id', type: 'integer' }, { name: 'v', type: 'text' }],
  key: [{ name: 'id', type: 'integer' }],
  keySource: 'primary key',
};

interface PlanNode { 'Node Type': string; 'Plan Rows': number; 'Index Name'?: string; Plans?: PlanNode[] }
const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

describe('key conditions', () => {
  it('keep 30,000 keys out of the planner: an index scan on the key, not estimated from the keys; the right rows', async () => {
    const db = uniqueName('key_plan');
    const url = await createDatabase(server, db);
    try {
      await withClient(url, async (client) => {
        await client.query("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, 'row ' || i FROM generate_series(1, 100000) AS i; ANALYZE t");
        const keys = Array.from({ length: 30_000 }, (_, i) => String(3 * i + 1));
        const explain = async (text: string, values: string[] = []) => {
          const result = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>({ text: `EXPLAIN (FORMAT JSON) ${text}`, values });
          return nodes(result.rows[0]!['QUERY PLAN'][0]!.Plan);
        };

        // the target's DELETE, with the keys bound as a parameter (planned as a constant unless hidden)
        const { sql, params } = keyCondition(shape, keys);
        const deletePlan = await explain(`DELETE FROM ONLY t WHERE ${sql}`, params);
        const deleteScan = deletePlan.find((node) => node['Index Name'] === 't_pkey');
        expect(deleteScan?.['Node Type']).toBe('Index Scan');
        expect(deleteScan!['Plan Rows']).toBeLessThan(1000);
        expect(deletePlan.map((node) => node['Node Type'])).not.toContain('Seq Scan');
        await client.query('BEGIN');
        expect((await client.query(`DELETE FROM ONLY t WHERE ${sql}`, params)).rowCount).toBe(30_000);
        await client.query('ROLLBACK');

        // the source's fetch, keys inlined (COPY takes no parameters), in key order without a sort
        const fetch = `SELECT id, v FROM ONLY t WHERE ${inlineKeyCondition(shape, keys)} ORDER BY id`;
        const fetchPlan = await explain(fetch);
        const fetchScan = fetchPlan.find((node) => node['Index Name'] === 't_pkey');
        expect(fetchScan?.['Node Type']).toBe('Index Scan');
        expect(fetchScan!['Plan Rows']).toBeLessThan(1000);
        expect(fetchPlan.map((node) => node['Node Type'])).not.toContain('Sort');
        const rows = (await client.query<{ id: string }>(fetch)).rows;
        expect(rows.map((row) => String(row.id))).toEqual(keys);
      });
    } finally {
      await dropDatabase(server, db);
    }
  });
});
