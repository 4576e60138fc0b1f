/**
 * What the daemon shows other users of its machine:
 *
 *  - `bucardo -P PASSWORD start`: the control database's password reaches the daemon in its environment,
 *    not on its command line, which every user sees (`ps`, /proc/PID/cmdline) for as long as it runs;
 *  - the directories and files it makes (pid directory, log directory, log file, its output file, its
 *    recorded start options) are its user's alone: the log names databases, roles and tables, and the
 *    databases' errors in it quote row values;
 *  - the fallback in the temporary directory (used when /var/run/bucardo is not writable, as for an
 *    ordinary user) is refused when another user made it, or others may write in it.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { bucardoBin, runBucardo, type CliResult } from '../src/helpers/cli.js';
import { createDatabase, dropDatabase, serverAsksPassword, uniqueName } from '../src/helpers/databases.js';
import { alive, sleep, waitFor } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('secrecy_ctl');
const home = mkdtempSync(path.join(os.tmpdir(), 'secrecy-home-'));
const base = mkdtempSync(path.join(os.tmpdir(), 'secrecy-'));
// not made yet: the daemon makes them
const pidDir = path.join(base, 'run', 'bucardo');
const logDir = path.join(base, 'log', 'bucardo');

/** The CLI with the control password given only by -P: no PGPASSWORD, no password file. */
function bucardo(...args: string[]): Promise<CliResult> {
  return runBucardo(['-h', server.host, '-p', String(server.port), '-U', server.user, '-P', server.password, '-d', control, ...args], {
    env: { PGHOST: undefined, PGPORT: undefined, PGUSER: undefined, PGPASSWORD: undefined, PGPASSFILE: undefined, BUCARDO_CONTROL_DB: undefined, BUCARDO_PID_DIR: undefined, HOME: home },
  });
}

/** `bucardo stop` as the user `nobody`, with its temporary directory in `tmp`: it cannot write /var/run/bucardo. */
function stopAsNobody(tmp: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bucardoBin, 'stop'], {
      uid: 65534, gid: 65534, cwd: '/',
      env: { PATH: process.env.PATH, TMPDIR: tmp, HOME: tmp, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

const modeOf = (file: string) => statSync(file).mode & 0o777;

let passwordAuth = false;
let daemonPid: number | undefined;

beforeAll(async () => {
  passwordAuth = await serverAsksPassword(server) && server.password !== '';
  if (!passwordAuth) return;
  await createDatabase(server, control);
  const install = await bucardo('install');
  expect(install.code, install.stdout + install.stderr).toBe(0);
});

afterAll(async () => {
  if (daemonPid !== undefined && alive(daemonPid)) {
    process.kill(daemonPid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(daemonPid); i++) await sleep(100);
    if (alive(daemonPid)) process.kill(daemonPid, 'SIGKILL');
  }
  await dropDatabase(server, control);
  for (const dir of [home, base]) rmSync(dir, { recursive: true, force: true });
});

describe('what the daemon shows other users', () => {
  it('-P is not on the daemon\'s command line, and the daemon connects with it; its directories and files are its user\'s alone', async (ctx) => {
    if (!passwordAuth) ctx.skip();
    const previous = process.umask(0o022);
    let started: CliResult;
    try {
      started = await bucardo('--pid-dir', pidDir, '--log-destination', logDir, '--log-level', 'debug', 'start', 'secrecy');
    } finally {
      process.umask(previous);
    }
    expect(started.code, started.stdout + started.stderr).toBe(0);
    daemonPid = Number(/Starting Bucardo \(PID (\d+)\)/.exec(started.stdout)?.[1]);
    expect(daemonPid).toBeGreaterThan(0);

    const commandLine = readFileSync(`/proc/${daemonPid}/cmdline`, 'utf8').split('\0');
    expect(commandLine).toContain('__daemon');
    expect(commandLine.some((word) => word.includes(server.password)), `the daemon's command line: ${commandLine.join(' ')}`).toBe(false);
    expect(commandLine).not.toContain('--db-pass');

    // it reached the control database with the password it was given (it has no other)
    const logFile = path.join(logDir, 'log.bucardo');
    await waitFor('the daemon to start', async () => existsSync(logFile) && /Daemon \d+@\S+ started/.test(readFileSync(logFile, 'utf8')), 15_000, 100);
    const status = await bucardo('status');
    expect(status.code, status.stdout + status.stderr).toBe(0);

    expect(modeOf(pidDir).toString(8)).toBe('700');
    expect(modeOf(logDir).toString(8)).toBe('700');
    expect(modeOf(logFile).toString(8)).toBe('600');
    expect(modeOf(path.join(pidDir, 'bucardo.daemon.out')).toString(8)).toBe('600');
    expect(modeOf(path.join(pidDir, 'bucardo.mcp.options.json')).toString(8)).toBe('600');

    const stopped = await bucardo('--pid-dir', pidDir, 'stop');
    expect(stopped.code, stopped.stdout + stopped.stderr).toBe(0);
    await waitFor('the daemon to stop', async () => !alive(daemonPid!), 15_000, 100);
    const log = readFileSync(logFile, 'utf8');
    expect(log.includes(server.password), 'the log holds the control password').toBe(false);
    expect(log).not.toMatch(/password authentication failed|ERROR/);
  });

  it('the temporary directory\'s bucardo directory is refused when another user made it or others may write in it', async (ctx) => {
    if (process.getuid?.() !== 0) ctx.skip(); // running as another user needs root
    const tmp = path.join(base, 'tmp');
    mkdirSync(tmp);
    chmodSync(tmp, 0o1777);
    chmodSync(base, 0o755);
    const theirs = path.join(tmp, 'bucardo');
    mkdirSync(theirs, { mode: 0o755 }); // made by another user (here root) before the daemon's user came
    const refused = await stopAsNobody(tmp);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(`ERROR: Cannot use "${theirs}" for the daemon's pid file and log: /var/run/bucardo and /var/log/bucardo are not writable, and "${theirs}" is not a directory of this user's that only it may write in (another user may have made it). Give directories of your own with --pid-dir and --log-destination (or BUCARDO_PID_DIR) [INVALID_ARGUMENT]`);

    // one it makes itself is its own, and private
    rmSync(theirs, { recursive: true });
    const own = await stopAsNobody(tmp);
    expect(own.output).toBe('Bucardo is not running\n');
    expect(own.code).toBe(0);
    expect(statSync(theirs).uid).toBe(65534);
    expect(modeOf(theirs).toString(8)).toBe('700');

    // and one others may write in is refused, even its own
    chmodSync(theirs, 0o777);
    expect((await stopAsNobody(tmp)).code).toBe(1);
  });
});
