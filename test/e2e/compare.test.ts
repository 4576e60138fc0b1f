/**
 * `bucardo compare SYNC [TABLE…] [limit=N]` end to end (the `bucardo` command run as a process, real
 * databases): it says whether the sync's tables hold the same rows on every database, against the first
 * source, and which keys differ where, without writing anything.
 *
 * The differences are made behind the sync's back: on a source in a transaction that sets
 * `bucardo.replicating` (the capture skips it, as it skips the sync's own writes), on a target with plain
 * writes (a target has no capture). A kick first makes every database equal, so whatever compare reports
 * is exactly what the test wrote.
 *
 *  - every table the same: `same on A, B, C (N rows)` per table, exit 0;
 *  - differences: row counts, per-database counts (missing, extra, different) and one line per key in
 *    numeric order (5 before 1002, -10 before -2: text order gets both wrong), naming the databases in the
 *    dbgroup's order; exit 2;
 *  - a composite key reads `(1, abc)`; NULL and '' differ, and so do 'ab'+'c' and 'a'+'bc' in two columns
 *    (a digest of the concatenated text would call them the same);
 *  - what is not a difference: another column order, int vs bigint, varchar vs text, another session
 *    TimeZone (the same instant prints differently in Tokyo), a column only a target has (not the sync's);
 *  - nor are equal numbers in other types (a numeric key 5.0 against an int 5, 1.5 in a numeric against
 *    1.50 in a numeric(10,2)), nor a database in another encoding (LATIN1 against UTF-8);
 *  - change records not delivered yet: a note first, naming the source and the tables;
 *  - a column only one database has: a line saying it is not compared;
 *  - a flat-file target, whose writer cannot read rows back: left out with a line naming it;
 *  - a fullcopy sync's table without a key: compared as a whole (rows and their sum), per database;
 *  - `all` or a wildcard: each sync in turn, the worst exit code;
 *  - `limit=N` and the default of 20 key lines, `… and N more keys`; TABLE arguments (`t`, `public.t`);
 *  - a database whose table is not unique on the key: a key held twice there is `duplicated`, and a row
 *    whose key is NULL is counted and said (no key matches it);
 *  - a table missing, or missing a column, on one database: that table compared on the others, that
 *    database named with validate's error; missing on the first source: not compared at all; exit 1;
 *  - sequences, after the tables: value and settings against the first source's, the differing settings
 *    named per database; one missing on a database named, missing on the first source not compared;
 *  - on a terminal, each table's steps on a line of its own, erased for its result;
 *  - a database that cannot be reached: left out with a line naming it and its error, the others compared,
 *    exit 1; the first source, or the only other database, unreachable: an error;
 *  - errors (exit 1, `ERROR: … [CODE]`): unknown sync, a table not in the sync, an unreachable database,
 *    no arguments; after each, every database's rows are as they were.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import type { CliResult } from '../src/helpers/cli.js';
import { DaemonWorld, type Db, type TcpProxy } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('bucardo compare', () => {
  const world = new DaemonWorld(server, 'cmp');
  beforeAll(() => world.install());
  afterAll(() => world.dispose());

  /** `bucardo kick S 0`, expecting DONE!: every database of the sync equal before the test makes them differ. */
  async function kick(sync: string): Promise<void> {
    expect(await world.ok('kick', sync, '0')).toMatch(new RegExp(`^Kick ${sync}: \\[\\d+ s\\] DONE!$`, 'm'));
  }

  /** Writes on `db` that its capture does not record: a difference the sync knows nothing of. */
  async function behindTheSync(db: Db, sql: string): Promise<void> {
    await world.query(db.url, `BEGIN; SELECT set_config('bucardo.replicating', 'on', true); ${sql}; COMMIT`);
  }

  async function compare(...args: string[]): Promise<CliResult> {
    return world.bucardo('compare', ...args);
  }

  /** A run that found no difference: exit 0, nothing on stderr, and exactly `lines` on stdout. */
  function expectSame(result: CliResult, lines: readonly string[]): void {
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe([...lines, ''].join('\n'));
    expect(result.code, result.stderr).toBe(0);
  }

  /** A run that found differences: exit 2, nothing on stderr, and exactly `lines` on stdout. */
  function expectDiffers(result: CliResult, lines: readonly string[]): void {
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe([...lines, ''].join('\n'));
    expect(result.code, result.stderr).toBe(2);
  }

  /** An error run: exit 1 and one `ERROR: … [CODE]` line on stderr containing each of `names`. */
  function expectError(result: CliResult, code: string, ...names: string[]): void {
    expect(result.stderr).toMatch(new RegExp(`^ERROR: .*\\[${code}\\]\\n$`, 's'));
    for (const name of names) expect(result.stderr).toContain(name);
    expect(result.code, result.stderr).toBe(1);
  }

  /**
   * Databases `<sync>_A` (source), `<sync>_B` (source), `<sync>_C` (target), each with t and
   * u(a int, b text, v text, primary key (a, b)), sync `<sync>` over `tables`; t holds 1..600 written on
   * A and 601..1000 on B, u (i, 'abc') from A and (i, 'def') from B for i in 1..100, all kicked.
   */
  async function trio(sync: string, tables: readonly string[] = ['t', 'u']): Promise<{ a: Db; b: Db; c: Db }> {
    const a = await world.database(`${sync}_A`);
    const b = await world.database(`${sync}_B`);
    const c = await world.database(`${sync}_C`);
    for (const db of [a, b, c]) await world.query(db.url, 'CREATE TABLE u (a int, b text, v text, PRIMARY KEY (a, b))');
    await world.api.addTables(tables, { herd: `${sync}_h`, db: a.name });
    await world.api.addDbGroup(`${sync}_g`, [`${a.name}:source`, `${b.name}:source`, `${c.name}:target`]);
    await world.api.addSync(sync, { herd: `${sync}_h`, dbs: `${sync}_g`, autokick: 'false' });
    await world.query(a.url, "INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 600) i; INSERT INTO u SELECT i, 'abc', 'a' || i FROM generate_series(1, 100) i");
    await world.query(b.url, "INSERT INTO t SELECT i, 'v' || i FROM generate_series(601, 1000) i; INSERT INTO u SELECT i, 'def', 'b' || i FROM generate_series(1, 100) i");
    await kick(sync);
    // replication itself made them equal: what compare says after this is about compare
    for (const db of [a, b, c]) {
      expect(await world.query(db.url, 'SELECT (SELECT count(*) FROM t)::int AS t, (SELECT count(*) FROM u)::int AS u')).toEqual([{ t: 1000, u: 200 }]);
    }
    return { a, b, c };
  }

  /** Every row of each of `tables` (absent when the table is not there) on each of `dbs`: to show compare wrote nothing. */
  async function snapshot(dbs: readonly Db[], tables: readonly string[]): Promise<Record<string, unknown>> {
    const seen: Record<string, unknown> = {};
    for (const db of dbs) {
      for (const table of tables) {
        const [present] = await world.query(db.url, 'SELECT to_regclass($1) IS NOT NULL AS present', [table]);
        seen[`${db.name}.${table}`] = present!.present
          ? (await world.query(db.url, `SELECT coalesce(json_agg(x ORDER BY x::text), '[]') AS rows FROM ${table} x`))[0]!.rows
          : 'absent';
      }
    }
    return seen;
  }

  /**
   * The lines a terminal shows once `raw` is written to it: `\r` goes back to the start of the line, `ESC[K`
   * erases the rest of it, other characters overwrite what is under the cursor.
   */
  function onScreen(raw: string): string[] {
    return raw.split('\r\n').map((written) => {
      let line = '';
      let cursor = 0;
      for (let at = 0; at < written.length; at++) {
        if (written[at] === '\r') cursor = 0;
        else if (written.startsWith('\x1b[K', at)) {
          line = line.slice(0, cursor);
          at += 2;
        } else {
          line = line.slice(0, cursor) + written[at] + line.slice(cursor + 1);
          cursor++;
        }
      }
      return line;
    });
  }

  /** Each sequence's value and settings on each of `dbs`: to show compare changed none. */
  async function snapshotSequences(dbs: readonly Db[]): Promise<Record<string, unknown>> {
    const seen: Record<string, unknown> = {};
    for (const db of dbs) seen[db.name] = await world.query(db.url, 'SELECT sequencename, last_value, increment_by, max_value FROM pg_sequences ORDER BY sequencename');
    return seen;
  }

  it('every table the same: each with its row count on every database, exit 0', async () => {
    await trio('cs');
    expectSame(await compare('cs'), [
      'Comparing sync "cs" against database "cs_A", its first source: 2 tables on 3 databases',
      'public.t: same on cs_A, cs_B, cs_C (1000 rows)',
      'public.u: same on cs_A, cs_B, cs_C (200 rows)',
      'Sync "cs": every table is the same on every database',
    ]);
  });

  it('differences: counts per database, then each key in numeric order with where it is missing, extra or different; exit 2', async () => {
    const { a, b, c } = await trio('cd');
    await behindTheSync(b, "DELETE FROM t WHERE id IN (5, 9); UPDATE t SET v = 'changed on B' WHERE id = 7");
    await world.query(c.url, "UPDATE t SET v = 'changed on C' WHERE id IN (7, 9); INSERT INTO t VALUES (1002, 'only on C')");
    const before = await snapshot([a, b, c], ['t', 'u']);

    expectDiffers(await compare('cd'), [
      'Comparing sync "cd" against database "cd_A", its first source: 2 tables on 3 databases',
      'public.t: differs: cd_A 1000 rows, cd_B 998 rows, cd_C 1001 rows',
      '  cd_B: 2 missing, 1 different (v: 1)',
      '  cd_C: 1 extra, 2 different (v: 2)',
      '  key 5: missing on cd_B',
      "  key 7: different on cd_B (v: 'v7' → 'changed on B'), cd_C (v: 'v7' → 'changed on C')",
      "  key 9: missing on cd_B; different on cd_C (v: 'v9' → 'changed on C')",
      '  key 1002: extra on cd_C',
      'public.u: same on cd_A, cd_B, cd_C (200 rows)',
      'Sync "cd": 1 of 2 tables differs',
    ]);
    // for scripts: nothing printed, the answer in the exit code
    expectDiffers(await world.bucardo('--quiet', 'compare', 'cd'), []);
    expect(await snapshot([a, b, c], ['t', 'u'])).toEqual(before);

    // changes captured and not delivered yet: said first, since they show as differences until a run
    await world.query(a.url, "UPDATE t SET v = 'new on A' WHERE id IN (1, 2); UPDATE u SET v = 'new' WHERE a = 1 AND b = 'abc'");
    expectDiffers(await compare('cd', 'limit=2'), [
      'Comparing sync "cd" against database "cd_A", its first source: 2 tables on 3 databases',
      'Note: 3 change records on database "cd_A" not delivered yet (public.t 2, public.u 1): what they change show as differences until the next run (bucardo kick cd 0)',
      'public.t: differs: cd_A 1000 rows, cd_B 998 rows, cd_C 1001 rows',
      '  cd_B: 2 missing, 3 different (v: 3)',
      '  cd_C: 1 extra, 4 different (v: 4)',
      "  key 1: different on cd_B (v: 'new on A' → 'v1'), cd_C (v: 'new on A' → 'v1')",
      "  key 2: different on cd_B (v: 'new on A' → 'v2'), cd_C (v: 'new on A' → 'v2')",
      '  … and 4 more keys',
      'public.u: differs: cd_A 200 rows, cd_B 200 rows, cd_C 200 rows',
      '  cd_B: 1 different (v: 1)',
      '  cd_C: 1 different (v: 1)',
      "  key (1, abc): different on cd_B (v: 'new' → 'a1'), cd_C (v: 'new' → 'a1')",
      'Sync "cd": 2 of 2 tables differ',
    ]);
  });

  it('keys in numeric order, negative numbers included', async () => {
    const a = await world.database('cn_A');
    const b = await world.database('cn_B');
    await world.api.addTables(['t'], { herd: 'cn_h', db: a.name });
    await world.api.addDbGroup('cn_g', [`${a.name}:source`, `${b.name}:target`]);
    await world.api.addSync('cn', { herd: 'cn_h', dbs: 'cn_g', autokick: 'false' });
    await world.query(a.url, "INSERT INTO t SELECT i, 'v' || i FROM generate_series(-12, 12) i");
    await kick('cn');
    await world.query(b.url, "UPDATE t SET v = 'other' WHERE id IN (-10, -2, 3, 10)");

    expectDiffers(await compare('cn'), [
      'Comparing sync "cn" against database "cn_A", its first source: 1 table on 2 databases',
      'public.t: differs: cn_A 25 rows, cn_B 25 rows',
      '  cn_B: 4 different (v: 4)',
      "  key -10: different on cn_B (v: 'v-10' → 'other')",
      "  key -2: different on cn_B (v: 'v-2' → 'other')",
      "  key 3: different on cn_B (v: 'v3' → 'other')",
      "  key 10: different on cn_B (v: 'v10' → 'other')",
      'Sync "cn": 1 of 1 table differs',
    ]);
  });

  it('a composite key reads (1, abc); NULL vs \'\' and values split differently over two columns are differences; databases in the dbgroup\'s order', async () => {
    const a = await world.database('ck_A');
    const b = await world.database('ck_B');
    const c = await world.database('ck_C');
    for (const db of [a, b, c]) await world.query(db.url, 'CREATE TABLE u (a int, b text, v text, w text, PRIMARY KEY (a, b))');
    await world.api.addTables(['u'], { herd: 'ck_h', db: a.name });
    // the target between the sources: the order of the output is the dbgroup's, not the names' nor the roles'
    await world.api.addDbGroup('ck_g', [`${a.name}:source`, `${c.name}:target`, `${b.name}:source`]);
    await world.api.addSync('ck', { herd: 'ck_h', dbs: 'ck_g', autokick: 'false' });
    await world.query(a.url, `INSERT INTO u SELECT i, 'abc', 'v' || i, 'w' || i FROM generate_series(1, 12) i;
      UPDATE u SET v = '' WHERE a = 3; UPDATE u SET v = NULL WHERE a = 4; UPDATE u SET v = 'ab', w = 'c' WHERE a = 6`);
    await world.query(b.url, "INSERT INTO u VALUES (20, 'def', 'from B', NULL)");
    await kick('ck');

    // a key part with a comma reads as an SQL literal, or (2, zz, z) would look like three parts
    await behindTheSync(b, "DELETE FROM u WHERE (a, b) = (1, 'abc'); INSERT INTO u VALUES (2, 'zz, z', 'only on B', NULL)");
    await world.query(c.url, `UPDATE u SET v = NULL WHERE (a, b) = (3, 'abc'); UPDATE u SET v = '' WHERE (a, b) = (4, 'abc');
      UPDATE u SET v = 'a', w = 'bc' WHERE (a, b) = (6, 'abc'); DELETE FROM u WHERE (a, b) = (12, 'abc')`);
    const before = await snapshot([a, b, c], ['u']);

    expectDiffers(await compare('ck'), [
      'Comparing sync "ck" against database "ck_A", its first source: 1 table on 3 databases',
      'public.u: differs: ck_A 13 rows, ck_C 12 rows, ck_B 13 rows',
      '  ck_C: 1 missing, 3 different (v: 3, w: 1)',
      '  ck_B: 1 missing, 1 extra',
      '  key (1, abc): missing on ck_B',
      "  key (2, 'zz, z'): extra on ck_B",
      "  key (3, abc): different on ck_C (v: '' → NULL)",
      "  key (4, abc): different on ck_C (v: NULL → '')",
      "  key (6, abc): different on ck_C (v: 'ab' → 'a', w: 'c' → 'bc')",
      '  key (12, abc): missing on ck_C',
      'Sync "ck": 1 of 1 table differs',
    ]);
    expect(await snapshot([a, b, c], ['u'])).toEqual(before);
  });

  it('not differences: another column order, int vs bigint, varchar vs text, another session TimeZone', async () => {
    const a = await world.database('co_A');
    const b = await world.database('co_B');
    const c = await world.database('co_C');
    await world.query(a.url, 'CREATE TABLE w (id int PRIMARY KEY, x int, y text, s varchar(20), at timestamptz)');
    await world.query(b.url, 'CREATE TABLE w (id int PRIMARY KEY, at timestamptz, y text, s varchar(20), x int)');
    // a column only the target has is not the sync's: its values are not compared, which compare says
    await world.query(c.url, 'CREATE TABLE w (id int PRIMARY KEY, s text, y text, x bigint, at timestamptz, note text DEFAULT \'C only\')');
    await world.api.addTables(['t', 'w'], { herd: 'co_h', db: a.name });
    await world.api.addDbGroup('co_g', [`${a.name}:source`, `${b.name}:source`, `${c.name}:target`]);
    await world.api.addSync('co', { herd: 'co_h', dbs: 'co_g', autokick: 'false' });
    await world.query(a.url, `INSERT INTO t VALUES (1, 'one');
      INSERT INTO w (id, x, y, s, at) VALUES (1, 10, 'one', 'uno', '2024-03-10 23:30:00+00'),
        (2, -5, NULL, 'dos', '2024-07-01 00:00:00.123456+00'), (3, 2147483647, 'three', NULL, NULL)`);
    await world.query(b.url, "INSERT INTO w (id, x, y, s, at) VALUES (4, 40, 'four', 'cuatro', '2024-12-31 15:00:00+00'), (5, 0, '', '', '1999-01-01 00:00:00+00')");
    await kick('co');
    await world.query(c.url, "UPDATE w SET note = 'C only, ' || id");
    // sessions opened from now on (the CLI's) print the same instants in other zones
    await world.sql(`ALTER DATABASE "${b.dbname}" SET timezone = 'Asia/Tokyo'`);
    await world.sql(`ALTER DATABASE "${c.dbname}" SET timezone = 'America/New_York'`);
    const fresh = await world.connect(b.url);
    try {
      expect((await fresh.query('SELECT at::text AS at FROM w WHERE id = 1')).rows).toEqual([{ at: '2024-03-11 08:30:00+09' }]);
    } finally {
      await fresh.end();
    }

    expectSame(await compare('co'), [
      'Comparing sync "co" against database "co_A", its first source: 2 tables on 3 databases',
      'public.t: same on co_A, co_B, co_C (1 row)',
      'public.w: same on co_A, co_B, co_C (5 rows)',
      '  Not compared on co_C: column "note", which the first source lacks',
      'Sync "co": every table is the same on every database',
    ]);
  });

  it('not differences either: equal numbers in other types (a numeric key 5.0 for 5, 1.5 for 1.50), and a database in another encoding', async () => {
    const a = await world.database('cv_A');
    // a LATIN1 database: md5 of a row's text there would see other bytes for 'café' than in UTF-8
    const dbname = `cmp_cv_c_${process.pid}`;
    await world.query(server.url('postgres'), `CREATE DATABASE ${dbname} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
    try {
      const c = { name: 'cv_C', dbname, url: server.url(dbname) };
      await world.ok('add', 'db', c.name, `dbname=${dbname}`, `host=${server.host}`, `port=${server.port}`, `user=${server.user}`, ...(server.password ? [`pass=${server.password}`] : []));
      await world.query(a.url, 'CREATE TABLE m (id int PRIMARY KEY, amount numeric(10,2), note text)');
      await world.query(c.url, 'CREATE TABLE m (id numeric PRIMARY KEY, amount numeric, note text)');
      await world.api.addTables(['m'], { herd: 'cv_h', db: a.name });
      await world.api.addDbGroup('cv_g', [`${a.name}:source`, `${c.name}:target`]);
      await world.api.addSync('cv', { herd: 'cv_h', dbs: 'cv_g', autokick: 'false' });
      await world.query(a.url, "INSERT INTO m VALUES (5, 1.5, 'café'), (6, 2, 'naïve')");
      await kick('cv');
      // the same numbers written differently on the target: 5.0 for key 5, 1.5 and 2.000 unpadded or padded otherwise
      await world.query(c.url, "DELETE FROM m; INSERT INTO m VALUES (5.0, 1.5, 'café'), (6, 2.000, 'naïve')");
      expect(await world.query(c.url, 'SELECT id::text, amount::text FROM m ORDER BY id')).toEqual([{ id: '5.0', amount: '1.5' }, { id: '6', amount: '2.000' }]);
      expectSame(await compare('cv'), [
        'Comparing sync "cv" against database "cv_A", its first source: 1 table on 2 databases',
        'public.m: same on cv_A, cv_C (2 rows)',
        'Sync "cv": every table is the same on every database',
      ]);
      await world.query(c.url, "UPDATE m SET note = 'cafe' WHERE id = 5");
      expectDiffers(await compare('cv'), [
        'Comparing sync "cv" against database "cv_A", its first source: 1 table on 2 databases',
        'public.m: differs: cv_A 2 rows, cv_C 2 rows',
        '  cv_C: 1 different (note: 1)',
        "  key 5: different on cv_C (note: 'café' → 'cafe')",
        'Sync "cv": 1 of 1 table differs',
      ]);
    } finally {
      await world.bucardo('remove', 'sync', 'cv');
      await world.bucardo('remove', 'db', 'cv_C', '--force');
      await world.query(server.url('postgres'), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${dbname}'`);
      await world.query(server.url('postgres'), `DROP DATABASE IF EXISTS ${dbname}`);
    }
  });

  it('a char(n) key: the listed key shows its values, as for any other key', async () => {
    const a = await world.database('cq_A');
    const b = await world.database('cq_B');
    for (const db of [a, b]) await world.query(db.url, 'CREATE TABLE c (code char(5) PRIMARY KEY, v text)');
    await world.api.addTables(['c'], { herd: 'cq_h', db: a.name });
    await world.api.addDbGroup('cq_g', [`${a.name}:source`, `${b.name}:target`]);
    await world.api.addSync('cq', { herd: 'cq_h', dbs: 'cq_g', autokick: 'false' });
    await world.query(a.url, "INSERT INTO c VALUES ('ab', 'one'), ('abcde', 'two')");
    await kick('cq');
    await world.query(b.url, "UPDATE c SET v = 'changed' WHERE code = 'ab'");
    expectDiffers(await compare('cq'), [
      'Comparing sync "cq" against database "cq_A", its first source: 1 table on 2 databases',
      'public.c: differs: cq_A 2 rows, cq_B 2 rows',
      '  cq_B: 1 different (v: 1)',
      "  key 'ab   ': different on cq_B (v: 'one' → 'changed')",
      'Sync "cq": 1 of 1 table differs',
    ]);
  });

  it('a database whose writer cannot read rows back (a flat file) is left out, named, and the others compared', async () => {
    const a = await world.database('cf_A');
    const b = await world.database('cf_B');
    await world.ok('add', 'db', 'cf_F', 'type=flatfile', `dir=${world.tempDir('flatfile')}`);
    await world.api.addTables(['t'], { herd: 'cf_h', db: a.name });
    await world.api.addDbGroup('cf_g', [`${a.name}:source`, 'cf_F:target', `${b.name}:target`]);
    await world.api.addSync('cf', { herd: 'cf_h', dbs: 'cf_g', autokick: 'false' });
    await world.query(a.url, "INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 10) i");
    await kick('cf');
    expectSame(await compare('cf'), [
      'Comparing sync "cf" against database "cf_A", its first source: 1 table on 2 databases',
      'Not compared on database "cf_F": its writer (type flatfile) cannot read rows back',
      'public.t: same on cf_A, cf_B (10 rows)',
      'Sync "cf": every table is the same on every database',
    ]);
    await world.query(b.url, 'DELETE FROM t WHERE id = 3');
    expectDiffers(await compare('cf'), [
      'Comparing sync "cf" against database "cf_A", its first source: 1 table on 2 databases',
      'Not compared on database "cf_F": its writer (type flatfile) cannot read rows back',
      'public.t: differs: cf_A 10 rows, cf_B 9 rows',
      '  cf_B: 1 missing',
      '  key 3: missing on cf_B',
      'Sync "cf": 1 of 1 table differs',
    ]);
  });

  it('a database without the key: a key it holds twice is duplicated there, whatever its values', async () => {
    const { c } = await trio('cu');
    // and a row whose key is NULL, which no key matches: counted, and said
    await world.query(c.url, "ALTER TABLE t DROP CONSTRAINT t_pkey; ALTER TABLE t ALTER COLUMN id DROP NOT NULL; INSERT INTO t VALUES (5, 'v5'), (9, 'other'), (NULL, 'no key')");
    expectDiffers(await compare('cu'), [
      'Comparing sync "cu" against database "cu_A", its first source: 2 tables on 3 databases',
      'public.t: differs: cu_A 1000 rows, cu_B 1000 rows, cu_C 1003 rows',
      '  cu_C: 2 duplicated, 1 row with a NULL key, which no key matches',
      '  key 5: duplicated on cu_C',
      '  key 9: duplicated on cu_C',
      'public.u: same on cu_A, cu_B, cu_C (200 rows)',
      'Sync "cu": 1 of 2 tables differs',
    ]);
  });

  it('a wildcard (or all) compares each sync it names in turn; the exit code is the worst; no TABLE with it', async () => {
    const one = await world.pair('cw_one', { autokick: false });
    const two = await world.pair('cw_two', { autokick: false });
    await world.insert(one.a, 1, 2);
    await world.insert(two.a, 3);
    await kick('cw_one');
    await kick('cw_two');
    const block = (sync: string, rows: string) => [
      `Comparing sync "${sync}" against database "${sync}_A", its first source: 1 table on 2 databases`,
      `public.t: same on ${sync}_A, ${sync}_B (${rows})`,
      `Sync "${sync}": every table is the same on every database`,
    ];
    expectSame(await compare('cw%'), [...block('cw_one', '2 rows'), ...block('cw_two', '1 row')]);
    await world.query(two.b.url, 'DELETE FROM t');
    expectDiffers(await compare('cw_*'), [
      ...block('cw_one', '2 rows'),
      'Comparing sync "cw_two" against database "cw_two_A", its first source: 1 table on 2 databases',
      'public.t: differs: cw_two_A 1 row, cw_two_B 0 rows',
      '  cw_two_B: 1 missing',
      '  key 3: missing on cw_two_B',
      'Sync "cw_two": 1 of 1 table differs',
    ]);
    const withTable = await compare('cw%', 't');
    expect(withTable.stderr).toBe('ERROR: Tables can be named for one sync only, not for "cw%": bucardo compare SYNC [TABLE…] [INVALID_ARGUMENT]\n');
    expect(withTable.code).toBe(1);
    const none = await compare('cw_none%');
    expect(none.stderr).toBe('ERROR: No syncs match "cw_none%" [SYNC_NOT_FOUND]\n');
    expect(none.code).toBe(1);

    // a sync that cannot be compared (a database unreachable) is an error line; the others are compared
    const proxy = world.proxy();
    await proxy.open();
    const gone = await world.pair('cw_three', { autokick: false, proxyB: proxy });
    await world.insert(gone.a, 9);
    await kick('cw_three');
    await proxy.close();
    const partly = await compare('cw_*');
    expect(partly.stdout).toBe([...block('cw_one', '2 rows'),
      'Comparing sync "cw_two" against database "cw_two_A", its first source: 1 table on 2 databases',
      'public.t: differs: cw_two_A 1 row, cw_two_B 0 rows',
      '  cw_two_B: 1 missing',
      '  key 3: missing on cw_two_B',
      'Sync "cw_two": 1 of 1 table differs', ''].join('\n'));
    expect(partly.stderr).toMatch(/^ERROR: Cannot compare sync "cw_three": no database but its first source could be reached: "cw_three_B" \(Cannot connect to database "cw_three_B" .*\) \[CONNECTION_FAILED\]\n$/);
    expect(partly.code).toBe(1);
  });

  it('limit=N and the default of 20 key lines end with "… and N more keys"; TABLE arguments restrict the comparison', async () => {
    const a = await world.database('cl_A');
    const b = await world.database('cl_B');
    for (const db of [a, b]) await world.query(db.url, 'CREATE TABLE u (id int PRIMARY KEY, v text); CREATE TABLE many (id int PRIMARY KEY, v text)');
    await world.api.addTables(['t', 'u', 'many'], { herd: 'cl_h', db: a.name });
    await world.api.addDbGroup('cl_g', [`${a.name}:source`, `${b.name}:target`]);
    await world.api.addSync('cl', { herd: 'cl_h', dbs: 'cl_g', autokick: 'false' });
    await world.query(a.url, `INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 50) i; INSERT INTO u VALUES (1, 'x'), (2, 'y');
      INSERT INTO many SELECT i, 'v' || i FROM generate_series(1, 100) i`);
    await kick('cl');
    await world.query(b.url, `DELETE FROM t WHERE id = 3; UPDATE t SET v = 'other' WHERE id = 8; INSERT INTO t VALUES (60, 'extra');
      UPDATE many SET v = 'other' WHERE id <= 25`);

    expectDiffers(await compare('cl', 'limit=1'), [
      'Comparing sync "cl" against database "cl_A", its first source: 3 tables on 2 databases',
      'public.t: differs: cl_A 50 rows, cl_B 50 rows',
      '  cl_B: 1 missing, 1 extra, 1 different (v: 1)',
      '  key 3: missing on cl_B',
      '  … and 2 more keys',
      'public.u: same on cl_A, cl_B (2 rows)',
      'public.many: differs: cl_A 100 rows, cl_B 100 rows',
      '  cl_B: 25 different (v: 25)',
      "  key 1: different on cl_B (v: 'v1' → 'other')",
      '  … and 24 more keys',
      'Sync "cl": 2 of 3 tables differ',
    ]);
    expectDiffers(await compare('cl', 't', 'limit=2'), [
      'Comparing sync "cl" against database "cl_A", its first source: 1 table on 2 databases',
      'public.t: differs: cl_A 50 rows, cl_B 50 rows',
      '  cl_B: 1 missing, 1 extra, 1 different (v: 1)',
      '  key 3: missing on cl_B',
      "  key 8: different on cl_B (v: 'v8' → 'other')",
      '  … and 1 more key',
      'Sync "cl": 1 of 1 table differs',
    ]);
    // limit=0: the counts only
    expectDiffers(await compare('cl', 'limit=0', 'public.t'), [
      'Comparing sync "cl" against database "cl_A", its first source: 1 table on 2 databases',
      'public.t: differs: cl_A 50 rows, cl_B 50 rows',
      '  cl_B: 1 missing, 1 extra, 1 different (v: 1)',
      'Sync "cl": 1 of 1 table differs',
    ]);
    const bad = await compare('cl', 'limit=x');
    expect(bad.stderr).toBe('ERROR: limit must be a whole number (0: counts only), not "x" [INVALID_ARGUMENT]\n');
    expect(bad.code).toBe(1);
    const unknown = await compare('cl', 'foo=1');
    expect(unknown.stderr).toMatch(/^ERROR: Unknown option "foo" for compare .*\[INVALID_ARGUMENT\]\n$/);
    expect(unknown.stdout).toBe('');
    expect(unknown.code).toBe(1);
    // exactly as many keys as the limit: no "more" line
    expectDiffers(await compare('cl', 'limit=3', 'public.t'), [
      'Comparing sync "cl" against database "cl_A", its first source: 1 table on 2 databases',
      'public.t: differs: cl_A 50 rows, cl_B 50 rows',
      '  cl_B: 1 missing, 1 extra, 1 different (v: 1)',
      '  key 3: missing on cl_B',
      "  key 8: different on cl_B (v: 'v8' → 'other')",
      '  key 60: extra on cl_B',
      'Sync "cl": 1 of 1 table differs',
    ]);
    expectDiffers(await compare('cl', 'many'), [
      'Comparing sync "cl" against database "cl_A", its first source: 1 table on 2 databases',
      'public.many: differs: cl_A 100 rows, cl_B 100 rows',
      '  cl_B: 25 different (v: 25)',
      ...Array.from({ length: 20 }, (_, i) => `  key ${i + 1}: different on cl_B (v: 'v${i + 1}' → 'other')`),
      '  … and 5 more keys',
      'Sync "cl": 1 of 1 table differs',
    ]);
    expectSame(await compare('cl', 'public.u'), [
      'Comparing sync "cl" against database "cl_A", its first source: 1 table on 2 databases',
      'public.u: same on cl_A, cl_B (2 rows)',
      'Sync "cl": every table is the same on every database',
    ]);
  });

  describe('errors: exit 1, ERROR: … [CODE] on stderr, and nothing written', () => {
    let dbs: Db[];
    let before: Record<string, unknown>;

    beforeAll(async () => {
      const { a, b, c } = await trio('ce');
      dbs = [a, b, c];
      // a table Bucardo knows, in another herd: known, but not the sync's
      await world.query(a.url, 'CREATE TABLE other (id int PRIMARY KEY)');
      await world.api.addTables(['other'], { herd: 'other_h', db: a.name });
      before = await snapshot(dbs, ['t', 'u', 'other']);
    });

    it('an unknown sync: SYNC_NOT_FOUND', async () => {
      expectError(await compare('nosuch'), 'SYNC_NOT_FOUND', 'nosuch');
      expect(await snapshot(dbs, ['t', 'u', 'other'])).toEqual(before);
    });

    it('a table not in the sync: TABLE_NOT_FOUND naming it and the sync', async () => {
      expectError(await compare('ce', 'nope'), 'TABLE_NOT_FOUND', 'nope', '"ce"');
      expectError(await compare('ce', 't', 'other'), 'TABLE_NOT_FOUND', 'other', '"ce"');
      expect(await snapshot(dbs, ['t', 'u', 'other'])).toEqual(before);
    });

    it('no arguments: the usage', async () => {
      const result = await compare();
      expect(result.stderr).toContain('Usage: bucardo compare SYNC [TABLE…] [limit=N]');
      expect(result.code, result.stderr).toBe(1);
    });

    /** The report of a compare that could not compare one table: the others compared, exit 1. */
    async function expectNotCompared(lines: readonly string[]): Promise<void> {
      const result = await compare('ce');
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe([...lines, ''].join('\n'));
      expect(result.code).toBe(1);
    }

    it('a column missing on one database: that table compared on the others, that database named with the problem; exit 1', async () => {
      const c = dbs[2]!;
      await world.query(c.url, 'ALTER TABLE t DROP COLUMN v');
      const changed = await snapshot(dbs, ['t', 'u', 'other']);
      await expectNotCompared([
        'Comparing sync "ce" against database "ce_A", its first source: 2 tables on 3 databases',
        'public.t: same on ce_A, ce_B (1000 rows)',
        '  Not compared on ce_C: Table "public.t" on database "ce_C" has no column "v" [TABLE_COLUMNS_MISMATCH]',
        'public.u: same on ce_A, ce_B, ce_C (200 rows)',
        'Sync "ce": 1 of 2 tables not compared on every database',
      ]);
      expect(await snapshot(dbs, ['t', 'u', 'other'])).toEqual(changed);
      await world.query(c.url, "ALTER TABLE t ADD COLUMN v text; UPDATE t SET v = 'v' || id");
      expect(await snapshot(dbs, ['t', 'u', 'other'])).toEqual(before);
    });

    it('a table dropped on one database: compared on the others, that database named; dropped on the first source: not compared at all; exit 1', async () => {
      const c = dbs[2]!;
      await world.query(c.url, 'DROP TABLE u');
      const changed = await snapshot(dbs, ['t', 'u', 'other']);
      await expectNotCompared([
        'Comparing sync "ce" against database "ce_A", its first source: 2 tables on 3 databases',
        'public.t: same on ce_A, ce_B, ce_C (1000 rows)',
        'public.u: same on ce_A, ce_B (200 rows)',
        '  Not compared on ce_C: Table "public.u" does not exist on database "ce_C" [TABLE_MISSING]',
        'Sync "ce": 1 of 2 tables not compared on every database',
      ]);
      // --quiet prints nothing but errors, and a table not compared is one
      const quiet = await world.bucardo('--quiet', 'compare', 'ce');
      expect(quiet.stdout).toBe('');
      expect(quiet.stderr).toBe('ERROR: Sync "ce": Table "public.u" does not exist on database "ce_C" [TABLE_MISSING]\n');
      expect(quiet.code).toBe(1);
      // gone from the first source, against which every database is set: that table is not compared at all
      const a = dbs[0]!;
      await world.query(a.url, 'ALTER TABLE u RENAME TO u_away');
      try {
        await expectNotCompared([
          'Comparing sync "ce" against database "ce_A", its first source: 2 tables on 3 databases',
          'public.t: same on ce_A, ce_B, ce_C (1000 rows)',
          'public.u: not compared: Table "public.u" does not exist on database "ce_A" [TABLE_MISSING]',
          'Sync "ce": 1 of 2 tables not compared',
        ]);
      } finally {
        await world.query(a.url, 'ALTER TABLE u_away RENAME TO u');
      }
      expect(await snapshot(dbs, ['t', 'u', 'other'])).toEqual(changed);
    });
  });

  it('sequences: each set against the first source\'s (value and settings), after the tables; missing ones named; exit 2 or 1', async () => {
    const a = await world.database('csq_A');
    const b = await world.database('csq_B');
    const c = await world.database('csq_C');
    for (const db of [a, b, c]) await world.query(db.url, 'CREATE SEQUENCE s1; CREATE SEQUENCE s2');
    await world.ok('add', 'sequence', 's1', 's2', 'herd=csq_h');
    await world.api.addTables(['t'], { herd: 'csq_h', db: a.name });
    await world.api.addDbGroup('csq_g', [`${a.name}:source`, `${b.name}:source`, `${c.name}:target`]);
    await world.api.addSync('csq', { herd: 'csq_h', dbs: 'csq_g', autokick: 'false' });
    await world.query(a.url, "SELECT setval('s1', 10)");
    await world.insert(a, 1);
    await kick('csq');
    expectSame(await compare('csq'), [
      'Comparing sync "csq" against database "csq_A", its first source: 1 table and 2 sequences on 3 databases',
      'public.t: same on csq_A, csq_B, csq_C (1 row)',
      'public.s1: same on csq_A, csq_B, csq_C (sequence, last value 10)',
      'public.s2: same on csq_A, csq_B, csq_C (sequence, last value 1)',
      'Sync "csq": every table and sequence is the same on every database',
    ]);

    // values handed out on B since the run, a setting changed on C: both differ, each setting named
    await world.query(b.url, "SELECT nextval('s1'), nextval('s1')");
    await world.query(c.url, 'ALTER SEQUENCE s2 INCREMENT BY 5 MAXVALUE 1000');
    const states = await snapshotSequences([a, b, c]);
    expectDiffers(await compare('csq'), [
      'Comparing sync "csq" against database "csq_A", its first source: 1 table and 2 sequences on 3 databases',
      'public.t: same on csq_A, csq_B, csq_C (1 row)',
      'public.s1: differs (sequence): csq_A last value 10, csq_B last value 12, csq_C last value 10',
      '  csq_B: last value: 10 → 12',
      'public.s2: differs (sequence): csq_A last value 1, csq_B last value 1, csq_C last value 1',
      '  csq_C: increment: 1 → 5, maximum: 9223372036854775807 → 1000',
      'Sync "csq": 2 of 2 sequences differ',
    ]);
    // it only read them
    expect(await snapshotSequences([a, b, c])).toEqual(states);
    // a sequence named alone, as a table is
    expectDiffers(await compare('csq', 's1'), [
      'Comparing sync "csq" against database "csq_A", its first source: 1 sequence on 3 databases',
      'public.s1: differs (sequence): csq_A last value 10, csq_B last value 12, csq_C last value 10',
      '  csq_B: last value: 10 → 12',
      'Sync "csq": 1 of 1 sequence differs',
    ]);

    // a run makes them equal again (the highest source's value, its settings)
    await kick('csq');
    expect((await compare('csq')).code).toBe(0);

    // missing on a database: compared on the others, that one named; missing on the first source: not compared
    await world.query(c.url, 'DROP SEQUENCE s2');
    await world.query(a.url, 'DROP SEQUENCE s1');
    const missing = await compare('csq');
    expect(missing.stdout).toBe([
      'Comparing sync "csq" against database "csq_A", its first source: 1 table and 2 sequences on 3 databases',
      'public.t: same on csq_A, csq_B, csq_C (1 row)',
      'public.s1: not compared: Sequence "public.s1" does not exist on database "csq_A" [TABLE_MISSING]',
      'public.s2: same on csq_A, csq_B (sequence, last value 1)',
      '  Not compared on csq_C: Sequence "public.s2" does not exist on database "csq_C" [TABLE_MISSING]',
      'Sync "csq": 1 of 2 sequences not compared on every database, 1 of 2 sequences not compared',
      '',
    ].join('\n'));
    expect(missing.stderr).toBe('');
    expect(missing.code).toBe(1);
    // runs leave a missing sequence out: validate and the run's log say so
    const validated = await world.bucardo('validate', 'csq');
    expect(validated.stdout).toBe([
      'Validating sync csq ... OK',
      '  Warning: Sequence "public.s1" does not exist on database "csq_A" [TABLE_MISSING]',
      '  Warning: Sequence "public.s2" does not exist on database "csq_C" [TABLE_MISSING]',
      '',
    ].join('\n'));
    expect(validated.code).toBe(0);
    const run = await world.bucardo('kick', 'csq', '0');
    expect(run.stdout).toMatch(/^Kick csq: \[\d+ s\] DONE!\n$/);
    expect(run.stderr).toMatch(/ WARN CLI sync=csq run=\d+ Sequence "public\.s1" does not exist on database "csq_A": not synced there\n/);
    expect(run.stderr).toMatch(/ WARN CLI sync=csq run=\d+ Sequence "public\.s2" does not exist on database "csq_C": not synced there\n/);
    expect(run.code).toBe(0);
  });

  it('on a terminal, the table being compared is shown on a line of its own until its result is printed over it', async () => {
    const { b } = await trio('ctty');
    await behindTheSync(b, "UPDATE t SET v = 'changed' WHERE id = 7");
    const plain = await compare('ctty');
    expect(plain.code).toBe(2);
    const shown = await world.bucardoOnTerminal('compare', 'ctty');
    expect(shown.code).toBe(2);
    // what a terminal ends up showing is what a pipe gets
    expect(onScreen(shown.stdout)).toEqual(plain.stdout.split('\n'));
    // and meanwhile it showed each table's steps: the sums, then the rows of the partitions that differ
    expect(shown.stdout).toContain('\rpublic.t: summing up the rows on 3 databases… [0 s]');
    expect(shown.stdout).toMatch(/\rpublic\.t: reading differing partitions, 0 of 1… \[\d+ s\]/);
    expect(shown.stdout).toContain('\rpublic.u: summing up the rows on 3 databases… [0 s]');
    // --quiet draws nothing
    const quiet = await world.bucardoOnTerminal('compare', 'ctty', '--quiet');
    expect(quiet.stdout).toBe('');
    expect(quiet.code).toBe(2);
  });

  it('a fullcopy sync\'s table without a key: compared as a whole, the same or not, per database', async () => {
    const a = await world.database('ckl_A');
    const f = await world.database('ckl_F');
    const g = await world.database('ckl_G');
    for (const db of [a, f, g]) await world.query(db.url, 'CREATE TABLE h (n int, v text)');
    await world.query(a.url, "INSERT INTO h SELECT i % 7, 'v' FROM generate_series(1, 50) i");
    await world.ok('add', 'table', 'h', 'db=ckl_A', 'herd=ckl_h', 'keyless=true');
    await world.ok('add', 'table', 't', 'db=ckl_A', 'herd=ckl_h');
    await world.api.addDbGroup('ckl_g', [`${a.name}:source`, `${f.name}:fullcopy`, `${g.name}:fullcopy`]);
    await world.api.addSync('ckl', { herd: 'ckl_h', dbs: 'ckl_g' });
    await kick('ckl');
    expectSame(await compare('ckl'), [
      'Comparing sync "ckl" against database "ckl_A", its first source: 2 tables on 3 databases',
      'public.h: same on ckl_A, ckl_F, ckl_G (50 rows)',
      'public.t: same on ckl_A, ckl_F, ckl_G (0 rows)',
      'Sync "ckl": every table is the same on every database',
    ]);
    // one row changed on F (same count), one row more on the source
    await world.query(f.url, "UPDATE h SET v = 'w' WHERE ctid = (SELECT min(ctid) FROM h)");
    await world.query(a.url, "INSERT INTO h VALUES (1, 'v')");
    expectDiffers(await compare('ckl'), [
      'Comparing sync "ckl" against database "ckl_A", its first source: 2 tables on 3 databases',
      'public.h: differs: ckl_A 51 rows, ckl_F 50 rows, ckl_G 50 rows',
      '  ckl_F: its rows differ (the table has no key to list them by; the next kick copies it whole)',
      '  ckl_G: its rows differ (the table has no key to list them by; the next kick copies it whole)',
      'public.t: same on ckl_A, ckl_F, ckl_G (0 rows)',
      'Sync "ckl": 1 of 2 tables differs',
    ]);
    await kick('ckl');
    expect((await compare('ckl')).code).toBe(0);
  });

  it('an unreachable database: CONNECTION_FAILED naming it; nothing written; compared again once it is back', async () => {
    const proxy: TcpProxy = world.proxy();
    await proxy.open();
    const a = await world.database('cp_A');
    const b = await world.database('cp_B', proxy);
    await world.api.addTables(['t'], { herd: 'cp_h', db: a.name });
    await world.api.addDbGroup('cp_g', [`${a.name}:source`, `${b.name}:target`]);
    await world.api.addSync('cp', { herd: 'cp_h', dbs: 'cp_g', autokick: 'false' });
    await world.insert(a, 1, 2, 3);
    await kick('cp');
    const before = await snapshot([a, b], ['t']);
    await proxy.close();

    expectError(await compare('cp'), 'CONNECTION_FAILED', '"cp_B"');
    expect(await snapshot([a, b], ['t'])).toEqual(before);

    await proxy.open();
    expectSame(await compare('cp'), [
      'Comparing sync "cp" against database "cp_A", its first source: 1 table on 2 databases',
      'public.t: same on cp_A, cp_B (3 rows)',
      'Sync "cp": every table is the same on every database',
    ]);
  });

  it('with every database but the first source unreachable: an error naming each, in the sync\'s order', async () => {
    const proxyB: TcpProxy = world.proxy();
    const proxyC: TcpProxy = world.proxy();
    await proxyB.open();
    await proxyC.open();
    const a = await world.database('cun_A');
    const b = await world.database('cun_B', proxyB);
    const c = await world.database('cun_C', proxyC);
    await world.api.addTables(['t'], { herd: 'cun_h', db: a.name });
    await world.api.addDbGroup('cun_g', [`${a.name}:source`, `${b.name}:source`, `${c.name}:target`]);
    await world.api.addSync('cun', { herd: 'cun_h', dbs: 'cun_g', autokick: 'false' });
    await proxyC.close();
    await proxyB.close();
    const result = await compare('cun');
    expect(result.stderr).toMatch(/^ERROR: Cannot compare sync "cun": no database but its first source could be reached: "cun_B" \(Cannot connect to database "cun_B"[^;]*\); "cun_C" \(Cannot connect to database "cun_C".*\) \[CONNECTION_FAILED\]\n$/);
    expect(result.code).toBe(1);
  });

  it('on a terminal, a progress line wider than the terminal loses its start, never its count and seconds', async () => {
    const long = `t_${'x'.repeat(60)}`;
    const a = await world.database('cln_A');
    const b = await world.database('cln_B');
    for (const db of [a, b]) await world.query(db.url, `CREATE TABLE ${long} (id int PRIMARY KEY)`);
    await world.api.addTables([long], { herd: 'cln_h', db: a.name });
    await world.api.addDbGroup('cln_g', [`${a.name}:source`, `${b.name}:target`]);
    await world.api.addSync('cln', { herd: 'cln_h', dbs: 'cln_g', autokick: 'false' });
    const shown = await world.bucardoOnTerminal('compare', 'cln');
    expect(shown.code).toBe(0);
    // the terminal here has no size, taken as 80 columns: each drawing fits 79, and ends with the seconds
    const drawings = shown.stdout.split('\r').filter((part) => part.includes('summing up'));
    expect(drawings.length).toBeGreaterThan(0);
    for (const drawing of drawings) {
      expect(drawing).toMatch(/^….*summing up the rows on 2 databases… \[\d+ s\]$/);
      expect(drawing.length).toBeLessThanOrEqual(79);
    }
  });

  it('a database that cannot be reached is left out and named; the others are compared; exit 1; the first source unreachable is an error', async () => {
    const proxyC: TcpProxy = world.proxy();
    const proxyA: TcpProxy = world.proxy();
    await proxyC.open();
    await proxyA.open();
    const a = await world.database('cr_A', proxyA);
    const b = await world.database('cr_B');
    const c = await world.database('cr_C', proxyC);
    await world.api.addTables(['t'], { herd: 'cr_h', db: a.name });
    await world.api.addDbGroup('cr_g', [`${a.name}:source`, `${b.name}:source`, `${c.name}:target`]);
    await world.api.addSync('cr', { herd: 'cr_h', dbs: 'cr_g', autokick: 'false' });
    await world.insert(a, 1, 2, 3);
    await kick('cr');
    await proxyC.close();
    const unreachableC = /^Not compared on database "cr_C": Cannot connect to database "cr_C".* \[CONNECTION_FAILED\]$/;

    const same = await compare('cr');
    const sameLines = same.stdout.split('\n');
    expect(sameLines[0]).toBe('Comparing sync "cr" against database "cr_A", its first source: 1 table on 2 databases');
    expect(sameLines[1]).toMatch(unreachableC);
    expect(sameLines.slice(2)).toEqual([
      'public.t: same on cr_A, cr_B (3 rows)',
      'Sync "cr": every table is the same on every database reached; not reached: database "cr_C"',
      '',
    ]);
    expect(same.stderr).toBe('');
    expect(same.code).toBe(1);

    // differences on the databases reached are still found and listed; the exit code stays the error's
    await behindTheSync(b, 'DELETE FROM t WHERE id = 2');
    const before = await snapshot([a, b], ['t']);
    const differs = await compare('cr');
    expect(differs.stdout.split('\n').slice(2)).toEqual([
      'public.t: differs: cr_A 3 rows, cr_B 2 rows',
      '  cr_B: 1 missing',
      '  key 2: missing on cr_B',
      'Sync "cr": 1 of 1 table differs; not reached: database "cr_C"',
      '',
    ]);
    expect(differs.code).toBe(1);
    // --quiet: nothing but the error
    const quiet = await world.bucardo('compare', 'cr', '--quiet');
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr).toMatch(/^ERROR: Sync "cr": Cannot connect to database "cr_C".* \[CONNECTION_FAILED\]\n$/);
    expect(quiet.code).toBe(1);

    // without its first source there is nothing to compare against
    await proxyA.close();
    const noReference = await compare('cr');
    expectError(noReference, 'CONNECTION_FAILED', '"cr_A"');
    // the sync is named: compare all goes on to the next sync, and the line must say which one failed
    expect(noReference.stderr).toMatch(/^ERROR: Cannot compare sync "cr" without its first source: Cannot connect to database "cr_A"/);
    expect(await snapshot([a, b], ['t'])).toEqual(before);

    await proxyA.open();
    await proxyC.open();
    await behindTheSync(b, "INSERT INTO t VALUES (2, 'v2')");
    expectSame(await compare('cr'), [
      'Comparing sync "cr" against database "cr_A", its first source: 1 table on 3 databases',
      'public.t: same on cr_A, cr_B, cr_C (3 rows)',
      'Sync "cr": every table is the same on every database',
    ]);
  });
});
