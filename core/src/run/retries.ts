import { isRetryable, type Logger } from '@bucardo/plugin-sdk';
import type { RunCounts } from './run-counts.js';

/** SQLSTATEs after which the same transaction may simply be tried again. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_RETRIES = 5;
/** Failures after which the transaction must not be tried again, whatever their SQLSTATE. */
const FINAL = new WeakSet<object>();

/**
 * Marks a failure as not to be retried: a COMMIT that failed on one database after others committed (a
 * serialization failure at commit under SERIALIZABLE, a deferred trigger's deadlock). Trying the whole
 * transaction again would write those others twice; the run fails instead, and the next one applies the
 * keys again from the checkpoints, as after any failed run.
 */
export function finalFailure<E>(error: E): E {
  if (typeof error === 'object' && error !== null) FINAL.add(error);
  return error;
}

/**
 * Runs one transaction, trying it again (with backoff: 50 ms, 100 ms, … ) after a serialization failure,
 * a deadlock, or a failure a plugin marked `retryable`, which roll back every database and can succeed on
 * a second attempt.
 */
export async function withRetries<T>(counts: RunCounts, log: Logger, signal: AbortSignal, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    const before = counts.snapshot();
    try {
      return await attempt();
    } catch (error) {
      const sqlstate = (error as { sqlstate?: string }).sqlstate;
      const marked = isRetryable(error);
      if (!((sqlstate && RETRYABLE.has(sqlstate)) || marked) || FINAL.has(error as object) || tries >= MAX_RETRIES || signal.aborted) throw error;
      counts.restore(before);
      counts.retries++;
      const delay = 50 * 2 ** tries;
      const what = sqlstate === '40P01' ? 'Deadlock' : sqlstate === '40001' ? 'Serialization failure' : 'A race with another writer';
      log.log('normal', `${what} (${(error as Error).message}); retrying the transaction in ${delay} ms`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
