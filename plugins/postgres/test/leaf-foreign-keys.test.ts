/**
 * The readers of foreign keys besides `foreignKeys` follow its rule for partitioned tables (a key declared
 * on a partitioned table binds each of its leaves, one pointing at a partitioned table points at each of
 * its leaves): which tables a foreign key points at (written in place), the order of their held deletes
 * (children first: no catalog row joins two leaves, so the order was the herd's, parents first), and the
 * UPDATE a role needs on them. Partitioned customers and orders, orders' key to customers declared on the
 * parents, items (a plain table) pointing at the partitioned orders.
 */
import { describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { createDatabase, dropDatabase, serverFromInfo, uniqueName } from '@bucardo/test';
import type { TableShape } from '@bucardo/plugin-sdk';
import { ReferencedTables } from '../src/referenced-tables.js';
import { missingWritePrivileges } from '../src/write-privileges.js';

const server = serverFromInfo(inject('pg'));
const shape = (name: string): TableShape => ({ table: { schema: 'public', name }, columns: [], key: [], keySource: 'primary key' });

const SCHEMA = `
  CREATE TABLE cust (id int PRIMARY KEY) PARTITION BY RANGE (id);
  CREATE TABLE cust_a PARTITION OF cust FOR VALUES FROM (0) TO (100);
  CREATE TABLE cust_b PARTITION OF cust FOR VALUES FROM (100) TO (200);
  CREATE TABLE ord (id int PRIMARY KEY, cid int REFERENCES cust) PARTITION BY RANGE (id);
  CREATE TABLE ord_a PARTITION OF ord FOR VALUES FROM (0) TO (100);
  CREATE TABLE ord_b PARTITION OF ord FOR VALUES FROM (100) TO (200) PARTITION BY RANGE (id);
  CREATE TABLE ord_b1 PARTITION OF ord_b FOR VALUES FROM (100) TO (200);
  CREATE TABLE item (id int PRIMARY KEY, oid int REFERENCES ord);
  CREATE TABLE lone (id int PRIMARY KEY)`;

async function withSchema(run: (client: pg.Client) => Promise<void>): Promise<void> {
  const db = uniqueName('leaffk');
  const url = await createDatabase(server, db);
  try {
    // every value as text, as on the plugin's sessions
    const client = new pg.Client({ connectionString: url, types: { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig });
    await client.connect();
    try {
      await client.query(SCHEMA);
      await run(client);
    } finally {
      await client.end();
    }
  } finally {
    await dropDatabase(server, db);
  }
}

describe('foreign keys of partitioned tables, as every reader sees them', () => {
  it('ReferencedTables: the leaves a key points at through their parent are referenced, and their held deletes go children first', async () => {
    await withSchema(async (client) => {
      const referenced = new ReferencedTables();
      const found: Record<string, boolean> = {};
      for (const name of ['cust_a', 'cust_b', 'ord_a', 'ord_b1', 'item', 'lone']) found[name] = await referenced.has(client, shape(name));
      expect(found).toEqual({ cust_a: true, cust_b: true, ord_a: true, ord_b1: true, item: false, lone: false });
      const order = await referenced.deleteOrder(client, ['cust_a', 'ord_a', 'cust_b', 'ord_b1'].map(shape));
      expect(order.map((s) => s.table.name)).toEqual(['ord_a', 'ord_b1', 'cust_a', 'cust_b']);
    });
  });

  it('missingWritePrivileges: UPDATE for a leaf a key points at through its parent, not for one nothing points at', async () => {
    await withSchema(async (client) => {
      const role = uniqueName('leaffk_role');
      await client.query(`CREATE ROLE ${role}; GRANT SELECT, INSERT, DELETE ON cust_a, ord_b1, item, lone TO ${role}; SET ROLE ${role}`);
      try {
        const { missing } = await missingWritePrivileges(client, ['cust_a', 'ord_b1', 'item', 'lone'].map(shape));
        expect(missing).toEqual([['UPDATE'], ['UPDATE'], [], []]);
      } finally {
        await client.query(`RESET ROLE; DROP OWNED BY ${role}; DROP ROLE ${role}`);
      }
    });
  });
});
