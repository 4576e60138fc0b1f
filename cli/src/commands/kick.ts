import { BucardoError, isBucardoError, type ErrorCode } from '@bucardo/plugin-sdk';
import { daemonResponds, type KickedRun, type KickResult } from '@bucardo/core';
import type { CliSession } from '../cli-session.js';
import { isWildcard } from './name-pattern.js';
import { startKickTimer } from './kick-timer.js';
import { matchSyncs } from './sync-names.js';

/** Bucardo's kick exit codes. */
const DONE = 0;
const TIMED_OUT = 1;
const KILLED = 2;
const OTHER_ERROR = 3;
/** Ended by Ctrl-C: the shell's code for SIGINT, as the process had before it caught it. */
const INTERRUPTED = 130;

/**
 * `bucardo kick SYNC… [TIMEOUT]`. Without a timeout the run is queued for the daemon and the command
 * returns (`Kicked sync S`). With `0` it waits for the run and prints `DONE!` or `KILLED!` with the
 * error; with N it waits at most N seconds (`Timed out!`). Exit codes as Bucardo: 0 done, 1 timed out,
 * 2 killed, 3 any other error. Asked for several syncs (`all`, a wildcard, several names), it passes over
 * those that are not active with a line on stdout, as Bucardo does, and kicks the others; one sync named
 * alone and not active is an error (SYNC_INACTIVE, exit code 3). `--retry N` kicks a run that ended
 * KILLED again, up to N times.
 */
export async function kick(session: CliSession): Promise<number> {
  try {
    return await kickSyncs(session);
  } catch (error) {
    (error as { exitCode?: number }).exitCode = OTHER_ERROR;
    throw error;
  }
}

async function kickSyncs(session: CliSession): Promise<number> {
  const words = session.words.filter((word) => !/^syncs?$/i.test(word));
  const timeoutWord = words.length > 1 && /^\d+$/.test(words.at(-1)!) ? words.at(-1) : undefined;
  const patterns = timeoutWord === undefined ? words : words.slice(0, -1);
  if (patterns.length === 0) throw new BucardoError('INVALID_ARGUMENT', 'Usage: bucardo kick SYNC… [TIMEOUT]');
  const bucardo = await session.bucardo();
  const names = matchSyncs(patterns, (await bucardo.listSyncs()).map((sync) => sync.name));
  const several = names.length > 1 || patterns.some((pattern) => pattern.toLowerCase() === 'all' || isWildcard(pattern));
  const wait = timeoutWord !== undefined;
  const timeoutMs = wait ? Number(timeoutWord) * 1000 : undefined;
  const { retries, retrySleepMs } = retryOptions(session, wait);
  let exitCode = DONE;
  let stuck = false;
  const passedOver: string[] = [];
  // the syncs a kick reached (a retried one counts once, even when it is paused before its retry)
  const kicked = new Set<string>();
  const queue = names.map((name) => ({ name, attempt: 0 }));
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const { name, attempt } = next;
    const started = Date.now();
    const timer = wait ? startKickTimer(name, session.command.options) : undefined;
    const line = timer?.prefix ?? '';
    let result: KickResult;
    // Ctrl-C while waiting: a daemon's run goes on (as in Bucardo); a run started here is asked to stop
    const interrupt = wait ? onInterrupt() : undefined;
    try {
      result = await bucardo.kick(name, { wait, ...(timeoutMs ? { timeoutMs } : {}), ...(interrupt ? { signal: interrupt.signal } : {}) });
    } catch (error) {
      // the live line is wiped, so that the error starts on a clean line
      timer?.wipe();
      if (!several || !isBucardoError(error) || error.code !== 'SYNC_INACTIVE') throw error;
      // Bucardo's line (`Cannot kick paused sync "s2"`), which --quiet does not silence either: it was asked for and not kicked
      process.stdout.write(`${error.message}\n`);
      passedOver.push(name);
      // a retry passed over leaves the attempt before it the last one: that run ended KILLED
      if (attempt > 0) exitCode = Math.max(exitCode, KILLED);
      continue;
    } finally {
      timer?.stop();
      interrupt?.dispose();
    }
    kicked.add(name);
    const seconds = Math.round((Date.now() - started) / 1000);
    // the run the kick waited for lost its process: said before the result, which is this process's run
    const taken = 'interrupted' in result && result.interrupted !== undefined
      ? `${line}Kick ${name}: run ${result.interrupted} was interrupted (its process ended); ran the sync here, from where it got to\n`
      : line;
    switch (result.status) {
      case 'queued': {
        // a killed daemon's row stays behind: only one that responds will serve the kick
        const daemons = (await bucardo.daemons()).filter((daemon) => daemonResponds(daemon));
        session.print(`Kicked sync ${name}${daemons.length === 0 ? ' (no daemon is running: it runs when one starts; "bucardo kick SYNC 0" runs it now)' : ''}`);
        break;
      }
      case 'timeout':
        if (!session.command.options.quiet) process.stdout.write(`${line}Kick ${name}: [${seconds} s] `);
        process.stderr.write('Timed out!\n');
        exitCode = Math.max(exitCode, TIMED_OUT);
        if ('stuck' in result && result.stuck) {
          // the run this process started ignored its stop: the process ends it once the others are kicked
          process.stderr.write(`The run of sync "${name}" did not stop when asked (a plugin that does not heed its signal): this process ends it; the next run resumes from its last committed transaction\n`);
          stuck = true;
        }
        break;
      case 'stopped':
        if (!session.command.options.quiet) process.stdout.write(`${line}Kick ${name}: [${seconds} s] `);
        process.stderr.write(result.ranHere
          ? result.stuck
            ? `Stopped (Ctrl-C). The run of sync "${name}" did not stop when asked (a plugin that does not heed its signal): this process ends it; the next run resumes from its last committed transaction\n`
            : `Stopped (Ctrl-C): the run of sync "${name}" ended here; the next run resumes from its last committed transaction (bucardo status ${name} says where)\n`
          : `Stopped waiting (Ctrl-C): the daemon's run of sync "${name}" goes on (bucardo status ${name})\n`);
        if (result.stuck) await endWithStuckRun(session, INTERRUPTED);
        return INTERRUPTED;
      case 'failed':
        session.print(`${taken}Kick ${name}: [${seconds} s] KILLED!\n\n${killReason(result.run)}\n`);
        if (attempt < retries) {
          session.print(`Kick ${name}: retrying (${attempt + 1} of ${retries})${retrySleepMs > 0 ? ` in ${retrySleepMs / 1000} s` : ''}`);
          await new Promise((resolve) => setTimeout(resolve, retrySleepMs));
          // at the head of the queue: this sync's kick is over before the next sync's begins, as in Bucardo
          queue.unshift({ name, attempt: attempt + 1 });
          break;
        }
        exitCode = KILLED;
        break;
      case 'done':
        session.print(`${taken}Kick ${name}: [${seconds} s] DONE!`);
        break;
    }
  }
  if (stuck) await endWithStuckRun(session, exitCode);
  // nothing was kicked: a script must not read success (one sync named alone is refused the same way)
  if (passedOver.length > 0 && kicked.size === 0) {
    throw new BucardoError('SYNC_INACTIVE', `No sync was kicked: ${passedOver.map((name) => `"${name}"`).join(', ')} ${passedOver.length === 1 ? 'is' : 'are'} paused or inactive`, { sync: passedOver[0]! });
  }
  return exitCode;
}

