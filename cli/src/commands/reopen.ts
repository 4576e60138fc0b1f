import type { CliSession } from '../cli-session.js';
import { pidDirOf } from '../daemon/paths.js';
import { isAlive, readPid } from '../daemon/pid-file.js';

/**
 * `bucardo reopen`: the daemon opens its log files again, by their names, for log rotation (`postrotate
 * bucardo reopen` in a logrotate rule), as Bucardo's does: SIGUSR2 to the daemon's process. The daemon
 * logs that it did, in the new file.
 */
export async function reopen(session: CliSession): Promise<number> {
  const pid = readPid(await pidDirOf(session));
  if (pid === undefined || !isAlive(pid)) {
    session.print('Bucardo is not running: no log files to reopen');
    return 1;
  }
  process.kill(pid, 'SIGUSR2');
  session.print(`Asked Bucardo (PID ${pid}) to reopen its log files`);
  return 0;
}
