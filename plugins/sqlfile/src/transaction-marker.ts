import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/**
 * Each transaction in a run's file ends with a line naming a token drawn for that file, which the header
 * names too: a file left unpublished is cut after its last such line, and no row's data can forge one
 * (a COPY value may well be the text of a fixed marker).
 */
export function newToken(): string {
  return randomBytes(8).toString('hex');
}

/** The line that ends a transaction. */
export function transactionEnd(token: string): string {
  return `-- bucardo: end of transaction ${token}\n`;
}

/** The header's line that names the token (it does not itself end a transaction: it starts otherwise). */
export function tokenLine(token: string): string {
  return `-- each transaction below ends with the line "${transactionEnd(token).trimEnd()}"\n`;
}

/** The token a file's first bytes name, if any. */
export function tokenOf(head: string): string | undefined {
  return /^-- each transaction below ends with the line "-- bucardo: end of transaction ([0-9a-f]{16})"$/m.exec(head)?.[1];
}

const CHUNK = 1 << 20;

/**
 * The offset just past the last transaction end of a file of `size` bytes, or -1 when it has none. Read
 * backwards in chunks: a run's file may be larger than one read can hold.
 */
export async function lastTransactionEnd(handle: FileHandle, size: number, token: string): Promise<number> {
  // anchored at a line start: the newline before the marker is part of what is looked for
  const wanted = Buffer.from(`\n${transactionEnd(token)}`, 'utf8');
  // each step back must move: a chunk holds a whole marker and more
  if (CHUNK <= wanted.length) throw new Error(`a read chunk of ${CHUNK} bytes cannot hold a ${wanted.length}-byte marker`);
  for (let end = size; end > 0;) {
    const start = Math.max(0, end - CHUNK);
    const length = end - start;
    const chunk = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(chunk, read, length - read, start + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    const at = chunk.subarray(0, read).lastIndexOf(wanted);
    if (at >= 0) return start + at + wanted.length;
    if (start === 0) break;
    // the next chunk overlaps this one by a marker's length, so a marker across the boundary is found
    end = start + wanted.length - 1;
  }
  return -1;
}
