import type { FileHandle } from 'node:fs/promises';

/**
 * Writes all of `data` at `position`. A write may take fewer bytes than it was given without an error
 * (a disk that fills up, a file size limit): what it left is written again, and a write that takes
 * nothing fails, rather than a transaction counted as written when half of it is.
 */
export async function writeAll(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  for (let done = 0; done < data.length;) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    if (bytesWritten === 0) throw new Error(`wrote ${done} of ${data.length} bytes (is the disk full?)`);
    done += bytesWritten;
  }
}
