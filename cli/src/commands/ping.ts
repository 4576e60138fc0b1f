import type { CliSession } from '../cli-session.js';
import { pidDirOf } from '../daemon/paths.js';
import { isAlive, readPid } from '../daemon/pid-file.js';

/** A daemon whose heartbeat is older than this is not answering. */
const STALE_SECONDS = 10;

/** `bucardo ping`: OK (exit 0) when the daemon's process lives and its heartbeat is fresh, else CRITICAL (exit 1). */
export async function ping(session: CliSession): Promise<number> {
  const pid = readPid(await pidDirOf(session));
  if (pid === undefined || !isAlive(pid)) {
    session.print(`CRITICAL: Bucardo is not running${pid === undefined ? '' : ` (stale PID ${pid})`}`);
    return 1;
  }
  const daemons = await (await session.bucardo()).daemons();
  const daemon = daemons.find((row) => row.pid === pid);
  if (!daemon || daemon.silentFor > STALE_SECONDS) {
    session.print(`CRITICAL: Timed out, no heartbeat from PID ${pid}${daemon ? ` for ${Math.round(daemon.silentFor)} s` : ''}`);
    return 1;
  }
  session.print(`OK: Got response from PID ${pid}`);
  return 0;
}
