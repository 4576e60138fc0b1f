import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/e2e/**/*.test.ts',
      'plugins/*/test/**/*.test.ts',
      'core/test/**/*.test.ts',
      'plugin-sdk/test/**/*.test.ts',
      'cli/test/**/*.test.ts',
      // the example third-party plugin is not a workspace; its tests run with everything else
      'examples/*/test/**/*.test.ts',
    ],
    // one PostgreSQL server for the whole run; tests read it with inject('pg')
    globalSetup: ['./test/src/fixtures/global-setup.ts'],
    // real databases, real daemons: a slow shared 2-core machine needs room
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    // child processes, not threads: tests spawn the CLI and hold pg connections and native handles
    pool: 'forks',
    // the machines have 2 cores, and PostgreSQL needs one of them
    maxWorkers: 2,
    // .ci/run reads the JSON report to print the plain "N passed, N failed" line CI looks for
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-report.json' },
  },
});
