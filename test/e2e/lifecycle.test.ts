/**
 * Table lifecycle, end to end (issue 6), with the `bucardo` command run as processes and real databases:
 *
 *  - fullcopy: `add table` of a keyless table is refused ([TABLE_NO_KEY]) unless `keyless=true`; a sync
 *    whose receivers are all `fullcopy` installs no capture, and every kick makes each fullcopy database's
 *    tables equal to the source's (duplicate rows of the keyless table included), overwriting drift;
 *    a keyless table in a sync with a target is refused;
 *  - TRUNCATE across three sources and a target, Bucardo's acceptance scenario 6: a truncate empties the
 *    table everywhere; in a contest the latest truncating source wins, its post-truncate rows survive and
 *    so do the other sources' rows written after it (Bucardo drops those), everything else of the interval
 *    (the other sources' rows made before it, the target's) is gone; later inserts replicate; the writes
 *    made after a truncate settle their conflicts by the sync's strategy, in a run cut into key partitions
 *    too;
 *  - sequences (scenario 7): `add sequence`; ALTER on A, nextval on B, setval on C, a higher value on the
 *    target: every database ends with the settings and value of the source whose value is highest;
 *  - remove: `remove table` and `remove db` refused while in use; `remove sync` removes the triggers,
 *    functions and delta tables no other sync needs, and the bucardo schema once nothing is captured;
 *    `remove table --force` takes the table out of its syncs with its capture; `remove db --force`
 *    removes the syncs using it, with their capture (once each, when two of the databases share a
 *    dbgroup; a sync whose herd was emptied too);
 *  - truncate records of schema "a.b" table "c" and schema "a" table "b.c" are told apart: purging after
 *    one table's sync ran keeps the other's truncate for its own sync;
 *  - validate: FAILED naming the database, table and column of a type mismatch and of dropped columns,
 *    with the number of failing syncs as exit code (`validate all`: the other sync OK); the run refuses
 *    too; after the repair OK, and `update sync S onetimecopy=1` copies the tables again.
 *
 * One control database for the file; every database is made and dropped by DaemonWorld.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { assertConverged } from '../src/helpers/databases.js';
import { DaemonWorld, statusDetail, type Db } from './support/daemon-world.js';
import { batchConfig } from './support/lifecycle-kit.js';

const server = serverFromInfo(inject('pg'));

/**
 * Tables are known by name in a control database (as in Bucardo), so each describe block has a control
 * database of its own; `world` is the current block's.
 */
let world: DaemonWorld;
function useWorld(prefix: string): void {
  const mine = new DaemonWorld(server, prefix);
  beforeAll(async () => {
    world = mine;
    await mine.install();
  });
  afterAll(() => mine.dispose());
}

/** The bucardo triggers on user tables, the delta tables and capture functions (each sorted), and whether the schema exists. */
async function capture(db: Db): Promise<{ triggers: string[]; deltas: string[]; functions: string[]; schema: boolean }> {
  const triggers = await world.query(db.url,
    `SELECT tgrelid::regclass::text || ':' || tgname AS t FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'bucardo%' ORDER BY 1`);
  const deltas = await world.query(db.url, "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'bucardo' AND c.relname LIKE 'delta%' AND c.relkind = 'r' ORDER BY 1");
  const functions = await world.query(db.url, "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'bucardo' ORDER BY 1");
  const schema = await world.query(db.url, "SELECT 1 FROM pg_namespace WHERE nspname = 'bucardo'");
  return {
    triggers: triggers.map((row) => String(row.t)).sort(), deltas: deltas.map((row) => String(row.relname)).sort(),
    functions: functions.map((row) => String(row.proname)).sort(), schema: schema.length > 0,
  };
}

const nothingCaptured = { triggers: [], deltas: [], functions: [], schema: false };

async function ids(db: Db, table: string): Promise<number[]> {
  return (await world.query(db.url, `SELECT id FROM ${table} ORDER BY id`)).map((row) => Number(row.id));
}

/** `bucardo kick S 0`, expecting DONE!. */
async function kick(sync: string): Promise<void> {
  expect(await world.ok('kick', sync, '0')).toMatch(new RegExp(`^Kick ${sync}: \\[\\d+ s\\] DONE!$`, 'm'));
}

