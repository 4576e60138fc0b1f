import { startLiveLine, type LiveLine } from '../live-line.js';

/**
 * Bucardo's kick timer: while a kick waits, a terminal shows `Kick S: [N s] ` with the seconds counting,
 * so a long run is seen to be alive; the result (`DONE!`) is printed after `\r`, over it. Not drawn into
 * a pipe or a file (they get the one final line), nor with `--quiet` or `--notimer`.
 */
export function startKickTimer(sync: string, options: { quiet: boolean; noTimer: boolean }): LiveLine & { readonly prefix: string } {
  const line = startLiveLine((seconds) => `Kick ${sync}: [${seconds} s] `, { quiet: options.quiet, off: options.noTimer });
  return Object.assign(line, { prefix: line.drawn ? '\r' : '' });
}
