import { spawn } from 'node:child_process';
import { closeSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BucardoError, makePrivateDir, openPrivateFile } from '@bucardo/plugin-sdk';
import type { CliSession } from '../cli-session.js';
import { daemonEnvironment } from '../daemon/control-password.js';
import { absoluteDestination, DAEMON_OUT, pidDirOf } from '../daemon/paths.js';
import { isAlive, pidFile, readPid, removePidFile } from '../daemon/pid-file.js';

const STARTUP_TIMEOUT_MS = 20_000;

/**
 * `bucardo start ["reason"]`: starts the daemon in the background. Refuses when one is running (its pid
 * file names a live process), removes a stale pid file, and returns once the daemon has written its pid
 * file, or reports why it died.
 */
export async function start(session: CliSession): Promise<number> {
  const dir = await pidDirOf(session);
  session.print('Checking for existing processes');
  const running = readPid(dir);
  if (running !== undefined && isAlive(running)) {
    throw new BucardoError('ALREADY_RUNNING', `Cannot start, PID file "${pidFile(dir)}" exists (Bucardo is running as PID ${running})`, { item: pidFile(dir) });
  }
  if (running !== undefined) {
    session.print(`Removing file "${pidFile(dir)}" with stale PID ${running}`);
    removePidFile(dir);
  }
  await checkStartable(session);
  const pid = await spawnDaemon(session, dir);
  session.print(`Starting Bucardo (PID ${pid})`);
  return 0;
}

/**
 * Fails here, not in the background, when the config or its plugins do not load, or the control database
 * is not reachable, not installed, or installed by an older version: a daemon on it would fail on every
 * round. `restart` asks it before it stops the running daemon: one that keeps running is better than none.
 */
export async function checkStartable(session: CliSession): Promise<void> {
  await (await session.bucardo()).checkSchema();
}

async function spawnDaemon(session: CliSession, dir: string): Promise<number> {
  makePrivateDir(dir);
  const outFile = path.join(dir, DAEMON_OUT);
  // what the daemon prints before its log is up, or if it crashes: a stack, a database's error
  const out = openPrivateFile(outFile, 'a');
  const reason = session.words.join(' ');
  const bin = fileURLToPath(new URL('../../bin/bucardo.js', import.meta.url));
  const args = [...forwardedOptions(session), '--pid-dir', dir, ...(reason ? ['--reason', reason] : []), '__daemon'];
  const child = spawn(process.execPath, [bin, ...args], { detached: true, stdio: ['ignore', out, out], env: daemonEnvironment(session.command.options) });
  closeSync(out);
  let exited: number | null | undefined;
  child.on('exit', (code) => { exited = code; });
  child.unref();
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (readPid(dir) === child.pid) return child.pid!;
    if (exited !== undefined) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new BucardoError('DAEMON_FAILED', `The daemon did not start${exited !== undefined ? ` (it exited with code ${exited})` : ''}: ${lastLines(outFile)}`, { item: outFile });
}

/** The options that say which config, control database and log the daemon uses; the password goes in its environment (daemonEnvironment). */
function forwardedOptions(session: CliSession): string[] {
  const o = session.command.options;
  return [
    ...(o.config ? ['--config', path.resolve(o.config)] : []),
    ...(o.logLevel ? ['--log-level', o.logLevel] : []),
    ...(o.dbName ? ['--db-name', o.dbName] : []),
    ...(o.dbHost ? ['--db-host', o.dbHost] : []),
    ...(o.dbPort ? ['--db-port', String(o.dbPort)] : []),
    ...(o.dbUser ? ['--db-user', o.dbUser] : []),
    ...o.logDestinations.flatMap((destination) => ['--log-destination', absoluteDestination(destination)]),
  ];
}

function lastLines(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' | ') || 'no output';
  } catch {
    return 'no output';
  }
}
