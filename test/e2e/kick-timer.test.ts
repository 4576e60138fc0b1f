/**
 * `bucardo kick SYNC TIMEOUT` on a terminal shows Bucardo's live timer: `Kick S: [N s] ` with the seconds
 * counting while the run goes on, redrawn on the same line, and the result (`DONE!`) ends that line. A
 * pipe or a file (every other test), `--notimer` and `--quiet` get no timer: the one final line.
 * A log line (a failed run's warning) wipes the timer's line and has it drawn again below.
 *
 * The run is held on a lock taken on the target's table, so that it lasts past a second; the lock is let
 * go once the run is seen waiting on it, and a second more.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, waitFor } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('bucardo kick on a terminal: the live timer', () => {
  const world = new DaemonWorld(server, 'ktm');
  beforeAll(() => world.install());
  afterAll(() => world.dispose());

  it('counts the seconds on one line while the run waits, and ends it with DONE!', async () => {
    const { a, b } = await world.pair('ktm', { autokick: false });
    await world.insert(a, 1, 2);
    const holder = new pg.Client({ connectionString: b.url });
    await holder.connect();
    try {
      await holder.query('BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
      const kicked = world.bucardoOnTerminal('kick', 'ktm', '0');
      await waitFor('the run waiting on the lock', async () => {
        // asked on another connection: within the holder's transaction the activity view would not change
        const rows = await world.query(b.url, "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()");
        return rows.length > 0;
      }, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await holder.query('COMMIT');
      const result = await kicked;
      expect(result.code, result.stdout).toBe(0);
      // drawn first at 0 s, redrawn at least at 1 s, each time from the start of the line
      expect(result.stdout).toMatch(/^\rKick ktm: \[0 s\] \rKick ktm: \[1 s\] /);
      expect(result.stdout).toMatch(/\rKick ktm: \[\d+ s\] DONE!\r\n$/);
      // nothing but redraws of that one line before the result
      expect(result.stdout.replace(/\r\n$/, '').split('\r').slice(1).every((part) => /^Kick ktm: \[\d+ s\] (DONE!)?$/.test(part))).toBe(true);
    } finally {
      await holder.end();
    }
    expect(await world.query(b.url, 'SELECT id FROM t ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('--notimer and --quiet draw nothing on a terminal; a failed run\'s warning gets a line of its own, KILLED! ends the timer\'s', async () => {
    const { a, b } = await world.pair('ktn', { autokick: false });
    await world.insert(a, 3);
    const plain = await world.bucardoOnTerminal('kick', 'ktn', '0', '--notimer');
    // one line, the run's time in it (0 s on a quiet machine, more on a loaded one)
    expect(plain.stdout).toMatch(/^Kick ktn: \[\d+ s\] DONE!\r\n$/);
    expect(plain.code).toBe(0);
    await world.insert(a, 4);
    const quiet = await world.bucardoOnTerminal('kick', 'ktn', '0', '--quiet');
    expect(quiet.stdout).toBe('');
    expect(quiet.code).toBe(0);
    expect(await world.query(b.url, 'SELECT id FROM t ORDER BY id')).toEqual([{ id: 3 }, { id: 4 }]);

    // a run that fails: the timer's line is ended by KILLED!, the report below it
    await world.query(b.url, 'ALTER TABLE t ADD CONSTRAINT no_five CHECK (id <> 5)');
    await world.insert(a, 5);
    const killed = await world.bucardoOnTerminal('kick', 'ktn', '0');
    // the run's warning wipes the timer's line and has it drawn again below: the two never share a line
    expect(killed.stdout).toMatch(new RegExp([
      '^\\rKick ktn: \\[0 s\\] (\\rKick ktn: \\[\\d+ s\\] )*',
      '\\r\\x1b\\[K\\(\\d+\\) \\[[^\\]]+\\] WARN CLI sync=ktn run=\\d+ Sync "ktn" failed: [^\\r\\n]*"no_five" \\(the row with key 5 from database "[^"]+"\\) \\(database "[^"]+", table public\\.t\\) \\[APPLY_FAILED\\]\\r\\n',
      '\\rKick ktn: \\[\\d+ s\\] (\\rKick ktn: \\[\\d+ s\\] )*KILLED!\\r\\n\\r\\n {2}Started: ',
    ].join('')));
    expect(killed.stdout).toContain('no_five');
    expect(killed.code).toBe(2);
  });
});
