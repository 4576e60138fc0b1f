import type { RunInfo } from '@bucardo/plugin-sdk';

/** `YYYYmmdd_HHMMSS` in UTC. */
export function fileStamp(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getUTCFullYear()}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}_${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}`;
}

/** Keeps a name part to letters, digits, `_` and `-` (sync names and run ids already are). */
function safePart(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_') || '_';
}

/**
 * `bucardo.flatfile.<sync>.<YYYYmmdd_HHMMSS>.<runId>.sql`: Bucardo's name plus the run id, which keeps
 * names unique when several runs start in one second. `sort -V` lists a sync's files in run order.
 */
export function finalFileName(run: RunInfo): string {
  return `bucardo.flatfile.${safePart(run.sync)}.${fileStamp(run.startedAt)}.${safePart(run.runId)}.sql`;
}

/** The name a run writes to until it is published. */
export function tempFileName(run: RunInfo): string {
  return `${finalFileName(run)}.tmp`;
}

/** Whether `name` is the file of a run of `sync` not published yet: one left by a process that stopped, or by a failed publish. */
export function isTempFileOf(name: string, sync: string): boolean {
  return name.startsWith(`bucardo.flatfile.${safePart(sync)}.`) && name.endsWith('.sql.tmp');
}
