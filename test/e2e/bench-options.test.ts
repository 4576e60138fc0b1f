/**
 * `npm run bench`'s command line, run as a process (the built `test/dist/bench/bench.js`, as `npm run bench`
 * runs it): `--help` prints the usage; a bad option is refused before any server starts, naming the option,
 * with exit code 2 and the usage, where a misspelt scenario used to run nothing and save an empty result.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SCENARIOS, parseBenchOptions } from '../src/bench/bench-options.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bench = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'test/dist/bench/bench.js'), ...args], { encoding: 'utf8', timeout: 30_000 });
const results = () => readdirSync(path.join(root, 'bench/results')).sort();

describe('the benchmark\'s command line', () => {
  it('--help prints the usage with every scenario, and runs nothing', () => {
    const before = results();
    const run = bench('--help');
    expect({ code: run.status, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^Usage: npm run bench \[-- OPTIONS\]\n/);
    expect(run.stdout).toContain(`one scenario: ${SCENARIOS.join(', ')}`);
    expect(results()).toEqual(before);
  });

  it.each([
    [['--only', 'bogus'], '--only names no scenario: bogus (one of seed, capture, instructions, backlog, tables, latency)'],
    [['--backlog-rows', '0'], '--backlog-rows must be a whole number above 0, not 0'],
    [['--partition-size', '1.5'], '--partition-size must be a whole number above 0, not 1.5'],
    [['--peer', '/nonexistent/bucardo-seed-demo.sh'], '--peer names no file: /nonexistent/bucardo-seed-demo.sh'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['seed'], "Unexpected argument 'seed'"],
  ])('%j is refused with exit code 2, the reason and the usage, before any server starts', (args, reason) => {
    const before = results();
    const run = bench(...args);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')[0]).toContain(reason);
    expect(run.stderr).toContain('\n\nUsage: npm run bench [-- OPTIONS]\n');
    expect(run.stderr).not.toMatch(/PostgreSQL|Benchmark failed/);
    expect(results()).toEqual(before);
  });

  it('reads the options a run takes', () => {
    expect(parseBenchOptions([])).toEqual({ quick: false });
    expect(parseBenchOptions(['--only', 'backlog', '--backlog-rows', '3000000', '--partition-size', '2000000', '--quick']))
      .toEqual({ quick: true, only: 'backlog', backlogRows: 3_000_000, partitionSize: 2_000_000 });
    expect(parseBenchOptions(['--peer', fileURLToPath(import.meta.url)])).toEqual({ quick: false, peer: fileURLToPath(import.meta.url) });
  });
});
