import { CliSession } from '../cli-session.js';
import { absoluteDestination, pidDirOf } from '../daemon/paths.js';
import { isAlive, readPid } from '../daemon/pid-file.js';
import { readStartOptions, withStartOptions } from '../daemon/start-options.js';
import { start } from './start.js';
import { stopDaemon } from './stop.js';

/**
 * `bucardo restart ["reason"]`: stop (letting runs finish), then start with the options the running daemon
 * was started with, but for those given to restart. The reused ones are printed; when restart's own
 * log destinations move the log, the old daemon's log says where the next one goes.
 */
export async function restart(session: CliSession): Promise<number> {
  const dir = await pidDirOf(session);
  const running = readPid(dir);
  const recorded = running !== undefined && isAlive(running) ? readStartOptions(dir, running) : undefined;
  // the old daemon's last line says why it stopped: a restart, when no reason was given
  const reason = session.words.join(' ') || 'restart';
  if (!recorded) {
    await stopDaemon(session, dir, reason);
    return start(session);
  }
  const own = session.command.options.logDestinations.map(absoluteDestination);
  const moved = own.length > 0 && own.join('\n') !== recorded.logDestinations.join('\n');
  // whoever watches the old log sees it end: it says where the next one is
  await stopDaemon(session, dir, moved ? `${reason}; the next daemon logs to ${own.join(', ')}` : reason);
  const next = withStartOptions(session.command, recorded);
  if (next.reused.length > 0) session.print(`Using the options PID ${running} was started with: ${next.reused.join(' ')}`);
  // the daemon was found in `dir`: a recorded config naming another pidDir must not move the next one
  const again = new CliSession({ ...next.command, options: { ...next.command.options, pidDir: dir } });
  try {
    return await start(again);
  } finally {
    await again.close();
  }
}
