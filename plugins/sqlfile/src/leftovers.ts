import { open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@bucardo/plugin-sdk';
import { isTempFileOf } from './file-names.js';
import { publishFile } from './file-publish.js';
import { lastTransactionEnd, tokenOf } from './transaction-marker.js';

/** How much of a file's start is searched for its token line (the header names the sync and the database, whose names may be long). */
const HEAD_BYTES = 1 << 20;

/**
 * Publishes the files of `sync` that earlier runs left unpublished in `dir` (the process stopped, or the
 * publish failed), oldest run first, each cut after its last whole transaction: what they hold was
 * committed on the other databases (but perhaps the last, written before a commit that never came, whose
 * changes come again later), and no run sends it again. A file with no whole transaction is removed. A
 * file whose header names no token (not written by this version) cannot be cut safely: it is renamed to
 * `….sql.unpublished`, never removed, and a warning says so. `own` is the running run's file, left alone.
 * A failure is thrown: a later run's file published before an earlier one's would be replayed out of order.
 */
export async function publishLeftovers(dir: string, sync: string, own: string, fsync: boolean, log: Logger, db: string): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => isTempFileOf(name, sync) && name !== own);
  } catch {
    return; // a missing directory holds no leftovers; beginRun makes it
  }
  // run order: by run id (the control database's, always increasing), not by the start time in the name,
  // which a clock stepped back or another host's clock could put out of order
  names.sort((a, b) => runIdOf(a) - runIdOf(b) || a.localeCompare(b, 'en', { numeric: true }));
  for (const name of names) {
    const path = join(dir, name);
    const handle = await open(path, 'r+');
    let cut = -1;
    let token: string | undefined;
    let size = 0;
    try {
      ({ size } = await handle.stat());
      const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
      await handle.read(head, 0, head.length, 0);
      token = tokenOf(head.toString('utf8'));
      if (token !== undefined) cut = await lastTransactionEnd(handle, size, token);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    if (token === undefined && size === 0) {
      // the process stopped before it wrote the header: nothing in it
      await handle.close().catch(() => undefined);
      await rm(path, { force: true });
      continue;
    }
    if (token === undefined) {
      await handle.close().catch(() => undefined);
      const kept = `${path.slice(0, -'.tmp'.length)}.unpublished`;
      await rename(path, kept);
      log.log('warn', `Kept ${kept}, which an earlier run of sync "${sync}" left unpublished: its header names no end-of-transaction token (an older version wrote it), so where its last whole transaction ends is unknown; it may hold committed transactions, to be replayed by hand`, { db });
      continue;
    }
    if (cut < 0) {
      await handle.close().catch(() => undefined);
      await rm(path, { force: true });
      log.log('normal', `Removed ${path}: an earlier run of sync "${sync}" left it with no whole transaction`, { db });
      continue;
    }
    const published = await publishFile(handle, path, cut, path.slice(0, -'.tmp'.length), fsync);
    log.log('normal', `Published ${published}, which an earlier run of sync "${sync}" left unpublished`, { db });
  }
}

/** The run id in a run file's name (`bucardo.flatfile.<sync>.<stamp>.<runId>.sql.tmp`), or 0 when it is not a number. */
function runIdOf(name: string): number {
  const id = /\.(\d+)\.sql\.tmp$/.exec(name)?.[1];
  return id === undefined ? 0 : Number(id);
}
