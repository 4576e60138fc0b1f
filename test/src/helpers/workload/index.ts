/**
 * The pgbench workload for tests and benchmarks: the real pgbench when installed, else the built-in
 * replacement. BUCARDO_TEST_BUILTIN_PGBENCH=1 forces the built-in one (to test it, or for determinism:
 * both are seeded, but only the built-in one is the same program on every machine).
 */
import { findPgbench, pgbenchInit, pgbenchRun } from './pgbench.js';
import { initPgbench, runTpcb, type InitOptions, type RunOptions, type RunResult } from './tpcb.js';

export { findPgbench, pgbenchInit, pgbenchRun, initPgbench, runTpcb };
export type { InitOptions, RunOptions, RunResult };

export interface Workload {
  kind: 'pgbench' | 'builtin';
  init(url: string, options?: InitOptions): Promise<void>;
  run(url: string, options: RunOptions): Promise<RunResult>;
}

export function chooseWorkload(): Workload {
  if (process.env.BUCARDO_TEST_BUILTIN_PGBENCH !== '1' && findPgbench()) {
    return { kind: 'pgbench', init: pgbenchInit, run: pgbenchRun };
  }
  return { kind: 'builtin', init: initPgbench, run: runTpcb };
}

export const workload: Workload = chooseWorkload();