describe('fullcopy with a keyless table', () => {
  useWorld('lcf');
  let a: Db;
  let f1: Db;
  let f2: Db;

  beforeAll(async () => {
    a = await world.database('fc_A');
    f1 = await world.database('fc_F1');
    f2 = await world.database('fc_F2');
    for (const db of [a, f1, f2]) await world.query(db.url, 'CREATE TABLE k (a int, b text)');
    await world.query(a.url, "INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 1000) AS i");
    await world.query(a.url, "INSERT INTO k VALUES (1, 'x'), (1, 'x'), (2, NULL), (3, 'y'), (NULL, NULL)");
    // F1 has drifted before the sync exists; F2 is empty
    await world.query(f1.url, "INSERT INTO t VALUES (5, 'drift'), (5000, 'extra'); INSERT INTO k VALUES (9, 'junk')");
  });

  const rowsOf = async (db: Db) => (await world.query(db.url, 'SELECT a, b FROM k ORDER BY a NULLS FIRST, b NULLS FIRST')).map((row) => `${row.a}|${row.b}`);
  const expectCopies = async () => {
    await assertConverged([a.url, f1.url, f2.url], { t: 'id', k: undefined });
    for (const db of [f1, f2]) expect(await rowsOf(db), db.name).toEqual(await rowsOf(a));
  };

  it('refuses a keyless table unless keyless=true, installs no capture, and each kick makes the fullcopy databases equal to the source', async () => {
    const refused = await world.bucardo('add', 'table', 'k', 'herd=fc_h');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toBe('ERROR: Table "public.k" on database "fc_A" has no primary key or unique index over NOT NULL columns, so its changes cannot be tracked: add a primary key, or add it with keyless=true for fullcopy syncs [TABLE_NO_KEY]\n');
    expect(await world.sql("SELECT tablename FROM bucardo.relation WHERE tablename = 'k'")).toEqual([]);
    expect(await world.sql("SELECT name FROM bucardo.herd WHERE name = 'fc_h'")).toEqual([]);

    expect(await world.ok('add', 'table', 't', 'k', 'herd=fc_h', 'db=fc_A', 'keyless=true')).toContain('  public.k (DB: fc_A)');
    expect(await world.ok('add', 'dbgroup', 'fc_g', 'fc_A:source', 'fc_F1:fullcopy', 'fc_F2:fullcopy')).toBe(
      'Created dbgroup "fc_g"\n  Added database "fc_A" to dbgroup "fc_g" as source\n  Added database "fc_F1" to dbgroup "fc_g" as fullcopy\n  Added database "fc_F2" to dbgroup "fc_g" as fullcopy\n');
    expect(await world.ok('add', 'sync', 'fc', 'herd=fc_h', 'dbs=fc_g')).toBe('Added sync "fc"\n');
    // a pure fullcopy sync copies whole tables: nothing is captured on its source
    expect(await capture(a)).toEqual(nothingCaptured);
    expect(await world.sql("SELECT * FROM bucardo.checkpoint WHERE sync = 'fc'")).toEqual([]);
    // so autokick, on by default, has nothing to go on: status says so, as Bucardo's "fullcopy syncs only run when kicked"
    expect(statusDetail(await world.ok('status', 'fc')).get('Autokick')).toBe('Yes (no effect: a fullcopy sync runs when kicked, or at its check time)');

    await kick('fc');
    await expectCopies();
    expect(await ids(f1, 't')).toHaveLength(1000);

    // drift on the fullcopy databases and changes on the source: the next kick overwrites the drift
    await world.query(f1.url, "DELETE FROM t WHERE id < 100; UPDATE k SET b = 'changed'; INSERT INTO k VALUES (7, 'extra')");
    await world.query(f2.url, "INSERT INTO t VALUES (7777, 'drift'); UPDATE t SET v = 'drift' WHERE id = 500; TRUNCATE k");
    await world.query(a.url, "INSERT INTO k VALUES (1, 'x'); UPDATE t SET v = 'new' WHERE id = 1; DELETE FROM t WHERE id = 2");
    await kick('fc');
    await expectCopies();
    expect(await rowsOf(f2)).toEqual(['null|null', '1|x', '1|x', '1|x', '2|null', '3|y']);
    expect(await world.query(f1.url, 'SELECT v FROM t WHERE id IN (1, 2)')).toEqual([{ v: 'new' }]);

    // a table added to the live sync is copied too, and still nothing is captured on the source
    for (const db of [a, f1, f2]) await world.query(db.url, 'CREATE TABLE x (id int PRIMARY KEY)');
    await world.query(a.url, 'INSERT INTO x SELECT generate_series(1, 5)');
    await world.ok('add', 'table', 'x', 'db=fc_A');
    await world.ok('update', 'sync', 'fc', 'add', 'table', 'x');
    expect(await capture(a)).toEqual(nothingCaptured);
    await kick('fc');
    for (const db of [f1, f2]) expect(await ids(db, 'x'), db.name).toEqual([1, 2, 3, 4, 5]);

    // a keyless table cannot be in a sync with a target: its changes cannot be tracked
    const withTarget = await world.bucardo('add', 'sync', 'fcbad', 'herd=fc_h', 'dbs=fc_A:source,fc_F2:target');
    expect(withTarget.code).not.toBe(0);
    expect(withTarget.stderr).toContain('[TABLE_NO_KEY]');
    expect(await world.sql("SELECT name FROM bucardo.sync WHERE name = 'fcbad'")).toEqual([]);
    expect(await capture(a)).toEqual(nothingCaptured);
  });
});

