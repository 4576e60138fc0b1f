import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { processState } from '@bucardo/core';
import { makePrivateDir, writePrivateFile } from '@bucardo/plugin-sdk';
import { PID_FILE } from './paths.js';

export function pidFile(dir: string): string {
  return path.join(dir, PID_FILE);
}

/** The pid in the file, or undefined when there is no file or it holds no number. */
export function readPid(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(dir), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the daemon of the pid file still runs: a zombie (killed, not reaped by its parent) does not. */
export function isAlive(pid: number): boolean {
  return processState(pid) === 'running';
}

/** Writes our pid; fails (EEXIST) when another process's file is there. */
export function writePid(dir: string): void {
  makePrivateDir(dir);
  writePrivateFile(pidFile(dir), `${process.pid}\n`, 'wx');
}

/** Removes the pid file, but only when it is this process's (a new daemon may have replaced it). */
export function removeOwnPid(dir: string): void {
  if (readPid(dir) === process.pid) rmSync(pidFile(dir), { force: true });
}

export function removePidFile(dir: string): void {
  rmSync(pidFile(dir), { force: true });
}
