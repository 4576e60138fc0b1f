import path from 'node:path';
import { BucardoError, writePrivateFile } from '@bucardo/plugin-sdk';
import type { CliSession } from '../cli-session.js';
import { pidDirDespiteConfig, STOP_REASON } from '../daemon/paths.js';
import { isAlive, readPid, removePidFile } from '../daemon/pid-file.js';

/** How long `bucardo stop` waits for the runs in progress by default; `BUCARDO_STOP_WAIT` (seconds) sets it. */
const STOP_WAIT_SECONDS = 300;
/** After this long a user at a terminal is told what the stop waits for (a run can take minutes). */
const NOTE_AFTER_MS = 2_000;

/**
 * `bucardo stop ["reason"]`: asks the daemon to stop (SIGTERM); runs in progress finish first, unless the
 * daemon was asked already: then they are stopped at their next statement and resumed by the next start. A config it
 * cannot read is a warning: the daemon runs on the one it read at start, and must still be stoppable.
 */
export async function stop(session: CliSession): Promise<number> {
  return (await stopDaemon(session, await pidDirDespiteConfig(session))) ? 0 : 1;
}

/**
 * Stops the daemon; false when it is still running after the wait (`BUCARDO_STOP_WAIT` seconds, default
 * 300): a script must not go on as if it had stopped.
 */
export async function stopDaemon(session: CliSession, dir: string, reason = session.words.join(' ') || 'no reason given'): Promise<boolean> {
  const waitMs = stopWaitSeconds() * 1000;
  const pid = readPid(dir);
  if (pid === undefined || !isAlive(pid)) {
    if (pid !== undefined) removePidFile(dir);
    session.print('Bucardo is not running');
    return true;
  }
  process.stdout.write(session.command.options.quiet ? '' : `Stopping Bucardo (PID ${pid}) ... `);
  // The daemon logs why it was stopped: the reason travels in a file next to its pid file.
  writePrivateFile(path.join(dir, STOP_REASON), reason);
  process.kill(pid, 'SIGTERM');
  const started = Date.now();
  const deadline = started + waitMs;
  // only at a terminal: scripts read the one line they always read
  let noted = !process.stdout.isTTY || session.command.options.quiet;
  while (isAlive(pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (!noted && Date.now() - started >= NOTE_AFTER_MS && isAlive(pid)) {
      process.stdout.write('waiting for the runs in progress to finish (bucardo stop again stops them now) ... ');
      noted = true;
    }
  }
  if (isAlive(pid)) {
    session.print(`still running after ${waitMs / 1000} s (a long run has not finished yet; bucardo stop again stops it now, and the next start resumes it)`);
    return false;
  }
  removePidFile(dir);
  session.print('Done');
  return true;
}

function stopWaitSeconds(): number {
  const given = process.env.BUCARDO_STOP_WAIT;
  if (given === undefined || given === '') return STOP_WAIT_SECONDS;
  if (!/^\d+$/.test(given)) throw new BucardoError('INVALID_ARGUMENT', `BUCARDO_STOP_WAIT must be a whole number of seconds, not "${given}"`, { item: 'BUCARDO_STOP_WAIT' });
  return Number(given);
}
