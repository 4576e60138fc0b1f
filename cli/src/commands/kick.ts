import { BucardoError, type RunReport } from '@bucardo/plugin-sdk';
import type { CliSession } from '../cli-session.js';
import { matchSyncs } from './sync-names.js';

/** Bucardo's kick exit codes. */
const DONE = 0;
const TIMED_OUT = 1;
const KILLED = 2;

/**
 * `bucardo kick SYNC… [TIMEOUT]`: runs each sync now and reports `DONE!` or `KILLED!` with the error.
 * A timeout of N seconds stops a run that takes longer (it is rolled back; nothing is half-applied) and
 * exits 1; `0` waits as long as it takes. Without a timeout the result is printed as `Kicked sync S`.
 */
export async function kick(session: CliSession): Promise<number> {
  const words = session.words.filter((word) => word.toLowerCase() !== 'sync' && word.toLowerCase() !== 'syncs');
  const timeoutWord = words.length > 1 && /^\d+$/.test(words.at(-1)!) ? words.at(-1) : undefined;
  const patterns = timeoutWord === undefined ? words : words.slice(0, -1);
  if (patterns.length === 0) throw new BucardoError('INVALID_ARGUMENT', 'Usage: bucardo kick SYNC… [TIMEOUT]');
  const bucardo = await session.bucardo();
  const names = matchSyncs(patterns, (await bucardo.listSyncs()).map((sync) => sync.name));
  const timeout = timeoutWord === undefined ? undefined : Number(timeoutWord);
  let exitCode = DONE;
  for (const name of names) {
    const started = Date.now();
    const signal = timeout ? AbortSignal.timeout(timeout * 1000) : undefined;
    const report = await bucardo.runSync(name, signal ? { signal } : {});
    const seconds = Math.round((Date.now() - started) / 1000);
    if (timeout === undefined) {
      session.print(report.outcome === 'bad' ? `Kick of sync ${name} failed: ${report.error?.message ?? 'unknown error'}` : `Kicked sync ${name}`);
      if (report.outcome === 'bad') exitCode = KILLED;
      continue;
    }
    if (report.outcome === 'bad' && signal?.aborted) {
      process.stdout.write(`Kick ${name}: [${seconds} s] `);
      process.stderr.write('Timed out!\n');
      exitCode = TIMED_OUT;
      continue;
    }
    if (report.outcome === 'bad') {
      session.print(`Kick ${name}: [${seconds} s] KILLED!\n\n${killReason(report)}\n`);
      exitCode = KILLED;
    } else {
      session.print(`Kick ${name}: [${seconds} s] DONE!`);
    }
  }
  return exitCode;
}

function killReason(report: RunReport): string {
  const error = report.error;
  const subject = error ? Object.entries(error).filter(([field]) => field !== 'message' && field !== 'code').map(([field, value]) => `${field} ${String(value)}`) : [];
  return [
    `  Started: ${report.startedAt.toISOString()}`,
    `  Ended: ${report.endedAt.toISOString()}`,
    `    ${error?.message ?? 'unknown error'} [${error?.code ?? 'UNKNOWN'}]${subject.length ? ` (${subject.join(', ')})` : ''}`,
  ].join('\n');
}