describe('TRUNCATE contest across three sources and a target (Bucardo scenario 6)', () => {
  useWorld('lct');
  const dbs: Record<string, Db> = {};

  beforeAll(async () => {
    for (const name of ['A', 'B', 'C', 'D']) dbs[name] = await world.database(`tr_${name}`);
    for (const db of Object.values(dbs)) {
      await world.query(db.url, "CREATE TABLE t2 (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 10) AS i; INSERT INTO t2 SELECT i, 'w' || i FROM generate_series(1, 10) AS i");
    }
    await world.api.addTables(['t', 't2'], { herd: 'tr_h', db: dbs.A!.name });
    await world.api.addDbGroup('tr_g', ['tr_A:source', 'tr_B:source', 'tr_C:source', 'tr_D:target']);
    await world.api.addSync('tr', { herd: 'tr_h', dbs: 'tr_g', autokick: 'false' });
  });

  const everywhere = async (expected: number[]) => {
    for (const [name, db] of Object.entries(dbs)) {
      for (const table of ['t', 't2']) expect(await ids(db, table), `${table} on ${name}`).toEqual(expected);
    }
  };

  it('empties the tables everywhere, then lets the latest truncating source win with its later rows, then replicates normally', async () => {
    // a truncate on one source empties the tables on every database
    await world.query(dbs.A!.url, 'TRUNCATE t, t2');
    expect(await world.query(dbs.A!.url, 'SELECT schemaname, tablename FROM bucardo.truncate_log ORDER BY tablename')).toEqual([
      { schemaname: 'public', tablename: 't' }, { schemaname: 'public', tablename: 't2' },
    ]);
    await kick('tr');
    await everywhere([]);

    // the contest: a row on each, truncates on A, then B, then C, then D (a target), a row on each again
    const each = async (sql: (n: number) => string, start: number) => {
      for (const [index, name] of ['A', 'B', 'C', 'D'].entries()) await world.query(dbs[name]!.url, sql(start + index));
    };
    await each((n) => `INSERT INTO t VALUES (${n}, 'x${n}'); INSERT INTO t2 VALUES (${n}, 'y${n}')`, 1);
    for (const name of ['A', 'B', 'C', 'D']) await world.query(dbs[name]!.url, 'TRUNCATE t, t2');
    await each((n) => `INSERT INTO t VALUES (${n}, 'x${n}'); INSERT INTO t2 VALUES (${n}, 'y${n}')`, 5);
    const contest = await world.bucardo('--log-level', 'normal', 'kick', 'tr', '0');
    expect(contest.code).toBe(0);
    // what the truncate drops (the other sources' rows made before it: 1 and 2) and what it keeps (made
    // after it: 5 and 6) is said per table
    for (const table of ['t', 't2']) {
      expect(contest.stdout + contest.stderr).toContain(`Changes to table public.${table} dropped for its truncate on tr_C: the keys other sources changed in it before the truncate (tr_A: 1, tr_B: 1)`);
      expect(contest.stdout + contest.stderr).toContain(`Table public.${table} was truncated on tr_C: first writing the keys other sources changed after the truncate (tr_A: 1, tr_B: 1), so that its copy carries them`);
    }
    // C truncated last among the sources: its row written after the truncate and the other sources' rows
    // written after it survive, everywhere (Bucardo keeps only C's: it drops writes made after the truncate)
    await everywhere([5, 6, 7]);
    for (const db of Object.values(dbs)) {
      expect(await world.query(db.url, 'SELECT v FROM t UNION ALL SELECT v FROM t2 ORDER BY v')).toEqual([{ v: 'x5' }, { v: 'x6' }, { v: 'x7' }, { v: 'y5' }, { v: 'y6' }, { v: 'y7' }]);
    }

    // later inserts replicate normally
    await world.query(dbs.A!.url, "INSERT INTO t VALUES (11, 'a11'); INSERT INTO t2 VALUES (11, 'a11')");
    await world.query(dbs.B!.url, "INSERT INTO t VALUES (12, 'b12'); INSERT INTO t2 VALUES (12, 'b12')");
    await kick('tr');
    await everywhere([5, 6, 7, 11, 12]);
    await assertConverged(Object.values(dbs).map((db) => db.url), { t: 'id', t2: 'id' });
  });
});

