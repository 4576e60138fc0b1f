import { readFileSync } from 'node:fs';

/** What became of a process of this machine: `zombie` has ended, and only waits for its parent to reap it. */
export type ProcessState = 'running' | 'zombie' | 'ended';

/**
 * Whether process `pid` of this machine still runs. `kill(pid, 0)` succeeds on a zombie (a process killed
 * whose parent has not reaped it, as with a daemon whose parent ignores its children), so Linux's
 * /proc/PID/stat settles it; where there is no /proc, a process that exists counts as running.
 */
export function processState(pid: number): ProcessState {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, under another user
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return 'ended';
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' && process.platform === 'linux' ? 'ended' : 'running';
  }
  // `pid (comm) S …`: comm may hold spaces and parentheses, the state follows the last `)`
  const state = stat.charAt(stat.lastIndexOf(')') + 2);
  if (state === 'Z') return 'zombie';
  return state === 'X' ? 'ended' : 'running';
}
