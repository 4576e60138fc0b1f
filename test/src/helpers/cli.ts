/**
 * Runs the real `bucardo` command (cli/bin/bucardo.js) in a child process, the way a user would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PgConnectionInfo } from '../fixtures/pg-server.js';

/** The repository root: this file is test/src/helpers/cli.ts, or test/dist/helpers/cli.js once built. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const bucardoBin = path.join(repoRoot, 'cli', 'bin', 'bucardo.js');

export interface CliResult {
  /** The exit code; null when the process was killed (by the timeout, or a signal). */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface CliOptions {
  /** Added over this process's environment; a variable set to undefined is removed. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
  /** Given the process once it is started, for a signal a user would send it (Ctrl-C). */
  started?: (child: ChildProcess) => void;
}

/** The environment that points the CLI at a server and a control database, as libpq's variables do. */
export function bucardoEnv(server: PgConnectionInfo, controlDb: string): Record<string, string> {
  return {
    PGHOST: server.host,
    PGPORT: String(server.port),
    PGUSER: server.user,
    PGPASSWORD: server.password,
    BUCARDO_CONTROL_DB: controlDb,
  };
}

/**
 * Runs `bucardo ...args` and resolves with its exit code and output; a non-zero exit is a result to
 * assert on, never a thrown error.
 */
export function runBucardo(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return runProcess(process.execPath, [bucardoBin, ...args], options);
}

/**
 * Runs `bucardo ...args` with its stdout and stderr on a terminal (a pseudo-terminal made by util-linux
 * `script`), for what the CLI draws only there. Both streams come back in `stdout`, as a terminal shows
 * them, with the terminal's `\r\n` line ends.
 */
export function runBucardoOnTerminal(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, bucardoBin, ...args].map(quote).join(' ');
  return runProcess('script', ['--quiet', '--return', '--command', command, '/dev/null'], options);
}

function runProcess(file: string, args: readonly string[], options: CliOptions): Promise<CliResult> {
  const { env = {}, cwd = repoRoot, timeoutMs = 60_000 } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd,
      // NO_COLOR: assertions on output must not depend on whether colours were on
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    options.started?.(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err); // node itself could not be started: a broken test machine, not a CLI result
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}
