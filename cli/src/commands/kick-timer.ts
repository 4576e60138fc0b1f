/** How often the seconds are redrawn. */
const TICK_MS = 1000;

/** Wipes the terminal's current line: the cursor back to its start, the line erased. */
const WIPE_LINE = '\r\x1b[K';

/** A live `Kick S: [N s] ` line, drawn until `stop()`. */
export interface KickTimer {
  /** What the final line starts with: `\r` when the timer drew the line, so that the result ends it. */
  readonly prefix: string;
  stop(): void;
}

/**
 * Bucardo's kick timer: while a kick waits, a terminal shows `Kick S: [N s] ` with the seconds counting,
 * so a long run is seen to be alive. Drawn only on a terminal (a pipe or a file gets the one final line,
 * as before) and not with `--quiet` or `--notimer`. A log line written to the terminal meanwhile (a run's
 * warning) wipes the timer's line first and has it drawn again below, so the two never share a line.
 */
export function startKickTimer(sync: string, options: { quiet: boolean; noTimer: boolean }): KickTimer {
  if (!process.stdout.isTTY || options.quiet || options.noTimer) return { prefix: '', stop: () => undefined };
  const started = Date.now();
  const draw = () => process.stdout.write(`\rKick ${sync}: [${Math.round((Date.now() - started) / 1000)} s] `);
  draw();
  const ticking = setInterval(draw, TICK_MS);
  const stderr = process.stderr;
  const ownWrite = stderr.write;
  if (stderr.isTTY) {
    stderr.write = function writeBelowTimer(this: typeof stderr, ...args: Parameters<typeof ownWrite>) {
      process.stdout.write(WIPE_LINE);
      const written = ownWrite.apply(this, args);
      draw();
      return written;
    } as typeof ownWrite;
  }
  return {
    prefix: '\r',
    stop: () => {
      clearInterval(ticking);
      stderr.write = ownWrite;
    },
  };
}