describe('writes made after a truncate on other sources', () => {
  useWorld('lta');
  let a: Db;
  let b: Db;
  let t: Db;
  const rows = async (db: Db) => (await world.query(db.url, 'SELECT id, v FROM t ORDER BY id')).map((row) => `${row.id}:${row.v}`);

  beforeAll(async () => {
    a = await world.database('ta_A');
    b = await world.database('ta_B');
    t = await world.database('ta_T');
    for (const db of [a, b, t]) await world.query(db.url, "INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 10) AS i");
    await world.api.addTables(['t'], { herd: 'ta_h', db: a.name });
    await world.api.addDbGroup('ta_g', ['ta_A:source', 'ta_B:source', 'ta_T:target']);
    await world.api.addSync('ta', { herd: 'ta_h', dbs: 'ta_g', autokick: 'false', conflict: 'latest' });
  });

  it('keeps them, settling a key both sources wrote after the truncate by the sync\'s strategy', async () => {
    await world.query(b.url, "UPDATE t SET v = 'b before' WHERE id = 1");
    await world.query(a.url, "TRUNCATE t; INSERT INTO t VALUES (30, 'a30'), (31, 'a31')");
    // after A's truncate: B updates a row it still has, inserts one, and writes key 30 after A did
    await world.query(b.url, "UPDATE t SET v = 'b late' WHERE id = 2; INSERT INTO t VALUES (20, 'b20')");
    await world.query(b.url, "INSERT INTO t VALUES (30, 'b30')");
    const run = await world.bucardo('--log-level', 'normal', 'kick', 'ta', '0');
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).toContain('Changes to table public.t dropped for its truncate on ta_A: the keys other sources changed in it before the truncate (ta_B: 1)');
    expect(run.stdout + run.stderr).toContain('Table public.t was truncated on ta_A: first writing the keys other sources changed after the truncate (ta_B: 3), so that its copy carries them');
    // key 30: B's write is the later one (conflict=latest)
    for (const db of [a, b, t]) expect(await rows(db), db.name).toEqual(['2:b late', '20:b20', '30:b30', '31:a31']);
    // nothing to echo back: the next run is empty and changes nothing
    expect(await world.ok('kick', 'ta', '0')).toMatch(/^Kick ta: \[\d+ s\] DONE!$/m);
    await assertConverged([a.url, b.url, t.url], { t: 'id' });
    expect(await rows(t)).toEqual(['2:b late', '20:b20', '30:b30', '31:a31']);
  });

  it('keeps those of every key partition when the run is cut into partitions', async () => {
    const config = batchConfig(world, 40, { partitionSize: 50 });
    await world.query(b.url, "UPDATE t SET v = 'b before 2' WHERE id = 20");
    await world.query(a.url, "TRUNCATE t; INSERT INTO t SELECT i, 'a' || i FROM generate_series(1001, 1060) AS i");
    await world.query(b.url, "INSERT INTO t SELECT i, 'b' || i FROM generate_series(2001, 2150) AS i");
    const run = await world.bucardo('--config', config, '--log-level', 'verbose', 'kick', 'ta', '0');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout + run.stderr).toMatch(/Changed keys per source \(partition 1 of [2-9]\)/);
    expect(run.stdout + run.stderr).toContain('first writing the keys other sources changed after the truncate (ta_B: 150)');
    // B's rows from before the truncate (2, 20, 30) are gone; A's and B's later rows are everywhere
    const expected = [...Array.from({ length: 60 }, (_, i) => `${1001 + i}:a${1001 + i}`), ...Array.from({ length: 150 }, (_, i) => `${2001 + i}:b${2001 + i}`)];
    for (const db of [a, b, t]) expect(await rows(db), db.name).toEqual(expected);
  });

  it('loses none of them when the copy fails after they were written into the winner, and the next run converges', async () => {
    await world.query(a.url, "TRUNCATE t; INSERT INTO t VALUES (40, 'a40')");
    await world.query(b.url, "INSERT INTO t VALUES (41, 'b41')");
    await world.query(t.url, `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'no rows today'; END$$;
      CREATE TRIGGER refuse BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION refuse()`);
    const failed = await world.bucardo('kick', 'ta', '0');
    expect(failed.code).not.toBe(0);
    expect(failed.stdout + failed.stderr).toContain('no rows today');
    // B's later row is in the winner's table already, and still on B
    expect(await rows(a)).toEqual(['40:a40', '41:b41']);
    expect(await rows(b)).toContain('41:b41');
    await world.query(t.url, 'DROP TRIGGER refuse ON t');
    expect(await world.ok('kick', 'ta', '0')).toMatch(/^Kick ta: \[\d+ s\] DONE!$/m);
    for (const db of [a, b, t]) expect(await rows(db), db.name).toEqual(['40:a40', '41:b41']);
  });
});

describe('truncate records of tables whose dotted names are alike', () => {
  useWorld('lcd');
  let a: Db;
  let b: Db;
  // schema "a.b" table "c" and schema "a" table "b.c": both "a.b.c" when written with a dot
  const first = '"a.b".c';
  const second = 'a."b.c"';

  beforeAll(async () => {
    a = await world.database('dt_A');
    b = await world.database('dt_B');
    for (const db of [a, b]) {
      await world.query(db.url, `CREATE SCHEMA "a.b"; CREATE SCHEMA a; CREATE TABLE ${first} (id int PRIMARY KEY, v text); CREATE TABLE ${second} (id int PRIMARY KEY, v text)`);
      await world.query(db.url, `INSERT INTO ${first} VALUES (1, 'one'); INSERT INTO ${second} VALUES (2, 'two')`);
    }
    await world.api.addTables([first], { herd: 'dt_h1', db: a.name });
    await world.api.addTables([second], { herd: 'dt_h2', db: a.name });
    await world.api.addDbGroup('dt_g', ['dt_A:source', 'dt_B:target']);
    await world.api.addSync('dt1', { herd: 'dt_h1', dbs: 'dt_g', autokick: 'false' });
    await world.api.addSync('dt2', { herd: 'dt_h2', dbs: 'dt_g', autokick: 'false' });
  });

  it('a purge after the sync of one table has run keeps the other table\'s truncate until its own sync has read it', async () => {
    await world.query(a.url, `TRUNCATE ${second}`);
    await kick('dt1');
    expect(await world.ok('purge')).toMatch(/^dt_A: \d+ consumed change records purged$/m);
    expect(await world.query(a.url, 'SELECT schemaname, tablename FROM bucardo.truncate_log')).toEqual([{ schemaname: 'a', tablename: 'b.c' }]);
    await kick('dt2');
    expect(await world.query(b.url, `SELECT id FROM ${second}`)).toEqual([]);
    expect(await ids(b, first)).toEqual([1]);
  });
});

