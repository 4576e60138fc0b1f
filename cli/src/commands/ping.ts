import { daemonIdOf, heartbeatExpired, processState } from '@bucardo/core';
import { isBucardoError } from '@bucardo/plugin-sdk';
import type { CliSession } from '../cli-session.js';
import { pidDirDespiteConfig } from '../daemon/paths.js';
import { readPid } from '../daemon/pid-file.js';

/**
 * `bucardo ping`: OK (exit 0) when the daemon's process runs and its heartbeat is fresh (within a few of
 * its own rounds), else CRITICAL (exit 1). A config it cannot read (being edited while the daemon runs on
 * the one it read at start) does not hide the daemon from a monitor: the process is still looked for, and
 * the answer is one line a monitor reads, WARNING (exit 1) when only the heartbeat could not be checked.
 * A control database that cannot be reached is CRITICAL: the daemon has stopped every sync until it is back.
 * Plugins of the config that do not load (edited since the daemon started) are a WARNING once the
 * heartbeat, read without them, is fresh: the daemon runs, but would not start again.
 */
export async function ping(session: CliSession): Promise<number> {
  const pid = readPid(await pidDirDespiteConfig(session));
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
  let daemons;
  let pluginFailure;
  try {
    const opened = await session.bucardoDespitePlugins();
    pluginFailure = opened.pluginFailure;
    daemons = await opened.bucardo.daemons();
  } catch (error) {
    if (isBucardoError(error) && error.code === 'CONNECTION_FAILED') {
      // the daemon runs no sync without its control database: a monitor must hear it on the line it reads,
      // where this was an ERROR on stderr and nothing on stdout
      session.print(`CRITICAL: Bucardo runs (PID ${pid}), but its control database cannot be reached, so no sync runs: ${error.message}`);
      return 1;
    }
    if (!isBucardoError(error) || (error.code !== 'CONFIG_INVALID' && error.code !== 'CONFIG_NOT_FOUND')) throw error;
    session.print(`WARNING: Bucardo runs (PID ${pid}), but its heartbeat cannot be checked without the config`);
    return 1;
  }
  // by id (pid@host): a daemon of another machine may have the same pid
  const daemon = daemons.find((row) => row.id === daemonIdOf(pid));
  if (!daemon || heartbeatExpired(daemon)) {
    session.print(`CRITICAL: Timed out, no heartbeat from PID ${pid}${daemon ? ` for ${Math.round(daemon.silentFor)} s` : ''}`);
    return 1;
  }
  if (pluginFailure) {
    // the daemon runs on the plugins it loaded at its start; what fails is the next start (or reload)
    session.print(`WARNING: Bucardo runs (PID ${pid}), but the plugins of its config do not load, so a restart would fail: ${pluginFailure.message} [${pluginFailure.code}]`);
    return 1;
  }
  session.print(`OK: Got response from PID ${pid}`);
  return 0;
}
