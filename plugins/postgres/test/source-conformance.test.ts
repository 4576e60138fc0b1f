/**
 * The SDK's source conformance kit against the PostgreSQL source, on the test run's real server: each
 * scenario gets a fresh database with the kit's tables; the kit's changes are made as SQL
 * (`postgresWriteSql`) in transactions of their own, one of them left open until the kit commits it.
 */
import pg from 'pg';
import { inject } from 'vitest';
import { describeSourceConformance, postgresWriteSql } from '@bucardo/plugin-sdk/testing';
import { serverFromInfo, withClient } from '@bucardo/test';
import { kitDatabase, registeredDriver } from './support/driver.js';

const server = serverFromInfo(inject('pg'));
const driver = registeredDriver();

describeSourceConformance('postgres', async ({ id, tables }) => {
  const { url, spec, dispose } = await kitDatabase(server, id, tables, 'src1');
  return {
    driver: driver.source!,
    spec,
    write: (writes) => withClient(url, (client) => client.query(`BEGIN; ${postgresWriteSql(writes)} COMMIT;`)).then(() => undefined),
    async writeOpen(writes) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`BEGIN; ${postgresWriteSql(writes)}`);
      return { commit: async () => { await client.query('COMMIT'); await client.end(); } };
    },
    dispose,
  };
});
