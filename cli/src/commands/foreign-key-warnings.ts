import type { Bucardo } from '@bucardo/core';
import { BucardoError, isBucardoError } from '@bucardo/plugin-sdk';
import { printWarning } from '../print-error.js';

/**
 * After a command that changed a sync's tables succeeded (`add sync`, `update sync … add table`, `add table
 * herd=H`): `WARNING:` lines for its foreign keys that leave its herd, as `validate` warns. The change is
 * made whatever they say; a check that fails is a warning too, not the command's failure.
 */
export async function warnForeignKeys(bucardo: Bucardo, sync: string): Promise<void> {
  try {
    for (const warning of await bucardo.foreignKeyWarnings(sync)) printWarning(warning);
  } catch (error) {
    const said = `The foreign keys of sync "${sync}" were not checked (bucardo validate ${sync} checks them): ${error instanceof Error ? error.message : String(error)}`;
    printWarning(isBucardoError(error) ? new BucardoError(error.code, said, error.subject) : new Error(said));
  }
}