/**
 * `--retry N` (Bucardo's): a waiting kick whose run ends KILLED is kicked again, up to N times, with
 * `--retry-sleep` seconds between (Bucardo parses that option but never sleeps). The exit code is the
 * last attempt's. Without waiting there is no end to see, so the options are refused there.
 */
function retryOptions(session: CliSession, wait: boolean): { retries: number; retrySleepMs: number } {
  const { retry, retrySleep } = session.command.options;
  const count = (value: string | undefined, option: string): number => {
    if (value === undefined) return 0;
    if (!/^\d+$/.test(value)) throw new BucardoError('INVALID_ARGUMENT', `${option} takes a whole number, not "${value}"`, { item: option });
    return Number(value);
  };
  const retries = count(retry, '--retry');
  const retrySleepMs = count(retrySleep, '--retry-sleep') * 1000;
  if ((retry !== undefined || retrySleep !== undefined) && !wait) {
    throw new BucardoError('INVALID_ARGUMENT', `${retry !== undefined ? '--retry' : '--retry-sleep'} needs a kick that waits for the run (bucardo kick SYNC 0 --retry N): without a timeout the kick does not see how the run ends`, { item: retry !== undefined ? '--retry' : '--retry-sleep' });
  }
  return { retries, retrySleepMs };
}

/**
 * Ends the process, and with it a run that ignored its stop (it holds the sync's lock, and only the end of
 * its connections lets go): the session is closed first, within a few seconds, so that the logger is
 * flushed and what can be released is; then stdout and stderr are drained.
 */
async function endWithStuckRun(session: CliSession, exitCode: number): Promise<never> {
  await Promise.race([session.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => stream.write('', () => resolve()))));
  process.exit(exitCode);
}

/**
 * The first Ctrl-C aborts the returned signal; a second, as ever, ends the process at once. Disposed when
 * the kick of one sync is over, so that Ctrl-C between kicks ends the process as usual.
 */
function onInterrupt(): { readonly signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const listener = () => {
    if (controller.signal.aborted) process.exit(INTERRUPTED);
    controller.abort();
  };
  process.on('SIGINT', listener);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', listener) };
}

function killReason(run: KickedRun): string {
  const error = run.error;
  const subject = error ? Object.entries(error).filter(([field]) => field !== 'message' && field !== 'code').map(([field, value]) => `${field} ${String(value)}`) : [];
  return [
    `  Started: ${run.startedAt.toISOString()}`,
    `  Ended: ${run.endedAt.toISOString()}`,
    `    ${error?.message ?? 'unknown error'} [${(error?.code as ErrorCode | undefined) ?? 'UNKNOWN'}]${subject.length ? ` (${subject.join(', ')})` : ''}`,
  ].join('\n');
}
