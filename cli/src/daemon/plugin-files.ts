import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writePrivateFile } from '@bucardo/plugin-sdk';
import { changedModules, loadedModules, type LoadedModule } from '../loaded-modules.js';
import { PLUGIN_FILES } from './paths.js';

/**
 * The plugin files the daemon imported, kept beside its pid file, so that `bucardo reload` (another
 * process) can say which of them changed since: Node keeps the first import of a module for the life of
 * the process, so their new code runs only after a restart.
 */
export function recordPluginFiles(dir: string): void {
  writePrivateFile(path.join(dir, PLUGIN_FILES), `${JSON.stringify({ pid: process.pid, modules: loadedModules() }, null, 2)}\n`);
}

/** The plugin files daemon `pid` runs the code of and which changed on disk since it imported them. */
export function changedPluginFiles(dir: string, pid: number): LoadedModule[] {
  let record: { pid?: unknown; modules?: unknown };
  try {
    record = JSON.parse(readFileSync(path.join(dir, PLUGIN_FILES), 'utf8')) as typeof record;
  } catch {
    return [];
  }
  return record.pid === pid && Array.isArray(record.modules) ? changedModules(record.modules as LoadedModule[]) : [];
}

/** The daemon's own changed plugin files, said as the reload's log line and the command's note. */
export function restartNeeded(module: LoadedModule): string {
  return `Plugin "${module.plugin}" (${module.file}) changed on disk since the daemon loaded it: the reload keeps the code loaded then (Node cannot load a module again); "bucardo restart" runs the new code`;
}

/** Removes the record, but only this process's. */
export function removeOwnPluginFiles(dir: string): void {
  try {
    const record = JSON.parse(readFileSync(path.join(dir, PLUGIN_FILES), 'utf8')) as { pid?: unknown };
    if (record.pid === process.pid) rmSync(path.join(dir, PLUGIN_FILES), { force: true });
  } catch {
    // none, or not readable: nothing of this process's to remove
  }
}
