import type { Bucardo } from '@bucardo/core';
import { BucardoError } from '@bucardo/plugin-sdk';
import { printWarning } from '../print-error.js';

/**
 * After a command that changed syncs' tables succeeded (`add sync`, `update sync … add table`, `add table
 * herd=H`): `WARNING:` lines for their foreign keys that leave their herds, as `validate` warns, sync by
 * sync. The change is made whatever they say; a check that fails is a warning too, not the command's failure.
 */
export async function warnForeignKeys(bucardo: Bucardo, syncs: readonly string[]): Promise<void> {
  for (const { sync, warnings, error } of await bucardo.foreignKeyWarnings(syncs)) {
    for (const warning of warnings) printWarning(warning);
    if (error) printWarning(new BucardoError(error.code, `The foreign keys of sync "${sync}" were not checked (bucardo validate ${sync} checks them): ${error.message}`, error.subject));
  }
}
