/** The first reminder that the rounds still fail comes this long after the first failure. */
const FIRST_REMINDER_MS = 10_000;
/** Reminders come at twice the previous gap, but at least this often. */
const MAX_REMINDER_MS = 300_000;

/**
 * What the daemon says while its rounds keep failing (the control database is down or restarting). A
 * round is tried every second, and each failure used to be a line of its own: an hour's outage was 3,600
 * identical warnings, and the line saying it was over never came. Now the first failure is said at once,
 * then a reminder with the count after 10 s, 20 s, 40 s … (at most every 5 minutes), and the first round
 * that works again says how long it lasted. Pure bookkeeping: the caller logs the lines it returns.
 */
export class OutageLog {
  #failures = 0;
  #since = 0;
  #nextReminderAt = 0;
  #gapMs = FIRST_REMINDER_MS;

  /** A round failed at `now`: the line to log, if this failure is one to say. */
  failed(message: string, now = Date.now()): string | undefined {
    this.#failures++;
    if (this.#failures === 1) {
      this.#since = now;
      this.#gapMs = FIRST_REMINDER_MS;
      this.#nextReminderAt = now + this.#gapMs;
      return `Daemon round failed: ${message} (retrying every second; said again in ${this.#gapMs / 1000} s if it goes on)`;
    }
    if (now < this.#nextReminderAt) return undefined;
    this.#gapMs = Math.min(MAX_REMINDER_MS, this.#gapMs * 2);
    this.#nextReminderAt = now + this.#gapMs;
    return `Daemon rounds still failing: ${this.#failures} failed rounds in ${seconds(now - this.#since)}; the last: ${message}`;
  }

  /** A round worked at `now`: the line saying the failures are over, if there were any. */
  succeeded(now = Date.now()): string | undefined {
    if (this.#failures === 0) return undefined;
    const line = `Daemon rounds work again after ${this.#failures} failed round(s) in ${seconds(now - this.#since)}`;
    this.#failures = 0;
    return line;
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}
