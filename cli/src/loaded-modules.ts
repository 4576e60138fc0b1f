import { statSync } from 'node:fs';

/** A plugin module file as it was when this process first imported it. */
export interface LoadedModule {
  /** The name the config gave (a package name or a path). */
  readonly plugin: string;
  readonly file: string;
  readonly mtimeMs: number;
  readonly size: number;
}

/**
 * Node caches an ES module for the life of the process and cannot drop it: a plugin imported again (on
 * `bucardo reload`) is the code first loaded, whatever the file holds now. What was loaded is kept here, so
 * that a reload can say which plugins' new code only a restart brings.
 */
const loaded = new Map<string, LoadedModule>();

/** Records `file` at its first import; later imports get the cached module, so its first state stands. */
export function noteLoaded(plugin: string, file: string): void {
  if (loaded.has(file)) return;
  const stat = statOf(file);
  if (stat) loaded.set(file, { plugin, file, ...stat });
}

/** Every plugin module this process imported, as it was then. */
export function loadedModules(): LoadedModule[] {
  return [...loaded.values()];
}

/** The modules whose file changed (time or size) since they were loaded, or went away: their new code needs a restart. */
export function changedModules(modules: readonly LoadedModule[]): LoadedModule[] {
  return modules.filter((module) => {
    const now = statOf(module.file);
    return !now || now.mtimeMs !== module.mtimeMs || now.size !== module.size;
  });
}

function statOf(file: string): { mtimeMs: number; size: number } | undefined {
  try {
    const { mtimeMs, size } = statSync(file);
    return { mtimeMs, size };
  } catch {
    return undefined;
  }
}
