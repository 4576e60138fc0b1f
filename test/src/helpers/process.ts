/**
 * Runs a program to its end, for the helpers and the benchmark that drive other tools (pgbench, psql, the
 * peer script, valgrind). The CLI under test has its own runner (`cli.ts`), which returns the exit code.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface RunProgramOptions {
  /** How the error names the program, e.g. `pgbench -i` or `The peer script …`. */
  readonly what: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Written to the program's stdin, which is then closed; without it stdin is /dev/null. */
  readonly input?: string;
}

/** Resolves with what the program printed (stdout and stderr as they came), or fails with its exit code and the end of it. */
export function runProgram(command: string, args: readonly string[], options: RunProgramOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.on('error', reject);
    child.on('close', (code) => code === 0
      ? resolve(output)
      : reject(new Error(`${options.what} exited with ${code}; its output ended with:\n${lastLines(output)}`)));
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

/** The last 15 lines of a program's output, for error messages. */
export function lastLines(output: string): string {
  return output.trim().split('\n').slice(-15).join('\n');
}

/** The first executable file `name` in `dirs` (PATH's directories when none are given), or undefined. */
export function findProgram(name: string, dirs: readonly string[] = (process.env.PATH ?? '').split(path.delimiter)): string | undefined {
  return dirs.filter((dir) => dir !== '').map((dir) => path.join(dir, name)).find(isExecutable);
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
