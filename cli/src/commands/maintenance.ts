import { BucardoError } from '@bucardo/plugin-sdk';
import type { DatabaseFailure } from '@bucardo/core';
import { printError } from '../print-error.js';
import type { CliSession } from '../cli-session.js';
import { matchSyncs } from './sync-names.js';

/** `bucardo validate SYNC…|all`: `Validating sync S ... OK` or each problem, then any warning; the exit code is the number of failing syncs. */
export async function validate(session: CliSession): Promise<number> {
  const words = session.words.filter((word) => !/^syncs?$/i.test(word));
  if (words.length === 0) throw new BucardoError('INVALID_ARGUMENT', 'Usage: bucardo validate SYNC…|all');
  const bucardo = await session.bucardo();
  const names = matchSyncs(words, (await bucardo.listSyncs()).map((sync) => sync.name));
  let failures = 0;
  for (const result of await bucardo.validate(names)) {
    const failed = result.problems.length > 0;
    if (failed) failures++;
    session.print([
      `Validating sync ${result.sync} ... ${failed ? 'FAILED' : 'OK'}`,
      ...result.problems.map((problem) => `  ${problem.message} [${problem.code}]`),
      ...result.warnings.map((warning) => `  Warning: ${warning.message} [${warning.code}]`),
    ].join('\n'));
  }
  return Math.min(failures, 125);
}

/** `bucardo purge [DB…]`: deletes consumed change records now; a database that cannot be reached is named, the others still purged (exit 1). */
export async function purge(session: CliSession): Promise<number> {
  const dbs = session.words.filter((word) => word !== 'all');
  const results = await (await session.bucardo()).purge(dbs.length > 0 ? dbs : undefined);
  const unread = dbs.filter((db) => !results.some((result) => result.db === db));
  if (unread.length > 0) session.print(`Nothing to purge on ${unread.join(', ')}: no sync has consumed change records there`);
  else if (results.length === 0) session.print('Nothing to purge: no database has capture');
  for (const result of results) if ('purged' in result) session.print(`Checking db ${result.db}\n${result.db}: ${result.purged} consumed change records purged`);
  return failures(results);
}

/** `bucardo delta [DB…]`: the change records not consumed yet, per database and table; a database that cannot be reached is named (exit 1). */
export async function delta(session: CliSession): Promise<number> {
  const dbs = session.words.filter((word) => word !== 'totals' && word !== 'all');
  const results = await (await session.bucardo()).delta(dbs.length > 0 ? dbs : undefined);
  const rows = results.filter((row) => 'pending' in row);
  const total = rows.reduce((sum, row) => sum + row.pending, 0);
  session.print(`Total deltas across all targets: ${total}`);
  for (const db of [...new Set(rows.map((row) => row.db))]) {
    const mine = rows.filter((row) => row.db === db);
    session.print(`  Total deltas for database ${db}: ${mine.reduce((sum, row) => sum + row.pending, 0)}`);
    for (const row of mine) session.print(`    ${row.table}: ${row.pending}`);
  }
  return failures(results);
}

/** Prints the databases that could not be read, after what could: 1 when there was any. */
function failures(results: ReadonlyArray<DatabaseFailure | object>): number {
  const failed = results.filter((result): result is DatabaseFailure => 'error' in result);
  for (const failure of failed) printError(failure.error);
  return failed.length > 0 ? 1 : 0;
}
