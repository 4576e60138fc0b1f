import { accessSync, constants, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BucardoError, isBucardoError, makePrivateDir } from '@bucardo/plugin-sdk';
import type { CliSession } from '../cli-session.js';
import { printWarning } from '../print-error.js';

/** The daemon's pid file name, as Bucardo's MCP names it. */
export const PID_FILE = 'bucardo.mcp.pid';
/** Where the detached daemon's stdout and stderr go (crashes before its logger is up end here). */
export const DAEMON_OUT = 'bucardo.daemon.out';
/** Where `bucardo stop "reason"` leaves the reason for the daemon to log. */
export const STOP_REASON = 'bucardo.stop.reason';
/** Where the daemon records the options it was started with, for `bucardo restart`. */
export const START_OPTIONS = 'bucardo.mcp.options.json';
/** The plugin module files the daemon imported, as they were then (`plugin-files.ts`). */
export const PLUGIN_FILES = 'bucardo.mcp.plugins.json';

/** `--pid-dir`, then the config's `pidDir`, then `BUCARDO_PID_DIR`, then Bucardo's `/var/run/bucardo` when usable. */
export async function pidDirOf(session: CliSession): Promise<string> {
  const { config } = await session.config();
  return pidDirFrom(session, config.pidDir);
}

/**
 * The same for `stop`, which must work with a config it cannot read (a typo in it must not keep anyone
 * from stopping the daemon): the config's error is a warning, and the config's `pidDir` is not known.
 */
export async function pidDirDespiteConfig(session: CliSession): Promise<string> {
  try {
    return await pidDirOf(session);
  } catch (error) {
    if (!isBucardoError(error) || (error.code !== 'CONFIG_INVALID' && error.code !== 'CONFIG_NOT_FOUND')) throw error;
    printWarning(error);
    const dir = pidDirFrom(session, undefined);
    process.stderr.write(`WARNING: Without the config, Bucardo's pid file is looked for in ${dir}\n`);
    return dir;
  }
}

/** The same, given the config's `pidDir` (none when the config could not be read: the other sources still hold). */
export function pidDirFrom(session: CliSession, configured: string | undefined): string {
  return session.command.options.pidDir ?? configured ?? process.env.BUCARDO_PID_DIR ?? usableDir('/var/run/bucardo');
}

/**
 * Where the daemon logs: `--log-destination`s (as `destinations`, which every logger takes, so that they
 * win over any destination the config or a logger plugin's options name), else what the config's logger
 * options or the plugin's options say, else Bucardo's `/var/log/bucardo` when usable (the default
 * destinations, which a logger uses only when nothing names one).
 */
export async function daemonLoggerOptions(session: CliSession): Promise<{ loggerOptions?: Readonly<Record<string, unknown>>; defaultLogDestinations: readonly string[] }> {
  const { config } = await session.config();
  const given = session.command.options.logDestinations;
  const loggerOptions = given.length > 0 ? { ...config.loggerOptions, destinations: given } : config.loggerOptions;
  // only when no --log-destination names one: the default is made (or a temporary fallback checked, and
  // perhaps refused) for nothing otherwise
  return { ...(loggerOptions ? { loggerOptions } : {}), defaultLogDestinations: given.length > 0 ? [] : [usableDir('/var/log/bucardo')] };
}

/** A `--log-destination` as the daemon gets it: a directory made absolute, since the daemon may run elsewhere. */
export function absoluteDestination(destination: string): string {
  return /^(stderr|stdout|none)$/.test(destination) ? destination : path.resolve(destination);
}

function usableDir(preferred: string): string {
  try {
    makePrivateDir(preferred);
    accessSync(preferred, constants.W_OK);
    return preferred;
  } catch {
    return ownTempDir(path.join(tmpdir(), 'bucardo'));
  }
}

/**
 * The fallback in the temporary directory, where every user may create names: a directory another user
 * made there first (or a link to one) would get the daemon's pid file and log, readable and replaceable by
 * that user. Used only when it is this user's own and only its owner may write in it.
 */
function ownTempDir(dir: string): string {
  let owner: number | undefined;
  let writableByOthers = false;
  let isDirectory = false;
  try {
    makePrivateDir(dir);
    const stat = lstatSync(dir);
    ({ uid: owner } = stat);
    isDirectory = stat.isDirectory();
    writableByOthers = (stat.mode & 0o022) !== 0;
  } catch {
    // said below, as for a directory that is not ours
  }
  const me = process.getuid?.();
  if (isDirectory && !writableByOthers && (me === undefined || owner === me)) return dir;
  throw new BucardoError('INVALID_ARGUMENT',
    `Cannot use "${dir}" for the daemon's pid file and log: /var/run/bucardo and /var/log/bucardo are not writable, and "${dir}" is not a directory of this user's that only it may write in (another user may have made it). Give directories of your own with --pid-dir and --log-destination (or BUCARDO_PID_DIR)`,
    { item: dir });
}
