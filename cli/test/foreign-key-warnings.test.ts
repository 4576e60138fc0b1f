/** The foreign-key check after `add sync` / `add table … herd=H` warns, and never fails the command, even when it throws. */
import type { Bucardo } from '@bucardo/core';
import { BucardoError } from '@bucardo/plugin-sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { warnForeignKeys } from '../src/commands/foreign-key-warnings.js';

/** What `fn` writes to stderr. */
async function stderrOf(fn: () => Promise<void>): Promise<string> {
  let written = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => { written += String(chunk); return true; });
  await fn();
  return written;
}

afterEach(() => { vi.restoreAllMocks(); });

describe('warnForeignKeys', () => {
  it('a check that throws (the control connection lost after the change) is one warning line, not a failure', async () => {
    const bucardo = { foreignKeyWarnings: async () => { throw new BucardoError('CONNECTION_FAILED', 'Connection terminated unexpectedly', { db: 'control' }); } } as unknown as Bucardo;
    expect(await stderrOf(() => warnForeignKeys(bucardo, ['s1', 's2']))).toBe(
      'WARNING: The foreign keys of syncs "s1", "s2" were not checked (bucardo validate s1 s2 checks them): Connection terminated unexpectedly [CONNECTION_FAILED]\n');
  });

  it('an error that is not a BucardoError is one warning line too', async () => {
    const bucardo = { foreignKeyWarnings: async () => { throw new Error('socket hang up'); } } as unknown as Bucardo;
    expect(await stderrOf(() => warnForeignKeys(bucardo, ['s']))).toBe(
      'WARNING: The foreign keys of sync "s" were not checked (bucardo validate s checks them): socket hang up\n');
  });
});
