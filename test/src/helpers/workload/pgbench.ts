/**
 * The real pgbench binary, when one is installed: the workload that Bucardo's own benchmarks use.
 */
import fs from 'node:fs';
import path from 'node:path';
import { findProgram, runProgram } from '../process.js';
import type { InitOptions, RunOptions, RunResult } from './tpcb.js';

const DEBIAN_ROOT = '/usr/lib/postgresql';

/**
 * A path to pgbench, or undefined. The newest /usr/lib/postgresql/<v>/bin comes before PATH because on
 * Debian PATH holds only pg_wrapper, a perl script that picks a version by its own rules.
 */
export function findPgbench(): string | undefined {
  return findPgProgram('pgbench');
}

/** A path to one of PostgreSQL's client programs (`pgbench`, `psql`), looked for as pgbench is; or undefined. */
export function findPgProgram(name: string): string | undefined {
  const dirs: string[] = [];
  if (process.env.PG_BINDIR) dirs.push(process.env.PG_BINDIR);
  try {
    const versions = fs.readdirSync(DEBIAN_ROOT).sort((a, b) => parseFloat(b) - parseFloat(a));
    dirs.push(...versions.map((v) => path.join(DEBIAN_ROOT, v, 'bin')));
  } catch {
    // not Debian-style
  }
  return findProgram(name, dirs) ?? findProgram(name);
}

function requirePgbench(): string {
  const bin = findPgbench();
  if (!bin) throw new Error('pgbench is not installed (use the built-in workload in tpcb.ts)');
  return bin;
}

/** `pgbench -i -s scale -q <url>`: libpq takes the URL as the database name. */
export async function pgbenchInit(url: string, options: InitOptions = {}): Promise<void> {
  await runProgram(requirePgbench(), ['-i', '-q', '-s', String(options.scale ?? 1), url], { what: 'pgbench -i' });
}

/** `pgbench -n -t transactions -c clients`: -n because pgbench otherwise truncates pgbench_history. */
export async function pgbenchRun(url: string, options: RunOptions): Promise<RunResult> {
  const clients = options.clients ?? 1;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const args = ['-n', '-t', String(options.transactions), '-c', String(clients), '-j', String(Math.min(clients, 2))];
  const started = performance.now();
  await runProgram(requirePgbench(), [...args, `--random-seed=${seed}`, url], { what: 'pgbench' });
  return { transactions: options.transactions * clients, seconds: (performance.now() - started) / 1000, seed };
}
