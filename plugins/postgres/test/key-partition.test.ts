/**
 * A backlog captured in key partitions is only correct if every source puts a key in the same partition:
 * the server's partition condition must be exactly the SDK's `keyPartition` of the canonical key text, for
 * every kind of key (one column or several, integers to the limits of bigint, text beyond ASCII or that
 * reads as an integer, numeric with trailing zeros, float -0, timestamps), on the real server.
 */
import { describe, expect, inject, it } from 'vitest';
import { keyMaker, keyPartition, type TableShape } from '@bucardo/plugin-sdk';
import { createDatabase, serverFromInfo, withClient } from '@bucardo/test';
import { partitionCondition } from '../src/key-sql.js';
import { TEXT_STABLE_SETTINGS } from '../src/postgres-options.js';

const server = serverFromInfo(inject('pg'));
const COUNT = 7;

interface Case {
  readonly name: string;
  readonly keyTypes: readonly string[];
  readonly rows: string;
}

const cases: Case[] = [
  { name: 'integer', keyTypes: ['integer'], rows: 'SELECT i FROM generate_series(-50, 200) AS i' },
  { name: 'bigint at its limits', keyTypes: ['bigint'], rows: 'SELECT unnest(ARRAY[-9223372036854775808, 9223372036854775807, -1, 0, 1, 999999999999999, 1000000000000000, -1000000000000001])' },
  { name: 'text that reads as an integer', keyTypes: ['text'], rows: `SELECT unnest(ARRAY['007', '-12', '-0', '12345678901234567890123', '-98765432109876543210', '12a', '+5', ' 5', '5 '])` },
  { name: 'text beyond ASCII', keyTypes: ['text'], rows: `SELECT unnest(ARRAY['a', 'é', '日本', '😀x', 'quote''s', 'back\\slash', 'tab\tin', '', ' lead', '1:2'])` },
  { name: 'numeric with trailing zeros', keyTypes: ['numeric'], rows: 'SELECT unnest(ARRAY[1.50, 2.000, 0.00, -3.10, 100, 12345678901234567890.1230, -7.0, 123456789012345678901234567890]::numeric[])' },
  { name: 'double precision with -0', keyTypes: ['double precision'], rows: `SELECT unnest(ARRAY['-0', '1.5', '1e300', '-2.25', 'NaN', 'Infinity', '5', '-17', '123456789012345']::float8[])` },
  { name: 'timestamptz', keyTypes: ['timestamp with time zone'], rows: `SELECT t FROM generate_series('2024-01-01 00:00+05'::timestamptz, '2024-01-03', '7 hours') AS t` },
  { name: 'composite (text, integer)', keyTypes: ['text', 'integer'], rows: `SELECT s, i FROM unnest(ARRAY['a', 'ab', 'é', '1']) AS s, generate_series(1, 12) AS i` },
  { name: 'composite (numeric, text)', keyTypes: ['numeric', 'text'], rows: `SELECT n, s FROM unnest(ARRAY[1.50, 1.5, 7.000]::numeric[]) AS n, unnest(ARRAY['x', '12', '😀']) AS s` },
];

describe('the server computes the SDK partition of every key', () => {
  it.each(cases)('$name', async ({ name, keyTypes, rows }) => {
    const url = await createDatabase(server, `kp_${name.replace(/\W+/g, '_')}`);
    const columns = keyTypes.map((type, index) => ({ name: `k${index}`, type }));
    const shape: TableShape = { table: { schema: 'public', name: 't' }, columns, key: columns, keySource: 'primary key' };
    await withClient(url, async (client) => {
      for (const [setting, value] of Object.entries(TEXT_STABLE_SETTINGS)) await client.query(`SELECT set_config($1, $2, false)`, [setting, value]);
      // no primary key: the numeric case holds 1.50 and 1.5, one key value spelled twice
      await client.query(`CREATE TABLE t (${columns.map((column) => `${column.name} ${column.type}`).join(', ')})`);
      await client.query(`INSERT INTO t ${rows}`);
      const makeKey = keyMaker(keyTypes);
      let seen = 0;
      const partitionsUsed = new Set<number>();
      for (let index = 0; index < COUNT; index++) {
        const found = await client.query<string[]>({ text: `SELECT ${columns.map((c) => `${c.name}::text`).join(', ')} FROM t WHERE ${partitionCondition(shape, index, COUNT)}`, rowMode: 'array' });
        for (const row of found.rows) {
          const key = makeKey(row);
          expect(keyPartition(key, columns.length, COUNT), `key ${JSON.stringify(row)}`).toBe(index);
          partitionsUsed.add(index);
        }
        seen += found.rowCount ?? 0;
      }
      // every row is in exactly one partition
      const total = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM t')).rows[0]!.n);
      expect(seen).toBe(total);
      if (total >= 50) expect(partitionsUsed.size).toBe(COUNT);
    });
  });

  it('puts every key in partition 0 of 1', () => {
    expect(keyPartition('42', 1, 1)).toBe(0);
  });
});
