import type { TargetSession } from '@bucardo/plugin-sdk';
import { finalFailure } from './retries.js';

/**
 * Commits one transaction on every database: first each checks what its commit would check (deferred
 * constraints), then all commit. A refusal in the first step leaves nothing committed anywhere, so the
 * transaction may be tried again; a commit that fails after that came after others committed, and is
 * final (trying again would write those twice: an additive merge would count twice).
 * `onEvery` runs its work on every target at once and names the database of a failure; `refused` is
 * given a failure of the first step (to mark it for the applyFailed hook) and returns what to throw.
 */
export async function commitEverywhere(
  onEvery: (work: (target: TargetSession) => Promise<void>) => Promise<unknown>, signal: AbortSignal, refused: (error: unknown) => unknown = (error) => error,
): Promise<void> {
  await onEvery(async (target) => { await target.prepareCommit?.(signal); }).catch((error: unknown) => {
    throw refused(error);
  });
  await onEvery((target) => target.commit()).catch((error: unknown) => {
    throw finalFailure(error);
  });
}
