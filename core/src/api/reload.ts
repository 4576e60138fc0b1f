import type { ReloadAnswer } from '../control/daemon-store.js';
import type { BucardoContext } from './context.js';

export interface ReloadOptions {
  /** Tells the daemon to look at its requests (the CLI sends SIGHUP); called once the request is stored. */
  readonly wake: () => void;
  /** Give up after this long (0: wait as long as it takes). */
  readonly timeoutMs: number;
}

export type ReloadResult =
  | { readonly status: 'done' }
  | { readonly status: 'refused'; readonly error: NonNullable<ReloadAnswer['error']> }
  /** `registered`: whether the daemon is in this control database at all (if not, it may use another one). */
  | { readonly status: 'timeout'; readonly registered: boolean };

const POLL_MS = 100;

/**
 * `bucardo reload`: stores a request for daemon `daemon`, wakes it, and waits for its answer: `done` when it
 * took the new config and plugins, `refused` with the error that kept it on its running ones.
 */
export async function reloadDaemon(ctx: BucardoContext, daemon: string, options: ReloadOptions): Promise<ReloadResult> {
  // read first: a control database without the schema says so here, not as a missing reload table
  const registered = (await ctx.control.daemons.daemons()).some((row) => row.id === daemon);
  const requestId = await ctx.control.daemons.requestReload(daemon, ctx.worker);
  options.wake();
  const deadline = options.timeoutMs > 0 ? Date.now() + options.timeoutMs : Infinity;
  for (;;) {
    const answer = await ctx.control.daemons.reloadAnswer(requestId);
    if (answer) return answer.error ? { status: 'refused', error: answer.error } : { status: 'done' };
    if (Date.now() >= deadline) {
      return { status: 'timeout', registered: registered || (await ctx.control.daemons.daemons()).some((row) => row.id === daemon) };
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
