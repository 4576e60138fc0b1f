/** A sleep that ends early when woken (a NOTIFY arrived) or aborted (the daemon is stopping). */
export class WakeSignal {
  #wake: (() => void) | undefined;
  #pending = false;

  wake(): void {
    this.#pending = true;
    this.#wake?.();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.#pending || signal?.aborted) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.#wake = undefined;
        this.#pending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.#wake = done;
    });
  }
}

/** Exponential backoff after failures: 1 s, 2 s, 4 s, … up to `max`. */
export function backoffMs(failures: number, max: number): number {
  return Math.min(max, 1000 * 2 ** Math.max(0, failures - 1));
}

/**
 * The pause before the next autokick probe: `pollMs`, or longer when the last probe took long (hundreds
 * of busy tables), so that probing never takes more than a fifth of a source's time while nothing happens.
 * A kick still wakes the worker at once.
 */
export function pollDelayMs(pollMs: number, lastProbeMs: number): number {
  return Math.max(pollMs, Math.round(4 * lastProbeMs));
}
