import { CliSession } from '../cli-session.js';
import { absoluteDestination, pidDirFrom, pidDirOf } from '../daemon/paths.js';
import { isAlive, readPid } from '../daemon/pid-file.js';
import { readStartOptions, withStartOptions } from '../daemon/start-options.js';
import { printError } from '../print-error.js';
import { checkStartable, start } from './start.js';
import { stopDaemon } from './stop.js';

/**
 * `bucardo restart ["reason"]`: stop (letting runs finish), then start with the options the running daemon
 * was started with, but for those given to restart. The reused ones are printed; when restart's own
 * log destinations move the log, the old daemon's log says where the next one goes. What start checks
 * (config, plugins, control database and its schema) is checked first, with the next daemon's options:
 * when it would not start, the running one is not stopped.
 */
export async function restart(session: CliSession): Promise<number> {
  let dir: string;
  try {
    dir = await pidDirOf(session);
  } catch (error) {
    // the pid is looked for without the config's pidDir, which is not known
    return refuse(error, livePid(pidDirFrom(session, undefined)));
  }
  const running = livePid(dir);
  const recorded = running === undefined ? undefined : readStartOptions(dir, running);
  // the old daemon's last line says why it stopped: a restart, when no reason was given
  const reason = session.words.join(' ') || 'restart';
  if (!recorded) {
    if (running !== undefined && !(await startable(session, running))) return 1;
    // still running after the wait: a start now would only be refused
    if (!(await stopDaemon(session, dir, reason))) return 1;
    return start(session);
  }
  const next = withStartOptions(session.command, recorded);
  // the daemon was found in `dir`: a recorded config naming another pidDir must not move the next one
  const again = new CliSession({ ...next.command, options: { ...next.command.options, pidDir: dir } });
  try {
    if (!(await startable(again, running!))) return 1;
    const own = session.command.options.logDestinations.map(absoluteDestination);
    const moved = own.length > 0 && own.join('\n') !== recorded.logDestinations.join('\n');
    // whoever watches the old log sees it end: it says where the next one is
    if (!(await stopDaemon(session, dir, moved ? `${reason}; the next daemon logs to ${own.join(', ')}` : reason))) return 1;
    if (next.reused.length > 0) session.print(`Using the options PID ${running} was started with: ${next.reused.join(' ')}`);
    return await start(again);
  } finally {
    await again.close();
  }
}

/** The pid of the daemon running in `dir`, if one is. */
function livePid(dir: string): number | undefined {
  const pid = readPid(dir);
  return pid !== undefined && isAlive(pid) ? pid : undefined;
}

/** Whether a daemon with `session`'s options would start; when not, the refusal is printed. */
async function startable(session: CliSession, running: number): Promise<boolean> {
  try {
    await checkStartable(session);
    return true;
  } catch (error) {
    refuse(error, running);
    return false;
  }
}

/** Says why restart gave up, and that the running daemon (if any) was left running. */
function refuse(error: unknown, running: number | undefined): number {
  printError(error);
  if (running !== undefined) process.stderr.write(`Bucardo (PID ${running}) keeps running: it was not stopped, as the next daemon could not start\n`);
  return 1;
}
