import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { isLogLevel, writePrivateFile, type LogLevel } from '@bucardo/plugin-sdk';
import type { GlobalOptions, ParsedCommand } from '../argv.js';
import { START_OPTIONS } from './paths.js';

/**
 * The options a daemon was started with, kept beside its pid file. Bucardo's restart is stop + start with
 * the same arguments; ours need not be typed again, since the daemon they would have to match is running.
 * The password is not kept: nothing here writes one to disk (restart takes -P, PGPASSWORD or a password file).
 */
export interface StartOptions {
  /** The daemon the options are of: a record left by another process is not used. */
  readonly pid: number;
  /** The config file it loaded, whether given with --config or found. */
  readonly config?: string;
  readonly logLevel?: LogLevel;
  readonly logDestinations: readonly string[];
  readonly dbName?: string;
  readonly dbHost?: string;
  readonly dbPort?: number;
  readonly dbUser?: string;
}

type Kept = 'config' | 'logLevel' | 'dbName' | 'dbHost' | 'dbPort' | 'dbUser';

const flags: Readonly<Record<Kept, string>> = {
  config: '--config', logLevel: '--log-level', dbName: '--db-name', dbHost: '--db-host', dbPort: '--db-port', dbUser: '--db-user',
};

/** Called by the daemon once its config is loaded. */
export function recordStartOptions(dir: string, options: GlobalOptions, configFile: string | undefined): void {
  const { logLevel, logDestinations, dbName, dbHost, dbPort, dbUser } = options;
  const config = configFile ?? options.config;
  const record: StartOptions = { pid: process.pid, config, logLevel, logDestinations, dbName, dbHost, dbPort, dbUser };
  writePrivateFile(path.join(dir, START_OPTIONS), `${JSON.stringify(record, null, 2)}\n`);
}

/** The options daemon `pid` recorded; undefined when it recorded none or the file is not its own. */
export function readStartOptions(dir: string, pid: number): StartOptions | undefined {
  let record: Partial<StartOptions>;
  try {
    record = JSON.parse(readFileSync(path.join(dir, START_OPTIONS), 'utf8')) as Partial<StartOptions>;
  } catch {
    return undefined;
  }
  if (record.pid !== pid || !Array.isArray(record.logDestinations)) return undefined;
  if (record.logLevel !== undefined && !isLogLevel(record.logLevel)) return undefined;
  return record as StartOptions;
}

/** Removes the record, but only this process's (a new daemon may have written its own). */
export function removeOwnStartOptions(dir: string): void {
  if (readStartOptions(dir, process.pid)) rmSync(path.join(dir, START_OPTIONS), { force: true });
}

/**
 * `command` with the recorded options it does not give itself (its own win, and its log destinations
 * replace all the recorded ones), and those taken from the record, as they would be typed.
 */
export function withStartOptions(command: ParsedCommand, recorded: StartOptions): { command: ParsedCommand; reused: string[] } {
  const options: GlobalOptions = { ...command.options };
  const reused: string[] = [];
  const take = <K extends Kept>(key: K): void => {
    const value = recorded[key] as GlobalOptions[K] | undefined;
    if (value === undefined || options[key] !== undefined) return;
    options[key] = value;
    reused.push(flags[key], String(value));
  };
  (Object.keys(flags) as Kept[]).forEach(take);
  if (options.logDestinations.length === 0 && recorded.logDestinations.length > 0) {
    options.logDestinations = [...recorded.logDestinations];
    reused.push(...recorded.logDestinations.flatMap((destination) => ['--log-destination', destination]));
  }
  return { command: { ...command, options }, reused };
}
