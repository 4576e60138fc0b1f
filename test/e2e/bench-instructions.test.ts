/**
 * The benchmark's capture overhead in instructions (`npm run bench -- --only instructions`): the fixed
 * TPC-B script, and a real count under valgrind on a small run, where capture must cost instructions; and
 * the rows a sync writes into a source, which cost less with applyAsReplica.
 */
import { describe, expect, it } from 'vitest';
import { applyScript, captureInstructions, countInstructions, fetchScript, hasValgrind, refreshScript, tpcbScript } from '../src/bench/capture-instructions.js';
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

  it('counts a transaction on a database with capture as more instructions than without; and a row written into a source as more than with applyAsReplica', async () => {
    const counted = await captureInstructions([], 20, 200);
    expect(counted.plain).toBeGreaterThan(100_000);
    // three delta rows a transaction, each an AFTER ROW trigger and an insert
    expect(counted.captured).toBeGreaterThan(counted.plain * 1.1);
    expect(counted.peers).toEqual([]);
    const applied = counted.applyPerRow;
    expect(applied.withoutCapture).toBeGreaterThan(10_000);
    // the triggers' WHEN runs for the DELETE and for the COPY of each row; as a replica it does not
    expect(applied.intoSource).toBeGreaterThan(applied.intoSourceAsReplica * 1.1);
    expect(applied.intoSourceAsReplica).toBeLessThan(applied.withoutCapture * 1.1);
    // reading a row image by key is cheaper than deleting and writing it
    expect(applied.fetched).toBeGreaterThan(1_000);
    expect(applied.fetched).toBeLessThan(applied.withoutCapture);
    // a row into an emptied table and index costs well under a delete and re-insert beside the deleted row
    expect(applied.copiedWhole).toBeGreaterThan(1_000);
    expect(applied.copiedWhole).toBeLessThan(applied.withoutCapture * 0.8);
  }, 300_000);

  it('writes the apply as the postgres target does (the guard, DELETE of the keys, COPY of their images), a table copied whole, and the fetch as the source does', () => {
    expect(applyScript(3, 'setting', '/x/rows.tsv').split('\n')).toEqual([
      'BEGIN',
      "SELECT set_config('bucardo.replicating', 'on', true)",
      'PREPARE bucardo_delete(text[]) AS DELETE FROM ONLY pgbench_accounts WHERE aid OPERATOR("pg_catalog".=) ANY((SELECT $1::text[]::integer[])::integer[])',
      `EXECUTE bucardo_delete('{"1","2","3"}')`,
      "COPY pgbench_accounts (aid, bid, abalance, filler) FROM '/x/rows.tsv'",
      'COMMIT',
      '',
    ]);
    expect(applyScript(3, 'replica', '/x/rows.tsv').split('\n')[1]).toBe('SET LOCAL session_replication_role = replica');
    expect(applyScript(1, 'setting', "/tmp/o'k/rows.tsv")).toContain("FROM '/tmp/o''k/rows.tsv'");
    expect(refreshScript('/x/rows.tsv').split('\n')).toEqual([
      'BEGIN',
      "SELECT set_config('bucardo.replicating', 'on', true)",
      'TRUNCATE ONLY pgbench_accounts',
      "COPY pgbench_accounts (aid, bid, abalance, filler) FROM '/x/rows.tsv'",
      'COMMIT',
      '',
    ]);
    expect(fetchScript(2)).toBe(`COPY (SELECT aid, bid, abalance, filler FROM ONLY pgbench_accounts WHERE aid OPERATOR("pg_catalog".=) ANY((SELECT '{"1","2"}'::text[]::integer[])::integer[]) ORDER BY aid) TO '/dev/null'\n`);
  });

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
