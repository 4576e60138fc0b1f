import { daemonIdOf, heartbeatExpired, processState } from '@bucardo/core';
import type { CliSession } from '../cli-session.js';
import { pidDirOf } from '../daemon/paths.js';
import { readPid } from '../daemon/pid-file.js';

/**
 * `bucardo ping`: OK (exit 0) when the daemon's process runs and its heartbeat is fresh (within a few of
 * its own rounds), else CRITICAL (exit 1).
 */
export async function ping(session: CliSession): Promise<number> {
  const pid = readPid(await pidDirOf(session));
  const state = pid === undefined ? 'ended' : processState(pid);
  if (pid === undefined || state === 'ended') {
    session.print(`CRITICAL: Bucardo is not running${pid === undefined ? '' : ` (stale PID ${pid})`}`);
    return 1;
  }
  // killed, but its parent has not reaped it: kill(pid, 0) still succeeds, and its last heartbeat is recent
  if (state === 'zombie') {
    session.print(`CRITICAL: Bucardo is not running (PID ${pid} has ended; its parent has not reaped it)`);
    return 1;
  }
  const daemons = await (await session.bucardo()).daemons();
  // by id (pid@host): a daemon of another machine may have the same pid
  const daemon = daemons.find((row) => row.id === daemonIdOf(pid));
  if (!daemon || heartbeatExpired(daemon)) {
    session.print(`CRITICAL: Timed out, no heartbeat from PID ${pid}${daemon ? ` for ${Math.round(daemon.silentFor)} s` : ''}`);
    return 1;
  }
  session.print(`OK: Got response from PID ${pid}`);
  return 0;
}
