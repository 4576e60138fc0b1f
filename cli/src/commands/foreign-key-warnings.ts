import type { Bucardo } from '@bucardo/core';
import { BucardoError, isBucardoError } from '@bucardo/plugin-sdk';
import { printWarning } from '../print-error.js';

/**
 * After a command that changed syncs' tables succeeded (`add sync`, `update sync … add table`, `add table
 * herd=H`): `WARNING:` lines for their foreign keys that leave their herds, as `validate` warns, sync by
 * sync. The change is made whatever they say; a check that fails is a warning too, not the command's failure,
 * whether one sync's check failed or the whole check did (the control connection lost after the change).
 */
export async function warnForeignKeys(bucardo: Bucardo, syncs: readonly string[]): Promise<void> {
  let results: Awaited<ReturnType<Bucardo['foreignKeyWarnings']>>;
  try {
    results = await bucardo.foreignKeyWarnings(syncs);
  } catch (error) {
    const said = `The foreign keys of ${syncs.length === 1 ? 'sync' : 'syncs'} ${syncs.map((sync) => `"${sync}"`).join(', ')} were not checked (bucardo validate ${syncs.join(' ')} checks them): ${error instanceof Error ? error.message : String(error)}`;
    printWarning(isBucardoError(error) ? new BucardoError(error.code, said, error.subject) : new Error(said));
    return;
  }
  for (const { sync, warnings, error } of results) {
    for (const warning of warnings) printWarning(warning);
    if (error) printWarning(new BucardoError(error.code, `The foreign keys of sync "${sync}" were not checked (bucardo validate ${sync} checks them): ${error.message}`, error.subject));
  }
}