describe('sequences (Bucardo scenario 7)', () => {
  useWorld('lcs');
  const dbs: Record<string, Db> = {};
  const state = async (db: Db, sequence: string) => {
    const [settings] = await world.query(db.url,
      'SELECT start_value, increment_by, min_value, max_value, cycle FROM pg_sequences WHERE sequencename = $1', [sequence]);
    const [value] = await world.query(db.url, `SELECT last_value, is_called FROM ${sequence}`);
    return { ...settings, ...value };
  };

  beforeAll(async () => {
    for (const name of ['A', 'B', 'C', 'D']) dbs[name] = await world.database(`sq_${name}`);
    for (const db of Object.values(dbs)) await world.query(db.url, 'CREATE SEQUENCE s1; CREATE SEQUENCE s2; CREATE SEQUENCE s3');
    await world.api.addTables(['t'], { herd: 'sq_h', db: dbs.A!.name });
    await world.api.addDbGroup('sq_g', ['sq_A:source', 'sq_B:source', 'sq_C:source', 'sq_D:target']);
  });

  it('makes every database\'s sequence equal to the source whose value is highest: value, increment, min, max, cycle', async () => {
    expect(await world.ok('add', 'sequence', 's1', 's2', 's3', 'herd=sq_h')).toContain('The following tables or sequences are now part of the relgroup "sq_h":\n  public.s1\n  public.s2\n  public.s3');
    await world.api.addSync('sq', { herd: 'sq_h', dbs: 'sq_g', autokick: 'false' });
    await world.query(dbs.A!.url, 'ALTER SEQUENCE s1 START 20 RESTART 25 MINVALUE 10 MAXVALUE 8675');
    await world.query(dbs.B!.url, "ALTER SEQUENCE s2 INCREMENT BY 7 CYCLE; SELECT nextval('s2'), nextval('s2'), nextval('s2')");
    await world.query(dbs.C!.url, "SELECT setval('s3', 12345)");
    // a target's own value does not count: only sources compete
    await world.query(dbs.D!.url, "SELECT setval('s1', 9000); SELECT setval('s3', 99999)");
    const winners = { s1: await state(dbs.A!, 's1'), s2: await state(dbs.B!, 's2'), s3: await state(dbs.C!, 's3') };
    expect(winners.s1).toMatchObject({ start_value: '20', min_value: '10', max_value: '8675', last_value: '25', is_called: false });
    expect(winners.s2).toMatchObject({ increment_by: '7', cycle: true, last_value: '15', is_called: true });
    expect(winners.s3).toMatchObject({ last_value: '12345', is_called: true });

    await kick('sq');
    for (const [name, db] of Object.entries(dbs)) {
      for (const [sequence, expected] of Object.entries(winners)) expect(await state(db, sequence), `${sequence} on ${name}`).toEqual(expected);
    }

    // a later change on another source that goes higher wins the next run
    await world.query(dbs.B!.url, "SELECT setval('s1', 8000)");
    await kick('sq');
    for (const [name, db] of Object.entries(dbs)) expect(await state(db, 's1'), `s1 on ${name}`).toEqual({ ...winners.s1, last_value: '8000', is_called: true });
  });
});

