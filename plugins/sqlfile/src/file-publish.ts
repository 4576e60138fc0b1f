import { constants } from 'node:fs';
import { access, open, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FILE_FOOTER } from './sql-text.js';
import { writeAll } from './write-all.js';

/**
 * Ends a run's file after `cut` bytes (its last whole transaction) with `COMMIT;`, flushes it when asked,
 * closes it and renames it from `tmpPath` to `finalPath` (or `name.N.sql` when that is taken). Returns the
 * name it got. The handle is closed whatever happens; on a failure the file stays at `tmpPath`.
 */
export async function publishFile(handle: FileHandle, tmpPath: string, cut: number, finalPath: string, fsync: boolean): Promise<string> {
  try {
    await handle.truncate(cut);
    await writeAll(handle, Buffer.from(FILE_FOOTER, 'utf8'), cut);
    if (fsync) await handle.sync();
  } finally {
    await handle.close().catch(() => undefined);
  }
  const target = await freeName(finalPath);
  await rename(tmpPath, target);
  if (fsync) await syncDirectory(dirname(target));
  return target;
}

/** `name.sql`, or `name.N.sql` when a file of that name exists (a run id met twice). */
async function freeName(path: string): Promise<string> {
  const base = path.replace(/\.sql$/, '');
  for (let n = 0; ; n++) {
    const candidate = n === 0 ? path : `${base}.${n}.sql`;
    try {
      await access(candidate, constants.F_OK);
    } catch {
      return candidate;
    }
  }
}

/** Makes a rename durable; not every platform can fsync a directory, so failures are ignored. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
