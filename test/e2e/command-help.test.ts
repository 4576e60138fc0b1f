/**
 * Help for one command, the `bucardo` command run as a process: `bucardo help COMMAND [NOUN]` and
 * `bucardo COMMAND [NOUN] --help` print that command's lines of the general help, the options it reads and
 * a pointer to the full help (exit 0), without reading a config or reaching any database; an unknown
 * command is an error naming it (exit 1); `bucardo --help` and `bucardo help` still print everything.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBucardo, type CliResult } from '../src/helpers/cli.js';

const cwd = mkdtempSync(path.join(os.tmpdir(), 'bd-help-'));
// nothing to connect to: help must not try
const env = { PGHOST: path.join(cwd, 'no-server'), PGPORT: '1', BUCARDO_PID_DIR: path.join(cwd, 'pid') };
const bucardo = (...args: string[]): Promise<CliResult> => runBucardo(args, { env, cwd });

afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** The lines a command help shows from the general help: those between its title and `Options:`. */
function commandLines(output: string): string[] {
  return output.slice(output.indexOf('\n') + 1, output.indexOf('\n\nOptions:')).split('\n');
}

describe('bucardo help COMMAND [NOUN] and COMMAND [NOUN] --help', () => {
  it('help kick, kick --help and kick SYNC 0 --help print the usage of kick, its options and exit codes, exit 0', async () => {
    const [help, flag, withArgs] = await Promise.all([bucardo('help', 'kick'), bucardo('kick', '--help'), bucardo('kick', 'mysync', '0', '--help')]);
    for (const r of [help, flag, withArgs]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
    }
    expect(flag.stdout).toBe(help.stdout);
    expect(withArgs.stdout).toBe(help.stdout);
    expect(help.stdout).toBe(`Usage of bucardo kick:
  kick SYNC… [TIMEOUT]                  queue a run; TIMEOUT 0 waits, N waits at most N seconds
  kick SYNC… TIMEOUT --retry N [--retry-sleep S]
                                        kick again, up to N times, while the run ends KILLED

Options:
  --config FILE        bucardo.config.ts to use (default: found from the current directory)
  --log-level LEVEL    warn, terse, normal, verbose or debug
  -d, --db-name NAME   control database (default: $BUCARDO_CONTROL_DB or "bucardo")
  -h, --db-host HOST   -p, --db-port PORT   -U, --db-user USER   -P, --db-pass PASS
  -q, --quiet          print nothing but errors
  --notimer            no live seconds while kick waits on a terminal

Connection settings not given fall back to PGHOST, PGPORT, PGUSER and PGPASSWORD.
Exit codes: 0 done, 1 timed out, 2 the run failed (KILLED!), 3 other error.
Every command and option: bucardo help
`);
  });

  it('help add sync, add sync --help and add_sync --help print the lines of add sync only', async () => {
    const results = await Promise.all([bucardo('help', 'add', 'sync'), bucardo('add', 'sync', '--help'), bucardo('add_sync', '--help'), bucardo('help', 'add_sync')]);
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(results[0]!.stdout);
    }
    const out = results[0]!.stdout;
    expect(out.split('\n')[0]).toBe('Usage of bucardo add sync:');
    expect(commandLines(out)).toEqual([
      '  add sync NAME herd=NAME dbs=DBGROUP [autokick=true|false] [conflict=latest] [checktime=INTERVAL]',
      '                                        [refreshabove=FRACTION]',
      '                                        a source and at least one other database',
    ]);
    expect(out).toContain('\nEvery command and option: bucardo help\n');
  });

  it('the lines shown are the general help\'s own; a verb alone shows all its nouns; a noun by another spelling narrows too', async () => {
    const full = (await bucardo('--help')).stdout;
    const add = await bucardo('help', 'add');
    expect(add.code).toBe(0);
    const lines = commandLines(add.stdout);
    expect(lines.filter((line) => /^ {2}\S/.test(line)).map((line) => line.trim().split(' ').slice(0, 2).join(' ')))
      .toEqual(['add db', 'add table', 'add sequence', 'add all', 'add herd', 'add dbgroup', 'add sync', 'add customname', 'add customcols']);
    expect(full).toContain(`${lines.join('\n')}\n`);
    const relgroup = await bucardo('help', 'add', 'relgroup');
    expect(commandLines(relgroup.stdout)).toEqual(['  add herd NAME [TABLE…]                (relgroup is the same)']);
    const list = await bucardo('lsit', 'tables', '--help'); // Bucardo's typo alias, a plural noun
    expect(list.stdout.split('\n')[0]).toBe('Usage of bucardo list tables:');
    expect(commandLines(list.stdout)).toEqual(['  list dbs|tables|sequences|herds|dbgroups|syncs|all [NAME|PATTERN…]']);
  });

  it('daemon commands list the daemon options; others do not', async () => {
    const [restart, status, kick] = await Promise.all([bucardo('help', 'restart'), bucardo('status', '--help'), bucardo('help', 'kick')]);
    expect(restart.stdout).toContain('\n  --log-destination D  ');
    expect(restart.stdout).toContain('\n  --pid-dir DIR        ');
    expect(restart.stdout).toContain('\n  restart ["reason"]                    stop, then start again with the running daemon\'s options\n');
    expect(status.stdout).toContain('\n  --pid-dir DIR        ');
    expect(status.stdout).not.toContain('--log-destination D');
    expect(kick.stdout).not.toContain('--pid-dir');
  });

  it('an unknown command is an error naming it, exit 1, whichever way help is asked for', async () => {
    for (const args of [['help', 'frobnicate'], ['frobnicate', '--help'], ['help', 'frobnicate', 'sync']]) {
      const r = await bucardo(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('ERROR: Unknown command "frobnicate" (see bucardo --help) [UNKNOWN_COMMAND]\n');
    }
  });

  it('bucardo --help, bucardo help and bucardo help help print the full help, which says how to ask for one command', async () => {
    const [flag, help, helpHelp] = await Promise.all([bucardo('--help'), bucardo('help'), bucardo('help', 'help')]);
    for (const r of [flag, help, helpHelp]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(flag.stdout);
    }
    expect(flag.stdout).toMatch(/^Usage: bucardo \[options\] COMMAND \[NOUN\] \[ARGUMENTS\] \[key=value …\]\n {7}bucardo help COMMAND \[NOUN\] +one command's usage \(also: bucardo COMMAND \[NOUN\] --help\)\n/);
    for (const part of ['\nSet up:\n', '\nChange:\n', '\nRun:\n', '\nOptions:\n', '  kick SYNC… [TIMEOUT]', '  add sync NAME', '  install ']) {
      expect(flag.stdout).toContain(part);
    }
  });
});