describe('remove sync, table and db: no capture left behind', () => {
  useWorld('lcr');
  const dbs: Record<string, Db> = {};

  beforeAll(async () => {
    for (const name of ['A', 'B', 'C', 'D']) dbs[name] = await world.database(`rm_${name}`);
    for (const db of Object.values(dbs)) await world.query(db.url, 'CREATE TABLE t2 (id int PRIMARY KEY, v text); CREATE TABLE t3 (id int PRIMARY KEY, v text)');
    await world.api.addTables(['t', 't2'], { herd: 'rm_h1', db: 'rm_A' });
    await world.api.addTables(['t'], { herd: 'rm_h2', db: 'rm_A' });
    await world.api.addTables(['t3'], { herd: 'rm_h3', db: 'rm_B' });
    await world.api.addDbGroup('rm_g1', ['rm_A:source', 'rm_B:source', 'rm_C:target']);
    await world.api.addDbGroup('rm_g2', ['rm_A:source', 'rm_D:target']);
    await world.api.addDbGroup('rm_g3', ['rm_B:source', 'rm_C:target']);
    // rm1 captures t and t2 on A and B; rm2 reads t from A too; rm3 reads t3 from B
    await world.api.addSync('rm1', { herd: 'rm_h1', dbs: 'rm_g1', autokick: 'false' });
    await world.api.addSync('rm2', { herd: 'rm_h2', dbs: 'rm_g2', autokick: 'false' });
    await world.api.addSync('rm3', { herd: 'rm_h3', dbs: 'rm_g3', autokick: 'false' });
  });

  it('refuses while in use, then removes exactly the capture no other sync needs', async () => {
    const full = {
      triggers: ['t2:bucardo_capture', 't2:bucardo_capture_truncate', 't:bucardo_capture', 't:bucardo_capture_truncate'].sort(),
      deltas: ['delta_public_t', 'delta_public_t2'],
      functions: ['capture_public_t', 'capture_public_t2', 'capture_truncate', 'capturing'],
      schema: true,
    };
    const withT3 = {
      triggers: [...full.triggers, 't3:bucardo_capture', 't3:bucardo_capture_truncate'].sort(),
      deltas: [...full.deltas, 'delta_public_t3'].sort(),
      functions: ['capture_public_t', 'capture_public_t2', 'capture_public_t3', 'capture_truncate', 'capturing'],
      schema: true,
    };
    const onlyT3 = { triggers: ['t3:bucardo_capture', 't3:bucardo_capture_truncate'], deltas: ['delta_public_t3'], functions: ['capture_public_t3', 'capture_truncate', 'capturing'], schema: true };
    expect(await capture(dbs.A!)).toEqual(full);
    expect(await capture(dbs.B!)).toEqual(withT3);

    // in use: refused, nothing changed
    const table = await world.bucardo('remove', 'table', 't2');
    expect(table.code).not.toBe(0);
    expect(table.stderr).toBe('ERROR: Table "public.t2" is used by sync rm1: remove it from the sync first, or use --force [IN_USE]\n');
    const db = await world.bucardo('remove', 'db', 'rm_B');
    expect(db.code).not.toBe(0);
    expect(db.stderr).toBe('ERROR: Database "rm_B" is in dbgroup rm_g1, rm_g3 (used by sync rm1, rm3): remove it from there first, or use --force [DB_IN_USE]\n');
    expect(await capture(dbs.B!)).toEqual(withT3);

    // remove sync rm1: B keeps only t3's capture (rm3); A keeps t's capture, which rm2 reads
    const removed = await world.ok('remove', 'sync', 'rm1');
    expect(removed).toContain('Removed sync "rm1"\n');
    expect(removed).toContain('  Removed capture of public.t2 on database "rm_A"\n');
    expect(removed).toContain('  Removed capture of public.t, public.t2 on database "rm_B"\n');
    expect(await capture(dbs.B!)).toEqual(onlyT3);
    expect(await capture(dbs.A!)).toEqual({
      triggers: ['t:bucardo_capture', 't:bucardo_capture_truncate'], deltas: ['delta_public_t'], functions: ['capture_public_t', 'capture_truncate', 'capturing'], schema: true,
    });
    expect(await world.query(dbs.A!.url, "SELECT to_regclass('bucardo.delta_public_t2') IS NULL AS gone")).toEqual([{ gone: true }]);
    expect(await world.sql("SELECT name FROM bucardo.sync WHERE name = 'rm1'")).toEqual([]);
    expect(await world.sql("SELECT * FROM bucardo.checkpoint WHERE sync = 'rm1'")).toEqual([]);

    // rm2 still replicates t
    await world.query(dbs.A!.url, "INSERT INTO t VALUES (1, 'still')");
    expect((await world.api.runSync('rm2')).outcome).toBe('good');
    expect(await ids(dbs.D!, 't')).toEqual([1]);

    // t2 is used by no sync now: remove table works
    expect(await world.ok('remove', 'table', 't2')).toBe('Removed the following tables:\n  public.t2\n');
    expect(await world.sql("SELECT tablename FROM bucardo.relation WHERE tablename = 't2'")).toEqual([]);

    // t3 is in use (rm3): --force takes it out of the sync first, and B's last capture goes with it
    const t3 = await world.bucardo('remove', 'table', 't3');
    expect(t3.code).not.toBe(0);
    expect(t3.stderr).toContain('is used by sync rm3');
    expect(await world.ok('remove', 'table', 't3', '--force')).toBe('Removed the following tables:\n  public.t3\n');
    expect(await world.sql("SELECT tablename FROM bucardo.relation WHERE tablename = 't3'")).toEqual([]);
    expect(await capture(dbs.B!)).toEqual(nothingCaptured);

    // remove db --force takes the syncs using it, and their capture, with it
    const refused = await world.bucardo('remove', 'db', 'rm_A');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('[DB_IN_USE]');
    // it says what else went: the sync, and the database's place in each dbgroup
    expect(await world.ok('remove', 'db', 'rm_A', '--force')).toBe([
      'Removed sync "rm2", which used database "rm_A"',
      '  Removed capture of public.t on database "rm_A"',
      'Removed database "rm_A" from dbgroup "rm_g1"',
      'Removed database "rm_A" from dbgroup "rm_g2"',
      'Removed database "rm_A"',
      '',
    ].join('\n'));
    expect(await world.sql("SELECT name FROM bucardo.sync WHERE name = 'rm2'")).toEqual([]);
    expect(await world.sql("SELECT name FROM bucardo.db WHERE name = 'rm_A'")).toEqual([]);
    for (const [name, each] of Object.entries(dbs)) expect(await capture(each), name).toEqual(nothingCaptured);

    // rm3 lost its only table above; removing both databases of its dbgroup at once removes it once
    expect(await world.ok('remove', 'db', 'rm_B', 'rm_C', '--force')).toBe([
      'Removed sync "rm3", which used databases "rm_B", "rm_C"',
      'Removed database "rm_B" from dbgroup "rm_g1"',
      'Removed database "rm_C" from dbgroup "rm_g1"',
      'Removed database "rm_B" from dbgroup "rm_g3"',
      'Removed database "rm_C" from dbgroup "rm_g3"',
      'Removed database "rm_B"',
      'Removed database "rm_C"',
      '',
    ].join('\n'));
    expect(await world.sql("SELECT name FROM bucardo.sync WHERE name = 'rm3'")).toEqual([]);
    expect(await world.sql("SELECT name FROM bucardo.db WHERE name IN ('rm_B', 'rm_C')")).toEqual([]);
  });
});

