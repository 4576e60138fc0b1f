/** How often the line is redrawn (its seconds count). */
const TICK_MS = 1000;

/** Wipes the terminal's current line: the cursor back to its start, the line erased. */
export const WIPE_LINE = '\r\x1b[K';

/** A line redrawn in place on a terminal while long work goes on. */
export interface LiveLine {
  /** Whether the line is drawn at all (stdout is a terminal, and not `--quiet`). */
  readonly drawn: boolean;
  /** Draws the line now with `text(seconds)`. */
  redraw(): void;
  /** Erases the line, so that what is printed next starts on a clean line; the next tick draws it again. */
  wipe(): void;
  /** Stops drawing; the line is left as it is (call `wipe` first to erase it). */
  stop(): void;
}

/**
 * Draws `text(seconds since start)` on stdout, redrawn every second, while stdout is a terminal; a pipe or
 * a file gets nothing from it. A line written to stderr meanwhile (a log line) wipes it first and has it
 * drawn again below, so the two never share a line.
 */
export function startLiveLine(text: (seconds: number) => string, options: { quiet: boolean; off?: boolean }): LiveLine {
  if (!process.stdout.isTTY || options.quiet || options.off) return { drawn: false, redraw: () => undefined, wipe: () => undefined, stop: () => undefined };
  const started = Date.now();
  let stopped = false;
  const redraw = () => {
    if (stopped) return;
    // a line longer than the terminal would wrap, and `\r` would then go back to its last row only (a
    // terminal of no known size, as one a pipe makes, counts as 80 columns)
    const width = (process.stdout.columns || 80) - 1;
    const shown = text(Math.round((Date.now() - started) / 1000));
    // cut at the start: the end holds what changes (the count, the seconds)
    process.stdout.write(`\r${shown.length > width ? `…${shown.slice(shown.length - width + 1)}` : shown}`);
  };
  redraw();
  const ticking = setInterval(redraw, TICK_MS);
  const stderr = process.stderr;
  const ownWrite = stderr.write;
  if (stderr.isTTY) {
    stderr.write = function writeBelowLiveLine(this: typeof stderr, ...args: Parameters<typeof ownWrite>) {
      process.stdout.write(WIPE_LINE);
      const written = ownWrite.apply(this, args);
      redraw();
      return written;
    } as typeof ownWrite;
  }
  return {
    drawn: true,
    redraw,
    wipe: () => { process.stdout.write(WIPE_LINE); },
    stop: () => {
      stopped = true;
      clearInterval(ticking);
      stderr.write = ownWrite;
    },
  };
}
