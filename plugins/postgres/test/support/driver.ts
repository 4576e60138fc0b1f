import { silentLogger, type Checkpoint, type DatabaseDriver, type DatabaseSpec, type PluginHost, type SourceSession, type TableShape, type TextValue } from '@bucardo/plugin-sdk';
import { postgresDdl } from '@bucardo/plugin-sdk/testing';
import { createDatabase, dropDatabase, withClient, type PgServer } from '@bucardo/test';
import { postgres, type PostgresOptions } from '../../src/index.js';

/** The database driver the plugin registers (with `options`), taken from a host that only records it. */
export function registeredDriver(options?: PostgresOptions): DatabaseDriver {
  let driver: DatabaseDriver | undefined;
  void postgres(options).apply({ registerDatabase: (d: DatabaseDriver) => { driver = d; } } as unknown as PluginHost);
  return driver!;
}

/** A fresh database for one scenario of a conformance kit, holding the kit's tables; `spec` registers it as `name`. */
export async function kitDatabase(server: PgServer, id: string, tables: readonly TableShape[], name: string): Promise<{ url: string; spec: DatabaseSpec; dispose(): Promise<void> }> {
  const url = await createDatabase(server, id);
  await withClient(url, (client) => client.query(postgresDdl(tables)));
  return { url, spec: { name, type: 'postgres', params: registeredDriver().normalizeParams({ url }) }, dispose: () => dropDatabase(server, id) };
}

/**
 * The kit database as a source of the sync too (a receiving source): `guard` captures it as a run's
 * capture does (capture installed on the kit's tables the first time) and gives the checkpoint the core
 * would pass as `ApplyBatch.guard`; `writeLocally` writes rows as a user would, in a committed
 * transaction of its own, which the capture records.
 */
export function receivingSource(url: string, spec: DatabaseSpec, tables: readonly TableShape[]) {
  let session: SourceSession | undefined;
  let since: Checkpoint | undefined;
  return {
    async guard(): Promise<Checkpoint> {
      session ??= await registeredDriver().source!.open(spec, { log: silentLogger, label: 'conformance guard' });
      since = since === undefined
        ? await session.installCapture(tables)
        : (await session.capture({ tables, since, signal: new AbortController().signal })).checkpoint;
      return since;
    },
    writeLocally: (shape: TableShape, rows: readonly (readonly TextValue[])[]) => withClient(url, async (client) => {
      const table = `${client.escapeIdentifier(shape.table.schema)}.${client.escapeIdentifier(shape.table.name)}`;
      const keyAt = shape.key.map((key) => shape.columns.findIndex((column) => column.name === key.name));
      await client.query('BEGIN');
      for (const row of rows) {
        const keyTest = shape.key.map((key, i) => `${client.escapeIdentifier(key.name)} = $${i + 1}::${key.type}`).join(' AND ');
        await client.query(`DELETE FROM ${table} WHERE ${keyTest}`, keyAt.map((index) => row[index]));
        const values = shape.columns.map((column, i) => `$${i + 1}::${column.type}`).join(', ');
        await client.query(`INSERT INTO ${table} (${shape.columns.map((column) => client.escapeIdentifier(column.name)).join(', ')}) VALUES (${values})`, [...row]);
      }
      await client.query('COMMIT');
    }),
    close: async () => { await session?.close(); },
  };
}