describe('validate', () => {
  useWorld('lcv');
  const dbs: Record<string, Db> = {};

  beforeAll(async () => {
    for (const name of ['A', 'B', 'C', 'D']) dbs[name] = await world.database(`va_${name}`);
    for (const db of [dbs.A!, dbs.D!]) await world.query(db.url, 'CREATE TABLE t3 (id int PRIMARY KEY, n int)');
    await world.query(dbs.A!.url, "INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 50) AS i");
    await world.api.addTables(['t'], { herd: 'va_h', db: 'va_A' });
    await world.api.addTables(['t3'], { herd: 'va_h3', db: 'va_A' });
    await world.api.addDbGroup('va_g', ['va_A:source', 'va_B:target', 'va_C:target']);
    await world.api.addSync('va', { herd: 'va_h', dbs: 'va_g', autokick: 'false' });
    await world.api.addSync('va3', { herd: 'va_h3', dbs: 'va_A:source,va_D:target', autokick: 'false' });
  });

  it('reports each mismatched column with its database and table, exits with the number of failing syncs, and is OK again after the repair', async () => {
    // a column added with another type on a target, and a column dropped on the other target
    await world.query(dbs.A!.url, 'ALTER TABLE t ADD COLUMN w text');
    await world.query(dbs.B!.url, 'ALTER TABLE t ADD COLUMN w integer');
    await world.query(dbs.C!.url, 'ALTER TABLE t DROP COLUMN v');
    const failed = await world.bucardo('validate', 'va');
    expect(failed.code).toBe(1);
    expect(failed.stdout.split('\n')).toEqual(expect.arrayContaining([
      'Validating sync va ... FAILED',
      '  Column "w" of table "public.t" is integer on database "va_B" but text on the first source "va_A" [TABLE_COLUMNS_MISMATCH]',
      '  Table "public.t" on database "va_C" has no column "v" [TABLE_COLUMNS_MISMATCH]',
      '  Table "public.t" on database "va_C" has no column "w" [TABLE_COLUMNS_MISMATCH]',
    ]));
    expect(failed.stdout.trim().split('\n')).toHaveLength(4);
    const all = await world.bucardo('validate', 'all');
    expect(all.code).toBe(1);
    expect(all.stdout).toContain('Validating sync va ... FAILED\n');
    expect(all.stdout).toContain('Validating sync va3 ... OK\n');
    // the run refuses as well, and nothing is written: a row new on the source stays there, the targets and
    // the checkpoints are as they were, and the run is recorded as bad with the mismatch's code
    await world.query(dbs.A!.url, "INSERT INTO t (id, v, w) VALUES (51, 'v51', 'w51')");
    const checkpoints = () => world.sql("SELECT db, position, updated FROM bucardo.checkpoint WHERE sync = 'va' ORDER BY db");
    const lastRunId = async () => Number((await world.sql("SELECT coalesce(max(id), 0) AS id FROM bucardo.syncrun WHERE sync = 'va'"))[0]!.id);
    const targetsBefore = { B: await world.query(dbs.B!.url, 'SELECT * FROM t ORDER BY id'), C: await world.query(dbs.C!.url, 'SELECT * FROM t ORDER BY id') };
    const checkpointsBefore = await checkpoints();
    expect(checkpointsBefore, 'the sync has checkpoints to keep').not.toEqual([]);
    const runsBefore = await lastRunId();
    const run = await world.bucardo('kick', 'va', '0');
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('KILLED!');
    expect(run.stdout).toContain('[TABLE_COLUMNS_MISMATCH]');
    // one problem of three is told: the others are counted, and where to see them said
    expect(run.stdout).toContain('(and 2 more problems: bucardo validate va lists them all)');
    for (const name of ['B', 'C'] as const) {
      expect(await ids(dbs[name]!, 't'), `t on va_${name}`).not.toContain(51);
      expect(await world.query(dbs[name]!.url, 'SELECT * FROM t ORDER BY id'), `t on va_${name}`).toEqual(targetsBefore[name]);
    }
    expect(await ids(dbs.A!, 't')).toContain(51);
    expect(await checkpoints()).toEqual(checkpointsBefore);
    const [refused] = await world.sql(
      "SELECT id, outcome, error->>'code' AS code FROM bucardo.syncrun WHERE sync = 'va' ORDER BY id DESC LIMIT 1");
    expect(Number(refused?.id), 'the refused run is recorded').toBeGreaterThan(runsBefore);
    expect(refused).toMatchObject({ outcome: 'bad', code: 'TABLE_COLUMNS_MISMATCH' });

    // repaired: OK, and onetimecopy=1 brings the targets' rows back
    await world.query(dbs.B!.url, 'ALTER TABLE t ALTER COLUMN w TYPE text');
    await world.query(dbs.C!.url, 'ALTER TABLE t ADD COLUMN v text, ADD COLUMN w text');
    const repaired = await world.bucardo('validate', 'all');
    expect(repaired.code, repaired.stdout + repaired.stderr).toBe(0);
    expect(repaired.stdout).toBe('Validating sync va ... OK\nValidating sync va3 ... OK\n');
    expect(await world.ok('update', 'sync', 'va', 'onetimecopy=1')).toBe('Set onetimecopy to 1\n');
    expect((await world.sql("SELECT onetimecopy FROM bucardo.sync WHERE name = 'va'"))[0]!.onetimecopy).toBe(1);
    await kick('va');
    await assertConverged([dbs.A!.url, dbs.B!.url], { t: 'id' });
    expect(await world.query(dbs.C!.url, 'SELECT id, v, w FROM t ORDER BY id')).toEqual(await world.query(dbs.A!.url, 'SELECT id, v, w FROM t ORDER BY id'));
    // the 50 rows of the set-up and row 51, written on the source while the run was refused
    const all51 = Array.from({ length: 51 }, (_, i) => i + 1);
    for (const db of [dbs.A!, dbs.B!, dbs.C!]) expect(await ids(db, 't'), `t on ${db.name}`).toEqual(all51);
    expect(await world.query(dbs.C!.url, 'SELECT id, v, w FROM t WHERE id = 51')).toEqual([{ id: 51, v: 'v51', w: 'w51' }]);
    expect(statusDetail(await world.ok('status', 'va')).get('Onetimecopy')).toBe('No');
  });
});

