/**
 * `bucardo kick` asked for several syncs (`all`, a wildcard, several names), run as a process: a paused or
 * inactive sync among them is passed over with Bucardo's line (`Cannot kick paused sync "s2"`, on stdout),
 * the others are kicked, and the exit code is that of the kicked ones. Users saw `kick all 0` stop at the
 * first paused sync with exit code 3, the syncs after it never kicked. One paused sync named alone is
 * still an error (SYNC_INACTIVE, exit code 3). No daemon runs: `kick … 0` runs each sync in the process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { bucardoEnv, runBucardo, type CliResult } from '../src/helpers/cli.js';
import { createDatabase, dropDatabase, uniqueName, withClient } from '../src/helpers/databases.js';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('kicks_ctl');
const db = { a: uniqueName('kicks_a'), b: uniqueName('kicks_b') };
/** The pid files `kick` looks for, and a directory without a config file to find. */
const dir = mkdtempSync(path.join(os.tmpdir(), 'kicks-'));
const env = { ...bucardoEnv(server, control), BUCARDO_PID_DIR: dir };
const bucardo = (...args: string[]): Promise<CliResult> => runBucardo(args, { env, cwd: dir });
const sql = (database: string, text: string) => withClient(server.url(database), (c) => c.query(text));
/** The ids on the target, per table. */
const onTarget = async () => {
  const { rows } = await sql(db.b, "SELECT 't1' AS t, array_agg(id ORDER BY id) AS ids FROM t1 UNION ALL SELECT 't2', array_agg(id ORDER BY id) FROM t2 UNION ALL SELECT 't3', array_agg(id ORDER BY id) FROM t3 UNION ALL SELECT 't4', array_agg(id ORDER BY id) FROM t4");
  return Object.fromEntries(rows.map((row: { t: string; ids: number[] | null }) => [row.t, row.ids ?? []]));
};
const ok = async (...args: string[]) => {
  const r = await bucardo(...args);
  expect(r.code, `bucardo ${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
  return r;
};
const DONE = (sync: string) => new RegExp(`^Kick ${sync}: \\[\\d+ s\\] DONE!$`);

beforeAll(async () => {
  for (const name of [db.a, db.b]) {
    await createDatabase(server, name);
    await sql(name, 'CREATE TABLE t1 (id int PRIMARY KEY); CREATE TABLE t2 (id int PRIMARY KEY); CREATE TABLE t3 (id int PRIMARY KEY); CREATE TABLE t4 (id int PRIMARY KEY)');
  }
  await ok('install');
  await ok('add', 'db', 'a', `dbname=${db.a}`);
  await ok('add', 'db', 'b', `dbname=${db.b}`);
  await ok('add', 'dbgroup', 'g', 'a:source', 'b:target');
  // foobar, then s2 (paused), s3, then s4 (inactive): `all` takes them in that order
  for (const [sync, table] of [['foobar', 't1'], ['s2', 't2'], ['s3', 't3'], ['s4', 't4']] as const) {
    await ok('add', 'table', table, `db=a`, `herd=h_${sync}`);
    await ok('add', 'sync', sync, `herd=h_${sync}`, 'dbs=g', 'ping=false');
  }
  await ok('pause', 's2');
  await ok('deactivate', 's4');
});

afterAll(async () => {
  for (const name of [...Object.values(db), control]) await dropDatabase(server, name);
  rmSync(dir, { recursive: true, force: true });
});

describe('kick of several syncs, some not active', () => {
  it('kick all 0: passes over the paused and the inactive sync with a line each, kicks the others, exit 0', async () => {
    await sql(db.a, 'INSERT INTO t1 VALUES (1); INSERT INTO t2 VALUES (1); INSERT INTO t3 VALUES (1); INSERT INTO t4 VALUES (1)');
    const r = await bucardo('kick', 'all', '0');
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(DONE('foobar'));
    expect(lines[1]).toBe('Cannot kick paused sync "s2"');
    expect(lines[2]).toMatch(DONE('s3'));
    expect(lines[3]).toBe('Cannot kick inactive sync "s4"');
    expect(lines[4]).toBe('');
    expect(r.code).toBe(0);
    expect(await onTarget()).toEqual({ t1: [1], t2: [], t3: [1], t4: [] });
  });

  it('a wildcard: the exit code is the kicked syncs\' (2, a failed run), not the paused one\'s', async () => {
    await sql(db.b, 'ALTER TABLE t3 ADD CONSTRAINT t3_small CHECK (id < 100)');
    try {
      await sql(db.a, 'INSERT INTO t2 VALUES (2); INSERT INTO t3 VALUES (200)');
      const r = await bucardo('kick', 's%', '0');
      // the failed run's warning from the log; nothing about the syncs passed over
      expect(r.stderr).toMatch(/^\(\d+\) \[[^\]]+\] WARN CLI sync=s3 run=\d+ Sync "s3" failed: new row for relation "t3" violates check constraint "t3_small" \(the row with key 200 from database "[^"]+"\) \(database "[^"]+", table public\.t3\) \[APPLY_FAILED\]\n$/);
      const lines = r.stdout.split('\n');
      expect(lines[0]).toBe('Cannot kick paused sync "s2"');
      expect(lines[1]).toMatch(/^Kick s3: \[\d+ s\] KILLED!$/);
      expect(r.stdout).toContain(' (the row with key 200 from database "a") [APPLY_FAILED] (db b, table public.t3, sync s3, key 200, sqlstate 23514)\n');
      expect(lines.at(-2)).toBe('Cannot kick inactive sync "s4"');
      expect(r.code).toBe(2);
      expect(await onTarget()).toEqual({ t1: [1], t2: [], t3: [1], t4: [] });
    } finally {
      await sql(db.b, 'ALTER TABLE t3 DROP CONSTRAINT t3_small');
    }
  });

  it('several names, without waiting: the paused one is passed over, the others are queued', async () => {
    const r = await bucardo('kick', 'foobar', 's2', 's3');
    expect(r.stderr).toBe('');
    const notice = ' (no daemon is running: it runs when one starts; "bucardo kick SYNC 0" runs it now)';
    expect(r.stdout).toBe(`Kicked sync foobar${notice}\nCannot kick paused sync "s2"\nKicked sync s3${notice}\n`);
    expect(r.code).toBe(0);
  });

  it('several syncs, none of them active: each passed over with its line, then SYNC_INACTIVE, exit 3', async () => {
    for (const args of [['kick', 's2', 's4', '0'], ['kick', 's2', 's4']]) {
      const r = await bucardo(...args);
      expect(r.stdout, args.join(' ')).toBe('Cannot kick paused sync "s2"\nCannot kick inactive sync "s4"\n');
      expect(r.stderr, args.join(' ')).toBe('ERROR: No sync was kicked: "s2", "s4" are paused or inactive [SYNC_INACTIVE]\n');
      expect(r.code, args.join(' ')).toBe(3);
    }
  });

  it('one paused sync named alone keeps its error: SYNC_INACTIVE, exit 3, nothing run', async () => {
    for (const args of [['kick', 's2', '0'], ['kick', 's2']]) {
      const r = await bucardo(...args);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr).toBe('ERROR: Cannot kick paused sync "s2" [SYNC_INACTIVE]\n');
      expect(r.code).toBe(3);
    }
    expect((await onTarget()).t2).toEqual([]);
  });

  it('status shows the syncs that do not run as such, after their last run\'s state', async () => {
    const r = await bucardo('status');
    expect(r.code, r.stderr).toBe(0);
    const states = new Map(r.stdout.split('\n').slice(2).filter(Boolean).map((line) => {
      const cells = line.split('|').map((cell) => cell.trim());
      return [cells[0]!, cells[1]!] as const;
    }));
    expect(states.get('s2')).toBe('No records found (paused)');
    expect(states.get('s4')).toBe('No records found (inactive)');
    expect(states.get('foobar')).toBe('Good');
  });
});
