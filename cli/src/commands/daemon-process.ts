import { BucardoError, isLogLevel, type LogLevel } from '@bucardo/plugin-sdk';
import type { CliSession } from '../cli-session.js';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startupBanner } from '../daemon/banner.js';
import { takeDaemonPassword } from '../daemon/control-password.js';
import { daemonLoggerOptions, pidDirOf, STOP_REASON } from '../daemon/paths.js';
import { removeOwnPid, writePid } from '../daemon/pid-file.js';
import { recordStartOptions, removeOwnStartOptions } from '../daemon/start-options.js';
import { recordPluginFiles, removeOwnPluginFiles, restartNeeded } from '../daemon/plugin-files.js';
import { changedModules, loadedModules } from '../loaded-modules.js';

/**
 * The daemon process itself (started detached by `bucardo start`; not for people to type). Writes the pid
 * file, runs the daemon until SIGTERM or SIGINT (runs in progress finish first; a second signal stops
 * them at their next statement, to be resumed by the next start), re-reads the config
 * and plugins on SIGHUP without dropping work, and opens its log files again on SIGUSR2 (log rotation).
 */
export async function daemonProcess(session: CliSession): Promise<number> {
  takeDaemonPassword(session.command.options);
  const dir = await pidDirOf(session);
  try {
    writePid(dir);
  } catch (error) {
    throw new BucardoError('ALREADY_RUNNING', `Cannot start: the pid file ${dir}/bucardo.mcp.pid exists (${(error as Error).message})`, { item: dir });
  }
  // Node ends a process on SIGHUP by default: a reload asked for while the daemon is still starting
  // must not kill it, but be done once it runs.
  let earlyReload = false;
  const onEarlyReload = () => { earlyReload = true; };
  process.on('SIGHUP', onEarlyReload);
  // nor on SIGUSR2 (`bucardo reopen`): before the logger is up there is no file to open again
  let reopenLogs = () => {};
  const onReopen = () => reopenLogs();
  process.on('SIGUSR2', onReopen);
  try {
    const logTo = await daemonLoggerOptions(session);
    recordStartOptions(dir, session.command.options, (await session.config()).filepath);
    const open = async (fresh: boolean) => {
      const level = await logLevelOf(session);
      const options = { role: 'daemon', logLevel: level, ...logTo };
      return { bucardo: await (fresh ? session.openFresh(options) : session.bucardo(options)), level };
    };
    const { bucardo, level } = await open(false);
    recordPluginFiles(dir);
    const loggerName = (await session.config()).config.logger ?? 'text';
    bucardo.engine.log.log('normal', startupBanner(bucardo, (await session.config()).filepath, level));
    reopenLogs = () => {
      const log = bucardo.engine.log;
      // a logger without reopen() had no files to open again: saying it did would hide a rotation that failed
      if (log.reopen()) log.log('normal', 'Received SIGUSR2: log files opened again');
      else log.log('normal', `Received SIGUSR2: logger "${loggerName}" has no reopen(), so nothing was opened again (a logger that opens its file for each line, as text does, needs none)`);
    };
    const daemon = bucardo.createDaemon(session.command.options.reason ? { reason: session.command.options.reason } : {});
    const stop = new AbortController();
    // The first stop lets the runs in progress finish; a second one (`bucardo stop` again) stops them at
    // their next statement, as the first may wait for hours (an initial copy): they resume at the next start.
    const onStop = (signal: string) => {
      if (!stop.signal.aborted) {
        bucardo.engine.log.log('terse', `Received ${signal}${stopReason(dir)}: stopping after the runs in progress`);
        stop.abort();
        return;
      }
      bucardo.engine.log.log('terse', `Received ${signal} again${stopReason(dir)}: stopping the runs in progress now (what they committed is kept; the next start resumes them)`);
      daemon.abortRuns();
    };
    process.on('SIGTERM', () => onStop('SIGTERM'));
    process.on('SIGINT', () => onStop('SIGINT'));
    // The daemon logs a failed reload and answers the waiting `bucardo reload` with the error; the
    // config's run sizes go with the engine, so that the next runs are cut as the file now says.
    const onReload = () => void daemon.reloadFrom(async () => {
      session.forgetConfig();
      const { bucardo: next } = await open(true);
      // plugins the config added since are imported now, and kept for the next reload's check
      recordPluginFiles(dir);
      for (const module of changedModules(loadedModules())) next.engine.log.log('warn', restartNeeded(module), { plugin: module.plugin, item: module.file });
      return { engine: next.engine, sizes: next.runSizes };
    });
    process.on('SIGHUP', onReload);
    process.off('SIGHUP', onEarlyReload);
    if (earlyReload) onReload();
    await daemon.run(stop.signal);
    return 0;
  } finally {
    process.off('SIGHUP', onEarlyReload);
    process.off('SIGUSR2', onReopen);
    removeOwnStartOptions(dir);
    removeOwnPluginFiles(dir);
    removeOwnPid(dir);
  }
}

/** The reason `bucardo stop "reason"` left, as text for the log line (and the file removed). */
function stopReason(dir: string): string {
  const file = path.join(dir, STOP_REASON);
  try {
    const reason = readFileSync(file, 'utf8').trim();
    rmSync(file, { force: true });
    return reason ? ` (reason: ${reason})` : '';
  } catch {
    return '';
  }
}

/** `--log-level`, then the config, then `bucardo set log_level=…` in the control database, then normal. */
async function logLevelOf(session: CliSession): Promise<LogLevel> {
  if (session.command.options.logLevel) return session.command.options.logLevel;
  const { config } = await session.config();
  if (config.logLevel) return config.logLevel;
  const probe = await session.openFresh({ logLevel: 'warn' });
  try {
    const stored = (await probe.settings()).get('log_level');
    return isLogLevel(stored) ? stored : 'normal';
  } finally {
    await probe.close();
  }
}
