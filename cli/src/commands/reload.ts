import path from 'node:path';
import { daemonIdOf, type ReloadResult } from '@bucardo/core';
import { BucardoError } from '@bucardo/plugin-sdk';
import type { CliSession } from '../cli-session.js';
import { pidDirFrom, pidDirOf } from '../daemon/paths.js';
import { isAlive, readPid } from '../daemon/pid-file.js';
import { readStartOptions } from '../daemon/start-options.js';
import { changedPluginFiles, restartNeeded } from '../daemon/plugin-files.js';
import { printError } from '../print-error.js';

/** Bucardo's `reload_config_timeout`. */
const DEFAULT_TIMEOUT_SECONDS = 30;

/**
 * `bucardo reload [TIMEOUT]`: the daemon re-reads its config, and builds its plugins again from it, without
 * dropping work; a plugin whose file changed since the daemon imported it keeps its old code (Node caches
 * modules), which a note after `DONE!` says, pointing at `bucardo restart`. The request
 * goes through the control database and SIGHUP wakes the daemon, which answers there: `DONE!` when it took
 * them; otherwise its error, and it keeps running with its previous configuration (exit 1). No answer
 * within TIMEOUT seconds (default 30, `0` waits as long as it takes) is `Timed out!` (exit 1).
 */
export async function reload(session: CliSession): Promise<number> {
  const timeoutSeconds = timeoutOf(session.words);
  try {
    await session.config();
  } catch (error) {
    return refuseBadConfig(session, error);
  }
  const dir = await pidDirOf(session);
  const pid = readPid(dir);
  if (pid === undefined || !isAlive(pid)) {
    session.print('Bucardo is not running: nothing to reload');
    return 1;
  }
  refuseOtherConfig(session, pid, readStartOptions(dir, pid)?.config);
  // The daemon judges the config's plugins (it loads them where it runs); this process only needs the control database.
  const bucardo = await session.bucardo({ plugins: 'standard' });
  const result = await bucardo.reloadDaemon(daemonIdOf(pid), { wake: () => process.kill(pid, 'SIGHUP'), timeoutMs: timeoutSeconds * 1000 });
  const code = report(session, pid, result, timeoutSeconds, bucardo.controlTarget.dbname);
  // read after the answer: the daemon records the files it imported as it reloads
  if (result.status === 'done') for (const module of changedPluginFiles(dir, pid)) session.print(`Note: ${restartNeeded(module)}`);
  return code;
}

/**
 * The daemon re-reads the file it was started with: a `--config` naming another would be checked here and
 * reported DONE! while the daemon went on with its own. Changing files is a restart.
 */
function refuseOtherConfig(session: CliSession, pid: number, running: string | undefined): void {
  const given = session.command.options.config;
  if (given === undefined || running === undefined || path.resolve(given) === path.resolve(running)) return;
  throw new BucardoError('INVALID_ARGUMENT',
    `Bucardo (PID ${pid}) was started with ${running}, and reload makes it read that file again, not ${given}: to run with ${given}, use "bucardo restart --config ${given}"`,
    { item: given });
}

function timeoutOf(words: readonly string[]): number {
  // `reload config` is Bucardo's spelling of the same thing
  const rest = words.filter((word) => word.toLowerCase() !== 'config');
  if (rest.length === 0) return DEFAULT_TIMEOUT_SECONDS;
  if (rest.length === 1 && /^\d+$/.test(rest[0]!)) return Number(rest[0]);
  throw new BucardoError('INVALID_ARGUMENT', `Usage: bucardo reload [TIMEOUT] (seconds; "${rest.join(' ')}" is not one)`, { item: rest.join(' ') });
}

/**
 * This process could not read the config: the daemon would re-read the same file and fail too, so it is
 * not asked, and keeps the configuration it runs with. Its pid is looked for without the config's `pidDir`.
 */
function refuseBadConfig(session: CliSession, error: unknown): number {
  printError(error);
  const pid = readPid(pidDirFrom(session, undefined));
  if (pid !== undefined && isAlive(pid)) process.stderr.write(`Bucardo (PID ${pid}) was not asked to reload: it keeps running with its previous configuration\n`);
  return 1;
}

function report(session: CliSession, pid: number, result: ReloadResult, timeoutSeconds: number, controlDb: string): number {
  const reloading = `Reloading Bucardo (PID ${pid}) ...`;
  switch (result.status) {
    case 'done':
      session.print(`${reloading} DONE!`);
      return 0;
    case 'refused': {
      session.print(`${reloading} FAILED!`);
      const { code, message, ...subject } = result.error;
      printError(new BucardoError(code as BucardoError['code'], message, subject));
      process.stderr.write(`Bucardo (PID ${pid}) keeps running with its previous configuration\n`);
      return 1;
    }
    case 'timeout':
      session.print(`${reloading} Timed out!`);
      process.stderr.write(`No answer from Bucardo (PID ${pid}) within ${timeoutSeconds} s${result.registered ? '' : ` (it is not registered in control database "${controlDb}": does it use another one?)`}: `
        + 'until it answers it runs with its previous configuration, and whether it takes the new one is in its log\n');
      return 1;
  }
}
