/**
 * The benchmark's capture overhead in instructions (`npm run bench -- --only instructions`): the fixed
 * TPC-B script, and a real count under valgrind on a small run, where capture must cost instructions.
 */
import { describe, expect, it } from 'vitest';
import { captureInstructions, tpcbScript } from '../src/bench/capture-instructions.js';

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
});
