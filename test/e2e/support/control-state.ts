/**
 * Snapshots for "nothing changed" checks: every row of every table of the control database's bucardo
 * schema (what every `bucardo list` is made from, checkpoints and run history), and every user-visible
 * relation, trigger and function of a replicated database, with a fingerprint of every user table's rows.
 */
import pg from 'pg';
import { withClient } from '../../src/helpers/databases.js';

/** A connection URL, or a config object (for database names a URL cannot carry, such as ones with ";"). */
export type Connection = string | pg.ClientConfig;

async function withConnection<T>(connection: Connection, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  if (typeof connection === 'string') return withClient(connection, fn);
  const client = new pg.Client(connection);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Every row of every bucardo.* table of a control database, as JSON, tables by name. */
export async function controlState(url: string): Promise<Record<string, unknown>> {
  return withClient(url, async (c) => {
    const out: Record<string, unknown> = {};
    const tables = await c.query<{ name: string }>("SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'bucardo' ORDER BY 1");
    for (const { name } of tables.rows) {
      const { rows } = await c.query(`SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), '[]') AS rows FROM bucardo.${name} t`);
      out[name] = rows[0].rows;
    }
    return out;
  });
}

/**
 * The schemas, relations, triggers and functions of a database outside the catalogs, and for each ordinary
 * table outside the `bucardo` schema a fingerprint of its rows (`rows <table>: <count> <md5 of the sorted
 * rows>`), so that a command that wrote, changed or deleted a row shows up.
 */
export async function databaseObjects(connection: Connection): Promise<string[]> {
  return withConnection(connection, async (c) => {
    const { rows } = await c.query<{ item: string }>(`
      SELECT 'schema ' || nspname AS item FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
      UNION ALL
      SELECT c.relkind::text || ' ' || n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
      UNION ALL
      SELECT 'trigger ' || tgname || ' on ' || tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal
      UNION ALL
      SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
      ORDER BY 1`);
    const tables = await c.query<{ name: string }>(`
      SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind = 'r' AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname NOT IN ('information_schema', 'bucardo')
       ORDER BY 1`);
    const fingerprints: string[] = [];
    for (const { name } of tables.rows) {
      const { rows: [row] } = await c.query<{ fingerprint: string }>(
        `SELECT count(*) || ' ' || md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) AS fingerprint FROM ${name} t`);
      fingerprints.push(`rows ${name}: ${row!.fingerprint}`);
    }
    return [...rows.map((row) => row.item), ...fingerprints];
  });
}
