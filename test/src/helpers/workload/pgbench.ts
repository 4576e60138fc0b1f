/**
 * The real pgbench binary, when one is installed: the workload that Bucardo's own benchmarks use.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runProgram } from '../process.js';
import type { InitOptions, RunOptions, RunResult } from './tpcb.js';

const DEBIAN_ROOT = '/usr/lib/postgresql';

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * A path to pgbench, or undefined. The newest /usr/lib/postgresql/<v>/bin comes before PATH because on
 * Debian PATH holds only pg_wrapper, a perl script that picks a version by its own rules.
 */
export function findPgbench(): string | undefined {
  return findPgProgram('pgbench');
}

/** A path to one of PostgreSQL's client programs (`pgbench`, `psql`), looked for as pgbench is; or undefined. */
export function findPgProgram(name: string): string | undefined {
  const candidates: string[] = [];
  if (process.env.PG_BINDIR) candidates.push(path.join(process.env.PG_BINDIR, name));
  try {
    const versions = fs.readdirSync(DEBIAN_ROOT).sort((a, b) => parseFloat(b) - parseFloat(a));
    candidates.push(...versions.map((v) => path.join(DEBIAN_ROOT, v, 'bin', name)));
  } catch {
    // not Debian-style
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir) candidates.push(path.join(dir, name));
  return candidates.find(isExecutable);
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
