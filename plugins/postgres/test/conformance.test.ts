/**
 * The SDK's target conformance kit against the PostgreSQL target, on the test run's real server: each
 * scenario gets a fresh database with the kit's tables, and reads them back as text in a Bucardo-like
 * session (UTC, ISO dates, hex bytea), which is exactly the text the kit wrote. Run twice: by default, and
 * with applyAsReplica.
 */
import { inject } from 'vitest';
import type { TableRef, TableShape } from '@bucardo/plugin-sdk';
import { describeTargetConformance, postgresAddColumnsDdl } from '@bucardo/plugin-sdk/testing';
import { serverFromInfo, withClient } from '@bucardo/test';
import { kitDatabase, receivingSource, registeredDriver } from './support/driver.js';

const server = serverFromInfo(inject('pg'));

const driver = registeredDriver();

/** Every row of a kit table (of `shape`, the table's shape now), each column as PostgreSQL's text output, in the settings Bucardo's sessions use. */
export async function readText(url: string, table: TableRef, shape: TableShape): Promise<Array<Array<string | null>>> {
  return withClient(url, async (client) => {
    await client.query(`SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET bytea_output = 'hex'; SET extra_float_digits = 3`);
    const columns = shape.columns.map((column) => `${client.escapeIdentifier(column.name)}::text`).join(', ');
    const result = await client.query<Array<string | null>>({
      text: `SELECT ${columns} FROM ${client.escapeIdentifier(table.schema)}.${client.escapeIdentifier(table.name)}`,
      rowMode: 'array',
    });
    return result.rows;
  });
}

describeTargetConformance('postgres', async ({ id, tables }) => {
  const { url, spec, dispose } = await kitDatabase(server, id, tables, 'pg1');
  // the database is a source of the sync too: the local-change guard scenario passes its capture's checkpoints
  const source = receivingSource(url, spec, tables);
  return {
    writer: driver.target!, spec, readBack: (table, shape) => readText(url, table, shape),
    reshape: (from, to) => withClient(url, (client) => client.query(postgresAddColumnsDdl(from, to))).then(() => undefined),
    guard: source.guard, writeLocally: source.writeLocally,
    dispose: async () => { await source.close(); await dispose(); },
  };
});

// The same contract when the writing sessions are replicas (session_replication_role; the test server's
// user is a superuser): only which triggers fire differs, not what is written.
const replicaDriver = registeredDriver({ applyAsReplica: true });

describeTargetConformance('postgres, applyAsReplica', async ({ id, tables }) => {
  const { url, spec, dispose } = await kitDatabase(server, id, tables, 'pg1');
  const source = receivingSource(url, spec, tables);
  return {
    writer: replicaDriver.target!, spec, readBack: (table, shape) => readText(url, table, shape),
    reshape: (from, to) => withClient(url, (client) => client.query(postgresAddColumnsDdl(from, to))).then(() => undefined),
    guard: source.guard, writeLocally: source.writeLocally,
    dispose: async () => { await source.close(); await dispose(); },
  };
});