describe('remove relgroup and remove dbgroup', () => {
  useWorld('lcg');

  it('remove groups no sync uses (their tables and databases stay); one a sync uses is refused naming the sync, and nothing goes', async () => {
    const a = await world.database('rg_A');
    const b = await world.database('rg_B');
    await world.ok('add', 'table', 't', 'herd=rg_used', 'db=rg_A');
    await world.ok('add', 'table', 't', 'herd=rg_empty1');
    await world.ok('add', 'herd', 'rg_empty2');
    await world.ok('add', 'dbgroup', 'rg_g', `${a.name}:source`, `${b.name}:target`);
    await world.ok('add', 'dbgroup', 'rg_spare', `${a.name}:source`, `${b.name}:target`);
    await world.ok('add', 'sync', 'rg_s', 'herd=rg_used', 'dbs=rg_g');

    const refused = await world.bucardo('remove', 'relgroup', 'rg_empty1', 'rg_used');
    expect(refused.stderr).toBe('ERROR: Cannot remove relgroup "rg_used": sync "rg_s" uses it (bucardo remove sync rg_s first) [IN_USE]\n');
    expect(refused.code).toBe(1);
    const unknown = await world.bucardo('remove', 'herd', 'rg_none');
    expect(unknown.stderr).toBe('ERROR: There is no relgroup named "rg_none" [HERD_NOT_FOUND]\n');
    expect(unknown.code).toBe(1);
    // all or nothing: rg_empty1 is still there
    expect((await world.ok('list', 'herds', 'rg_empty1'))).toContain('rg_empty1');

    expect(await world.ok('remove', 'relgroup', 'rg_empty1', 'rg_empty2')).toBe('Removed relgroup "rg_empty1"\nRemoved relgroup "rg_empty2"\n');
    expect((await world.bucardo('list', 'herds', 'rg_empty1')).code).toBe(1);
    // the table stays recorded, and in the herd the sync uses
    expect(await world.ok('list', 'tables', 't')).toContain('public.t');

    // a database in a dbgroup no sync uses: the refusal gives the command that frees it
    const heldBySpare = await world.bucardo('remove', 'db', 'rg_B');
    expect(heldBySpare.stderr).toBe('ERROR: Database "rg_B" is in dbgroup rg_g, rg_spare (used by sync rg_s): remove it from there first, or use --force [DB_IN_USE]\n');
    await world.ok('add', 'dbgroup', 'rg_only_c', `${(await world.database('rg_C')).name}:target`);
    const heldByUnused = await world.bucardo('remove', 'db', 'rg_C');
    expect(heldByUnused.stderr).toBe('ERROR: Database "rg_C" is in dbgroup rg_only_c: remove the dbgroup first (bucardo remove dbgroup rg_only_c), or use --force [DB_IN_USE]\n');
    expect(heldByUnused.code).toBe(1);

    const refusedGroup = await world.bucardo('remove', 'dbgroup', 'rg_g');
    expect(refusedGroup.stderr).toBe('ERROR: Cannot remove dbgroup "rg_g": sync "rg_s" uses it (bucardo remove sync rg_s first) [IN_USE]\n');
    expect(refusedGroup.code).toBe(1);
    expect(await world.ok('remove', 'dbgroup', 'rg_spare')).toBe('Removed dbgroup "rg_spare"\n');
    expect(await world.ok('list', 'dbs')).toContain('rg_A');
    // the sync still runs
    await world.insert(a, 5);
    expect(await world.ok('kick', 'rg_s', '0')).toMatch(/DONE!/);
    expect(await world.query(b.url, 'SELECT id FROM t')).toEqual([{ id: 5 }]);
  });
});
