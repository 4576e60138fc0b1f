import { appendFileSync, mkdirSync, openSync, writeFileSync } from 'node:fs';

/*
 * The files and directories Bucardo makes for itself (a daemon's pid file, stop reason, start options and
 * output, the loggers' files): a log names the databases, roles, tables and keys, a database's error in it
 * quotes row values, and a crash's output may hold a stack, so they are their user's alone. A file or
 * directory that exists keeps its own mode (whoever made it chose).
 */

/** The mode of a directory Bucardo makes: its user's alone. */
export const PRIVATE_DIR_MODE = 0o700;
/** The mode of a file Bucardo makes: readable and writable by its user alone. */
export const PRIVATE_FILE_MODE = 0o600;

/** Makes `dir` (and its missing parents) with `PRIVATE_DIR_MODE`; an existing one is left as it is. */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Writes `data` to `file`, made with `PRIVATE_FILE_MODE`; `flag` as Node's (`wx`: fail when it exists). */
export function writePrivateFile(file: string, data: string, flag = 'w'): void {
  writeFileSync(file, data, { flag, mode: PRIVATE_FILE_MODE });
}

/** Appends `data` to `file`, made with `PRIVATE_FILE_MODE` when it does not exist. */
export function appendPrivateFile(file: string, data: string): void {
  appendFileSync(file, data, { mode: PRIVATE_FILE_MODE });
}

/** Opens `file` (`flags` as Node's `openSync`), made with `PRIVATE_FILE_MODE` when it does not exist; returns the descriptor. */
export function openPrivateFile(file: string, flags: string): number {
  return openSync(file, flags, PRIVATE_FILE_MODE);
}
