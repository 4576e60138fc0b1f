import type { SyncStatusReport } from '@bucardo/core';
import { prettyDuration } from './time-format.js';

/**
 * How long a run may go without moving on (a new phase, a batch committed or copied) before status says
 * so. A batch normally takes well under this; one that takes longer is still worth a look, and the note
 * claims no more than it knows (no progress, not "blocked").
 */
export const QUIET_NOTE_SECONDS = 10;

/**
 * The sync's state (the State column, `Current state`); for a run in progress that has not moved on for
 * a while, for how long: a run waiting on a lock that another session holds on a target otherwise shows
 * the same phase as a busy one, `Applying public.t to B (0 of 1 keys done; no progress for 24s)`.
 */
export function syncState(report: SyncStatusReport): string {
  const quiet = report.runs.current?.quietFor;
  if (quiet === undefined || quiet === null || quiet < QUIET_NOTE_SECONDS) return report.state;
  const note = `no progress for ${prettyDuration(quiet * 1000)}`;
  // inside the phase's own parentheses when it has them, which say what it had done
  return report.state.endsWith(')') ? `${report.state.slice(0, -1)}; ${note})` : `${report.state} (${note})`;
}
