/**
 * The benchmark's capture overhead in instructions (`npm run bench -- --only instructions`): the fixed
 * TPC-B script, and a real count under valgrind on a small run, where capture must cost instructions.
 */
import { describe, expect, it } from 'vitest';
import { captureInstructions, countInstructions, hasValgrind, tpcbScript } from '../src/bench/capture-instructions.js';
import { embeddedPostgresBinary } from '../src/fixtures/embedded-binaries.js';
import { startEmbeddedPostgres } from '../src/fixtures/embedded-postgres.js';
import { createDatabase } from '../src/helpers/databases.js';
import { findProgram } from '../src/helpers/process.js';

describe('the capture overhead in instructions', () => {
  it('runs the same TPC-B transactions on every run: seven statements each, on scale 1 accounts and tellers', () => {
    const script = tpcbScript(50);
    expect(tpcbScript(50)).toBe(script);
    const lines = script.trimEnd().split('\n');
    expect(lines).toHaveLength(50 * 7);
    expect(lines.filter((line) => line === 'BEGIN')).toHaveLength(50);
    expect(lines.filter((line) => line === 'END')).toHaveLength(50);
    for (const line of lines.filter((text) => text.startsWith('UPDATE pgbench_accounts'))) {
      const aid = Number(/WHERE aid = (\d+)$/.exec(line)![1]);
      expect(aid).toBeGreaterThanOrEqual(1);
      expect(aid).toBeLessThanOrEqual(100000);
    }
    // the tellers written are spread over the ten, not one
    expect(new Set(lines.filter((line) => line.startsWith('UPDATE pgbench_tellers')).map((line) => /tid = (\d+)$/.exec(line)![1])).size).toBe(10);
  });

  it('counts a transaction on a database with capture as more instructions than without', async () => {
    const counted = await captureInstructions([], 20);
    expect(counted.plain).toBeGreaterThan(100_000);
    // three delta rows a transaction, each an AFTER ROW trigger and an insert
    expect(counted.captured).toBeGreaterThan(counted.plain * 1.1);
    expect(counted.peers).toEqual([]);
  }, 240_000);

  it('refuses to count a script that failed in the database, naming the database and the error', async () => {
    expect(hasValgrind()).toBe(true);
    const server = await startEmbeddedPostgres();
    try {
      await createDatabase(server, 'no_pgbench');
      await server.halt();
      // single-user mode reports a failed statement and goes on to exit 0: a count of it would look valid
      await expect(countInstructions(findProgram('valgrind')!, await embeddedPostgresBinary(), server.dataDir, 'no_pgbench', tpcbScript(1)))
        .rejects.toThrow(/^The instruction count's script failed in database no_pgbench: ERROR: +relation "pgbench_accounts" does not exist/);
    } finally {
      await server.stop();
    }
  }, 120_000);
});
