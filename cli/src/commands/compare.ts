import { BucardoError } from '@bucardo/plugin-sdk';
import { sequenceDiffers, tableDiffers, type CompareProgress, type ComparisonStart } from '@bucardo/core';
import { startLiveLine, type LiveLine } from '../live-line.js';
import type { CliSession } from '../cli-session.js';
import { printError } from '../print-error.js';
import { formatComparisonEnd, formatComparisonStart, formatSequenceComparison, formatTableComparison } from '../format/comparison.js';
import { isWildcard } from './name-pattern.js';
import { rejectUnknown } from './options.js';
import { matchSyncs } from './sync-names.js';

/** Key lines shown per table without `limit=`. */
const DEFAULT_KEYS = 20;

/** Exit code of a compare that found differences (0: none; 1, as for every command: an error). */
const DIFFERENCES_FOUND = 2;
/** Exit code of a compare that could not compare a table: an error, whatever the others showed. */
const NOT_COMPARED = 1;

/**
 * `bucardo compare SYNC [TABLE…] [limit=N]`: the sync's rows on every database, against its first source.
 * `all` or a wildcard compares each sync it names in turn (no TABLE then); one that cannot be compared is
 * an error line, and the others are still compared. The exit code is the worst: an error, then differences.
 */
export async function compare(session: CliSession): Promise<number> {
  const { limit, ...unknown } = session.params;
  rejectUnknown(unknown, 'compare', ['limit']);
  if (limit !== undefined && !/^\d+$/.test(limit)) throw new BucardoError('INVALID_ARGUMENT', `limit must be a whole number (0: counts only), not "${limit}"`, { item: 'limit' });
  const keys = limit === undefined ? DEFAULT_KEYS : Number(limit);
  const [named, ...tables] = session.words;
  if (named === undefined) throw new BucardoError('INVALID_ARGUMENT', 'Usage: bucardo compare SYNC [TABLE…] [limit=N]');
  const several = named.toLowerCase() === 'all' || isWildcard(named);
  if (several && tables.length > 0) throw new BucardoError('INVALID_ARGUMENT', `Tables can be named for one sync only, not for "${named}": bucardo compare SYNC [TABLE…]`, { sync: named });
  const syncs = several ? matchSyncs([named], (await (await session.bucardo()).listSyncs()).map((sync) => sync.name)) : [named];
  let worst = 0;
  for (const sync of syncs) {
    let code: number;
    try {
      code = await compareOne(session, sync, tables, keys);
    } catch (error) {
      if (!several) throw error;
      printError(error);
      code = NOT_COMPARED;
    }
    worst = worst === NOT_COMPARED || code === NOT_COMPARED ? NOT_COMPARED : Math.max(worst, code);
  }
  return worst;
}

async function compareOne(session: CliSession, sync: string, tables: readonly string[], keys: number): Promise<number> {
  let scope: Pick<ComparisonStart, 'databases' | 'reference'> = { databases: [], reference: '' };
  const progress = new ProgressLine(session.quiet);
  // each table printed as it is done: a long compare shows how far it got, and on a terminal, how far the
  // table it is on got
  const comparison = await (await session.bucardo()).compare(sync, {
    tables,
    keys,
    onStart: (start) => {
      scope = start;
      session.print(formatComparisonStart(start).join('\n'));
    },
    onProgress: (step) => progress.show(step),
    onTable: (table) => {
      progress.end();
      session.print(formatTableComparison(table, scope, keys).join('\n'));
    },
    onSequence: (sequence) => session.print(formatSequenceComparison(sequence).join('\n')),
  }).finally(() => progress.end());
  session.print(formatComparisonEnd(comparison));
  const problems = [...comparison.unreachable.values(), ...[...comparison.tables, ...comparison.sequences].flatMap((item) => [...(item.problem ? [item.problem] : []), ...item.excluded.values()])];
  // --quiet prints nothing but errors: a table not compared is one; the sync is named, as no header line does
  if (session.quiet) for (const problem of problems) printError(new BucardoError(problem.code, `Sync "${sync}": ${problem.message}`, { ...problem.subject, sync }));
  if (problems.length > 0) return NOT_COMPARED;
  return comparison.tables.some(tableDiffers) || comparison.sequences.some(sequenceDiffers) ? DIFFERENCES_FOUND : 0;
}

/** The table being compared, on a terminal: `public.t: summing up the rows on 3 databases… [4 s]`, then how many differing partitions are read. */
class ProgressLine {
  #line: LiveLine | undefined;
  #text = '';
  readonly #quiet: boolean;

  constructor(quiet: boolean) {
    this.#quiet = quiet;
  }

  show(step: CompareProgress): void {
    const text = step.phase === 'summing'
      ? `${step.table}: summing up the rows on ${step.databases} databases…`
      : `${step.table}: reading differing partitions, ${step.done} of ${step.of}…`;
    // each table's seconds count from its start
    if (step.phase === 'summing') this.end();
    const changed = text !== this.#text;
    this.#text = text;
    if (!this.#line) this.#line = startLiveLine((seconds) => `${this.#text} [${seconds} s]`, { quiet: this.#quiet });
    // the seconds tick redraws it; a partition read is drawn at once only when it is the first or the last
    else if (changed && (step.phase === 'summing' || step.done === 0 || step.done === step.of)) this.#line.redraw();
  }

  /** Erases the line, for the table's result. */
  end(): void {
    this.#line?.wipe();
    this.#line?.stop();
    this.#line = undefined;
    this.#text = '';
  }
}
