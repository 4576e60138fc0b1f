/**
 * `bucardo status`'s table options, as Bucardo has them (the command as a process, real databases):
 *
 *  - `--sort=N` orders the rows by Bucardo's column numbers (7: inserts + deletes of the last good run;
 *    1: name), negative reversed; a number without a column is refused, listing the numbers, exit 1;
 *  - ages are written as Bucardo writes them, `51h 4m 5s`; `--show-days` writes `2d 3h 4m 5s`;
 *    `--compress` writes them without spaces.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, statusRow, type Pair } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

/** The sync names of the table's rows, in order. */
const rowNames = (output: string): string[] =>
  output.split('\n').filter((line) => line.includes('|')).map((line) => line.split('|')[0]!.trim());

describe('bucardo status --sort, --show-days, --compress', () => {
  const world = new DaemonWorld(server, 'ssort');
  const pairs: Pair[] = [];
  beforeAll(async () => {
    await world.install();
    // rows moved by each sync's run: sa 3, sb 1, sc 2
    for (const [sync, rows] of [['sa', 3], ['sb', 1], ['sc', 2]] as const) {
      const pair = await world.pair(sync, { autokick: false });
      pairs.push(pair);
      for (let id = 1; id <= rows; id++) await world.insert(pair.a, id);
      await world.ok('kick', sync, '0');
    }
  });
  afterAll(() => world.dispose());

  it('sorts by inserts + deletes, by name reversed; refuses a number with no column', async () => {
    expect(rowNames(await world.ok('status'))).toEqual(['sa', 'sb', 'sc']);
    expect(rowNames(await world.ok('status', '--sort=7'))).toEqual(['sb', 'sc', 'sa']);
    expect(rowNames(await world.ok('status', '--sort=-7'))).toEqual(['sa', 'sc', 'sb']);
    expect(rowNames(await world.ok('status', '--sort', '-1'))).toEqual(['sc', 'sb', 'sa']);

    const refused = await world.bucardo('status', '--sort=2');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe('ERROR: --sort takes a column number (negative to reverse): 1 name, 3 state, 5 last good, 6 last good\'s age, '
      + '7 inserts + deletes of the last good run, 8 last bad, 9 last bad\'s age; not "2" [INVALID_ARGUMENT]\n');
  });

  it('writes ages with spaces, in days with --show-days, without spaces with --compress', async () => {
    // sync sa made, and run, two days ago (status reads the runs since the sync was made)
    await world.sql("UPDATE bucardo.sync SET created = created - interval '3 days' WHERE name = 'sa'");
    await world.sql(`UPDATE bucardo.syncrun SET started = now() - interval '2 days 3 hours 4 minutes 10 seconds',
                                                ended = now() - interval '2 days 3 hours 4 minutes 5 seconds' WHERE sync = 'sa'`);
    const age = (output: string): string => statusRow(output, 'sa')![3]!;
    expect(age(await world.ok('status'))).toMatch(/^51h 4m \d+s$/);
    expect(age(await world.ok('status', '--show-days'))).toMatch(/^2d 3h 4m \d+s$/);
    expect(age(await world.ok('status', '--compress'))).toMatch(/^51h4m\d+s$/);
    expect(age(await world.ok('status', '--show-days', '--compress'))).toMatch(/^2d3h4m\d+s$/);
    // the oldest last good run first by its time (5), last by its age (6)
    expect(rowNames(await world.ok('status', '--sort=5'))[0]).toBe('sa');
    expect(rowNames(await world.ok('status', '--sort=6')).at(-1)).toBe('sa');
  });
});
