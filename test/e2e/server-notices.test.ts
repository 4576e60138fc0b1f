/**
 * What a database says while a run writes into it: a user's trigger on the target that raises a WARNING
 * (an audit trigger, say) is logged by `bucardo kick`, naming the database, where node-postgres used to
 * drop it unheard; NOTICEs only at verbose; and a trigger that warns for every row is not let flood the
 * log (20 a minute per connection, then counted). The rows arrive either way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { bucardoEnv, runBucardo, type CliResult } from '../src/helpers/cli.js';
import { createDatabase, dropDatabase, uniqueName, withClient } from '../src/helpers/databases.js';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('notice_ctl');
const db = { a: uniqueName('notice_a'), b: uniqueName('notice_b') };
const dir = mkdtempSync(path.join(os.tmpdir(), 'notices-'));
const env = { ...bucardoEnv(server, control), BUCARDO_PID_DIR: dir };
const bucardo = (...args: string[]): Promise<CliResult> => runBucardo(args, { env, cwd: dir });
const sql = (database: string, text: string) => withClient(server.url(database), (c) => c.query(text));
const ok = async (...args: string[]) => {
  const r = await bucardo(...args);
  expect(r.code, `bucardo ${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
  return r;
};
/** The log lines of a kick's stderr, without their `(pid) [time] ` prefix. */
const lines = (r: CliResult) => r.stderr.split('\n').filter(Boolean).map((line) => line.replace(/^\(\d+\) \[[^\]]+\] /, ''));

beforeAll(async () => {
  for (const name of [db.a, db.b]) {
    await createDatabase(server, name);
    await sql(name, 'CREATE TABLE t (id int PRIMARY KEY, v text)');
  }
  await sql(db.b, `CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.v = 'loud' THEN RAISE WARNING 'audit: row % is loud', NEW.id; END IF;
      IF NEW.v = 'quiet' THEN RAISE NOTICE 'audit: row % is quiet', NEW.id; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER audit BEFORE INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION audit();
    -- a foreign key points at t here: written in place, through a staged table the plugin drops IF EXISTS
    CREATE TABLE note_ref (id int PRIMARY KEY, tid int REFERENCES t)`);
  await ok('install');
  await ok('add', 'db', 'a', `dbname=${db.a}`);
  await ok('add', 'db', 'b', `dbname=${db.b}`);
  await ok('add', 'table', 't', 'db=a', 'herd=h');
  await ok('add', 'dbgroup', 'g', 'a:source', 'b:target');
  await ok('add', 'sync', 's', 'herd=h', 'dbs=g', 'ping=false');
});

afterAll(async () => {
  for (const name of [...Object.values(db), control]) await dropDatabase(server, name);
  rmSync(dir, { recursive: true, force: true });
});

describe('what a target says while a run writes into it', () => {
  it('a WARNING from a trigger is logged with the database; a NOTICE only at verbose', async () => {
    await sql(db.a, "INSERT INTO t VALUES (1, 'loud'), (2, 'quiet'), (3, 'plain')");
    const kicked = await ok('kick', 's', '0');
    expect(lines(kicked)).toEqual(['WARN CLI sync=s run=1 Database "b" says WARNING: audit: row 1 is loud (PL/pgSQL function audit() line 3 at RAISE)']);
    expect((await sql(db.b, 'SELECT id, v FROM t ORDER BY id')).rows).toEqual([{ id: 1, v: 'loud' }, { id: 2, v: 'quiet' }, { id: 3, v: 'plain' }]);

    await sql(db.a, "UPDATE t SET v = 'quiet' WHERE id = 3");
    const verbose = await ok('kick', 's', '0', '--log-level=verbose');
    expect(lines(verbose)).toContain('CLI sync=s run=2 Database "b" says NOTICE: audit: row 3 is quiet (PL/pgSQL function audit() line 4 at RAISE)');
    expect((await sql(db.b, 'SELECT v FROM t WHERE id = 3')).rows).toEqual([{ v: 'quiet' }]);
    // what the plugin's own statements make the server say is not logged, even at verbose
    expect(lines(verbose).filter((line) => line.includes('skipping') || line.includes('no transaction in progress'))).toEqual([]);
  });

  it('a trigger that warns for every row: 20 lines logged, the rest counted; every row arrives', async () => {
    await sql(db.a, "INSERT INTO t SELECT i, 'loud' FROM generate_series(100, 149) i");
    const kicked = await ok('kick', 's', '0');
    const warned = lines(kicked).filter((line) => line.includes('says WARNING'));
    expect(warned).toHaveLength(20);
    expect(warned[0]).toContain('audit: row 100 is loud');
    expect(warned[19]).toContain('audit: row 119 is loud');
    expect(lines(kicked)).toContain('WARN CLI sync=s run=3 30 more messages from database "b" were not logged (more than 20 a minute)');
    expect((await sql(db.b, "SELECT count(*)::int AS n FROM t WHERE v = 'loud'")).rows).toEqual([{ n: 51 }]);
  });
});
