/**
 * The peer, side by side: the real Bucardo 5.6 on the same seed workload and the same machine, run by the
 * peer script the benchmark issue points to (`bucardo-seed-demo.sh N NSRC` in the project's shared bench
 * folder; it needs root, the Debian `bucardo` package and a PostgreSQL 15 cluster of its own). The issue
 * sets the seed target as a ratio to Bucardo measured this way, so figures from another day or machine
 * are never compared.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lastLines, runProgram } from '../helpers/process.js';

export interface PeerSeedResult {
  /** From the kick to the end of Bucardo's sync run (its `syncrun` row), in seconds. */
  readonly kickToDoneS: number;
  /** Bucardo's own sync run time (`ended - started`), in seconds. */
  readonly syncRunS: number;
  /** `bucardo kick foobar 0` with nothing to do, right after, in seconds. */
  readonly emptyKickS: number;
  readonly inserts: number;
  readonly deletes: number;
  readonly conflicts: number;
  /** pgbench on a copy without Bucardo's triggers, and the mean over the sources with them. */
  readonly tpsWithout: number;
  readonly tpsWith: number;
}

/** Runs the peer script once; fails naming the script, with the end of its output, unless all converged. */
export async function runBucardoPeer(script: string, transactions: number, sources: number): Promise<PeerSeedResult> {
  const results = mkdtempSync(path.join(os.tmpdir(), 'bucardo-peer-'));
  try {
    const output = await runPeerScript(script, [String(transactions), String(sources)], { RESULTS_DIR: results });
    const read = (file: string) => {
      try {
        return readFileSync(path.join(results, file), 'utf8');
      } catch {
        throw new Error(`The peer script ${script} wrote no ${file}; its output ended with:\n${lastLines(output)}`);
      }
    };
    return parsePeerResults(read('summary.txt'), read('pgbench_control.tsv'), read('pgbench_times.tsv'));
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
}

/** The script's summary line and its two pgbench tables (`name<TAB>seconds<TAB>tps`). */
export function parsePeerResults(summary: string, controlTsv: string, timesTsv: string): PeerSeedResult {
  const field = (name: string): number => {
    const match = new RegExp(`(?:^|\\s)${name}=([0-9.]+)(?:\\s|$)`).exec(summary);
    if (!match) throw new Error(`The peer's summary has no ${name}: ${summary.trim()}`);
    return Number(match[1]);
  };
  if (!/(?:^|\s)converged=yes(?:\s|$)/.test(summary)) throw new Error(`Bucardo did not converge in the peer run: ${summary.trim()}`);
  const tps = (tsv: string) => tsv.trim().split('\n').map((line) => Number(line.split('\t')[2]));
  const withTriggers = tps(timesTsv);
  const [without] = tps(controlTsv);
  if (without === undefined || !Number.isFinite(without) || withTriggers.length === 0 || withTriggers.some((value) => !Number.isFinite(value))) {
    throw new Error(`The peer's pgbench figures are unreadable:\n${controlTsv}${timesTsv}`);
  }
  return {
    kickToDoneS: field('kick_start_to_ended_s'),
    syncRunS: field('sync_run_s'),
    emptyKickS: field('empty_kick_wall_s'),
    inserts: field('I'),
    deletes: field('D'),
    conflicts: field('C'),
    tpsWithout: without,
    tpsWith: withTriggers.reduce((sum, value) => sum + value, 0) / withTriggers.length,
  };
}

/** Runs the peer script with `extraEnv`; resolves with its output, or fails with its exit code and output's end. */
export function runPeerScript(script: string, args: readonly string[], extraEnv: NodeJS.ProcessEnv): Promise<string> {
  return runProgram('bash', [script, ...args], { env: { ...peerEnv(), ...extraEnv }, what: `The peer script ${script} ${args.join(' ')}` });
}

/** This process's environment for the peer's commands. */
export function peerEnv(): NodeJS.ProcessEnv {
  // `npm run` puts node_modules/.bin first on PATH, and this project's CLI is called bucardo too
  const PATH = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => !dir.split(path.sep).includes('node_modules')).join(path.delimiter);
  return { ...process.env, PATH };
}
