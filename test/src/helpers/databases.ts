/**
 * Per-test databases on the shared server, and table fingerprints for convergence checks.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** What these helpers need of a server: PgServer and serverFromInfo(inject('pg')) both fit. */
export interface DatabaseServer {
  url(db?: string): string;
}

let counter = 0;

/**
 * A database name unique across parallel test files and runs: lower case (no quoting surprises in SQL or
 * on the bucardo command line) and within PostgreSQL's 63-byte identifier limit.
 */
export function uniqueName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 30);
  counter += 1;
  return `${clean}_${process.pid.toString(36)}${counter.toString(36)}_${randomBytes(4).toString('hex')}`;
}

export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates database `name` (optionally as a copy of `template`) and returns its URL. */
export async function createDatabase(
  server: DatabaseServer,
  name: string,
  options: { template?: string } = {},
): Promise<string> {
  await withClient(server.url(), async (c) => {
    let sql = `CREATE DATABASE ${c.escapeIdentifier(name)}`;
    if (options.template !== undefined) sql += ` TEMPLATE ${c.escapeIdentifier(options.template)}`;
    // FILE_COPY (PostgreSQL 15+) makes a test-sized database in tens of ms; the default WAL_LOG strategy
    // writes every block of the template through WAL and takes several times longer
    const { rows } = await c.query<{ v: number }>(`SELECT current_setting('server_version_num')::int AS v`);
    if ((rows[0]?.v ?? 0) >= 150000) sql += ' STRATEGY FILE_COPY';
    await c.query(sql);
  });
  return server.url(name);
}

/** Drops database `name`, closing any sessions still connected to it (a daemon that outlived its test). */
export async function dropDatabase(server: DatabaseServer, name: string): Promise<void> {
  await withClient(server.url(), (c) => c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`));
}

/** `schema.table` or `table`, each part quoted; names that contain a dot are not supported. */
function quoteQualified(c: pg.Client, name: string): string {
  return name.split('.').map((part) => c.escapeIdentifier(part)).join('.');
}

interface Digest {
  rows: number;
  md5: string;
}

/**
 * An md5 of the whole table's contents in key order: equal fingerprints on two databases mean equal
 * tables. Without `orderBy` rows are ordered by their text form, which also works for tables without a
 * key (pgbench_history).
 */
export async function tableFingerprint(url: string, table: string, orderBy?: string | string[]): Promise<string> {
  const digest = (await digestTables(url, { [table]: orderBy })).get(table);
  if (!digest) throw new Error(`no fingerprint for ${table}`);
  return digest.md5;
}

/** One connection per database, one query per table. */
function digestTables(url: string, tables: TableKeys): Promise<Map<string, Digest>> {
  return withClient(url, async (c) => {
    const out = new Map<string, Digest>();
    for (const [table, orderBy] of Object.entries(tables)) {
      const keys = orderBy === undefined ? [] : Array.isArray(orderBy) ? orderBy : [orderBy];
      const order = keys.length ? keys.map((k) => `t.${c.escapeIdentifier(k)}`).join(', ') : 't::text';
      // hashing each row first keeps the aggregate at 32 bytes a row, far from string_agg's 1 GB limit
      const { rows } = await c.query<{ rows: string; md5: string }>(
        `SELECT count(*) AS rows, md5(coalesce(string_agg(md5(t::text), '' ORDER BY ${order}), '')) AS md5
           FROM ${quoteQualified(c, table)} AS t`,
      );
      const row = rows[0];
      if (row) out.set(table, { rows: Number(row.rows), md5: row.md5 });
    }
    return out;
  });
}

/** Table name -> ordering key column(s); `undefined` orders by the whole row. */
export type TableKeys = Record<string, string | string[] | undefined>;

/** Per database URL, per table: the table's fingerprint. */
export type Fingerprints = Record<string, Record<string, string>>;

/**
 * Fingerprints every table on every database and throws, listing the differing tables with their row
 * counts, unless all databases hold the same contents. Returns the fingerprints.
 */
export async function assertConverged(urls: string[], tables: TableKeys): Promise<Fingerprints> {
  const digests = new Map<string, Map<string, Digest>>();
  for (const url of urls) digests.set(url, await digestTables(url, tables));
  const differing = Object.keys(tables).filter(
    (table) => new Set(urls.map((url) => digests.get(url)?.get(table)?.md5)).size > 1,
  );
  if (differing.length) {
    const detail = differing.map((table) => {
      const lines = urls.map((url) => {
        const d = digests.get(url)?.get(table);
        return `  ${redact(url)}: ${d?.rows} rows, md5 ${d?.md5}`;
      });
      return `${table}:\n${lines.join('\n')}`;
    });
    throw new Error(`databases have not converged on ${differing.join(', ')}\n${detail.join('\n')}`);
  }
  const result: Fingerprints = {};
  for (const [url, perTable] of digests) {
    result[url] = Object.fromEntries([...perTable].map(([table, d]) => [table, d.md5]));
  }
  return result;
}

/** URLs in error messages without their password. */
function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/**
 * Whether the server asks this client for a password (scram, md5 or password in the first host rule of
 * pg_hba.conf that covers every database and user): password tests make sense only then. False when the
 * rules cannot be read (pg_hba_file_rules needs a superuser).
 */
export async function serverAsksPassword(server: DatabaseServer): Promise<boolean> {
  try {
    const rules = await withClient(server.url('postgres'), (c) => c.query<{ type: string; database: string[]; user_name: string[]; auth_method: string }>(
      'SELECT type, database, user_name, auth_method FROM pg_hba_file_rules WHERE error IS NULL ORDER BY rule_number'));
    const method = rules.rows.find((rule) => rule.type.startsWith('host') && rule.database.includes('all') && rule.user_name.includes('all'))?.auth_method;
    return method !== undefined && ['scram-sha-256', 'md5', 'password'].includes(method);
  } catch {
    return false;
  }
}
