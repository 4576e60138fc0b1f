import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * `mkdir -p`, one level at a time. Node 20's `mkdir(…, { recursive: true })` loops for ever, at full CPU,
 * where a parent exists but refuses new entries with ENOENT (`/proc/x`): `add db dir=/proc/x` hung. Each
 * level here is tried once, after its parent; a failure is thrown as it is.
 */
export async function makeDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if ((await stat(dir)).isDirectory()) return;
      throw error;
    }
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw error;
    await makeDirectory(parent);
    await mkdir(dir).catch(async (again: NodeJS.ErrnoException) => {
      if (again.code !== 'EEXIST' || !(await stat(dir)).isDirectory()) throw again;
    });
  }
}
