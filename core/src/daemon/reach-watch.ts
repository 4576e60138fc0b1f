import type { RunReport } from '@bucardo/plugin-sdk';

/** How often a database that refused the sync's last run is test-connected while the retry waits. */
export const REACH_CHECK_MS = 2000;

/**
 * Which database a stalled sync waits for, and when to test-connect it next. The retries back off to 30 s
 * apart, so a server back after an outage of a minute waited up to 30 s more for the next retry; a
 * connection attempt every two seconds (refused at once while the server is down, and logged nowhere)
 * lets the retry come as soon as it answers.
 */
export class ReachWatch {
  #db: string | undefined;
  #nextAt = 0;

  /** After a failed run: watch the database it could not connect to, if that is why it failed. */
  watch(report: RunReport | undefined, now = Date.now()): void {
    const error = report?.error;
    this.#db = error?.code === 'CONNECTION_FAILED' && typeof error.db === 'string' ? error.db : undefined;
    this.#nextAt = now + REACH_CHECK_MS;
  }

  clear(): void {
    this.#db = undefined;
  }

  /** The database to test-connect now, if one is watched and its next test is due (then planned again). */
  due(now = Date.now()): string | undefined {
    if (this.#db === undefined || now < this.#nextAt) return undefined;
    this.#nextAt = now + REACH_CHECK_MS;
    return this.#db;
  }
}
