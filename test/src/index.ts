/**
 * @bucardo/test: the PostgreSQL fixture and test helpers, for this package's e2e tests and for the
 * other packages' tests (plugins/<name>/test, core/test, ...), which share the run's one server.
 */
export { startPostgres, serverFromInfo, serverFromUrl, connectionUrl } from './fixtures/pg-server.js';
export type { PgServer, PgConnectionInfo, PgSource } from './fixtures/pg-server.js';
export { createDatabase, dropDatabase, uniqueName, withClient, tableFingerprint, assertConverged } from './helpers/databases.js';
export type { DatabaseServer, TableKeys, Fingerprints } from './helpers/databases.js';
export { controlOn, dbParamsOn } from './helpers/connection-specs.js';
export { runBucardo, bucardoEnv, bucardoBin, repoRoot } from './helpers/cli.js';
export type { CliOptions, CliResult } from './helpers/cli.js';
export { workload, chooseWorkload, findPgbench, pgbenchInit, pgbenchRun, initPgbench, runTpcb } from './helpers/workload/index.js';
export type { Workload, InitOptions, RunOptions, RunResult } from './helpers/workload/index.js';
import './fixtures/provided-context.js';
