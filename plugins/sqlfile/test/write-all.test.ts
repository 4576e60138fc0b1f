/**
 * A write may take fewer bytes than it was given without an error (a disk filling up, a file size
 * limit): writeAll writes the rest, and fails when a write takes nothing, so a transaction is never
 * counted as written when only part of it is. A file handle that takes at most 3 bytes a call stands in
 * for such a disk.
 */
import { describe, expect, it } from 'vitest';
import type { FileHandle } from 'node:fs/promises';
import { writeAll } from '../src/write-all.js';

/** A handle over `file` whose writes take at most `most` bytes each, and nothing once `room` is used. */
function shortWrites(file: Buffer, most: number, room = Infinity): FileHandle {
  let used = 0;
  return {
    async write(data: Buffer, offset: number, length: number, position: number) {
      const n = Math.max(0, Math.min(most, length, room - used));
      data.copy(file, position, offset, offset + n);
      used += n;
      return { bytesWritten: n, buffer: data };
    },
  } as unknown as FileHandle;
}

describe('writeAll', () => {
  it('writes all of the data through short writes, at the position given', async () => {
    const file = Buffer.alloc(16, '.');
    await writeAll(shortWrites(file, 3), Buffer.from('transaction'), 2);
    expect(file.toString()).toBe('..transaction...');
  });

  it('fails when a write takes nothing (the disk is full), saying how much was written', async () => {
    const file = Buffer.alloc(16, '.');
    await expect(writeAll(shortWrites(file, 3, 5), Buffer.from('transaction'), 0)).rejects.toThrow('wrote 5 of 11 bytes (is the disk full?)');
  });
});
