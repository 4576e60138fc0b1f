/**
 * The target's directory is made one level at a time: nested directories are made, an existing one is
 * fine, and a parent that refuses new entries (`/proc`) is an error naming the database and directory at
 * once, where Node 20's recursive mkdir spun for ever (`add db f2 type=flatpg dir=/proc/nope` hung).
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDirectory } from '../src/make-directory.js';
import { prepareDirectory } from '../src/sqlfile-target.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'sqlfile-mkdir-'));

describe('makeDirectory', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('makes nested directories, and takes one that exists', async () => {
    const deep = path.join(root, 'a', 'b', 'c');
    await makeDirectory(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    await makeDirectory(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
  });

  it('refuses a file where a directory should be', async () => {
    const file = path.join(root, 'plain');
    writeFileSync(file, '');
    await expect(makeDirectory(path.join(file, 'sub'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it.skipIf(!existsSync('/proc/self'))('fails at once under a parent that refuses new entries, naming the database and directory', async () => {
    const started = Date.now();
    await expect(prepareDirectory({ name: 'f2', type: 'flatpg', params: { dir: '/proc/bucardo-nope/deeper' } }))
      .rejects.toMatchObject({ code: 'CONNECTION_FAILED', db: 'f2', item: '/proc/bucardo-nope/deeper' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
