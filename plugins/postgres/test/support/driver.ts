import type { DatabaseDriver, DatabaseSpec, PluginHost, TableShape } from '@bucardo/plugin-sdk';
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
