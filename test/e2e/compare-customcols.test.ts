/**
 * `bucardo compare` on a sync with customcols (`bucardo add customcols`), end to end through the CLI: a
 * receiving database sent a table through a select list is set against the first source read through that
 * list, by the list's columns, and says so on a line of its own; the others are set against the first
 * source's own columns. Source A; targets B and C; tables t(id, v), u(id, v, x) (B's u without x, with a
 * column w of its own) and n(id, v text holding numbers).
 *
 *  - t with `SELECT id, upper(v) AS v` on B only: after a kick, every table is the same (exit 0), B's line
 *    naming the clause; C is compared on A's columns as they are;
 *  - a row changed by hand on B, on C, and a key changed on both: each key named once, B's values against
 *    A's through the list, C's against A's own (exit 2);
 *  - u with `SELECT id, v` on B, whose u lacks x and has w: compared on id and v, w said not selected;
 *  - n with `SELECT id, v::int AS v` on C and a row the list cannot read put on A behind the sync: C is not
 *    compared on n, with the error naming the table, the databases, the clause and how to remove it; B
 *    still is (exit 1);
 *  - with two sources and a clause for every database, only the target has it (a source's rows are captured
 *    as they are): the second source is set against the first source's own columns, the target against
 *    the list; a function the target's own clause calls dropped on A since: the target not compared, named
 *    with the clause (exit 1).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import type { CliResult } from '../src/helpers/cli.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('bucardo compare with customcols', () => {
  const world = new DaemonWorld(server, 'cmpcc');
  let a: Db;
  let b: Db;
  let c: Db;

  beforeAll(async () => {
    await world.install();
    a = await world.database('A');
    b = await world.database('B');
    c = await world.database('C');
    for (const db of [a, b, c]) await world.query(db.url, 'CREATE TABLE u (id int PRIMARY KEY, v text, x text)');
    for (const db of [a, b, c]) await world.query(db.url, 'CREATE TABLE n (id int PRIMARY KEY, v text)');
    await world.api.addTables(['t', 'u', 'n'], { herd: 'h', db: a.name });
    await world.api.addDbGroup('g', ['A:source', 'B:target', 'C:target']);
    await world.api.addSync('cs', { herd: 'h', dbs: 'g', autokick: 'false' });
    await world.ok('add', 'customcols', 't', 'SELECT id, upper(v) AS v', 'db=B');
    await world.ok('add', 'customcols', 'u', 'SELECT id, v', 'db=B');
    await world.ok('add', 'customcols', 'n', 'SELECT id, v::int AS v', 'db=C');
    // B is sent u's id and v only: it can do without x, and have a column of its own
    await world.query(b.url, 'ALTER TABLE u DROP COLUMN x, ADD COLUMN w text');
    await world.query(a.url, "INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three'); INSERT INTO u VALUES (1, 'a', 'ax'), (2, 'b', 'bx'); INSERT INTO n VALUES (1, '10'), (2, '020')");
    expect(await world.ok('kick', 'cs', '0')).toMatch(/^Kick cs: \[\d+ s\] DONE!$/m);
    // what the sync sent: B's t upper-cased, C's n as numbers
    expect(await world.query(b.url, 'SELECT id, v FROM t ORDER BY id')).toEqual([{ id: 1, v: 'ONE' }, { id: 2, v: 'TWO' }, { id: 3, v: 'THREE' }]);
    expect(await world.query(c.url, 'SELECT id, v FROM n ORDER BY id')).toEqual([{ id: 1, v: '10' }, { id: 2, v: '20' }]);
  });
  afterAll(() => world.dispose());

  function expectOutput(result: CliResult, code: number, lines: readonly string[]): void {
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe([...lines, ''].join('\n'));
    expect(result.code, result.stdout).toBe(code);
  }

  const tLine = '  Compared on B with A read through customcols 1: SELECT id, upper(v) AS v';
  const uLines = ['  Compared on B with A read through customcols 2: SELECT id, v', '  Not compared on B: column "w", which customcols 2 does not select'];
  const nLine = '  Compared on C with A read through customcols 3: SELECT id, v::int AS v';

  it('a sync that is exactly right is the same everywhere, each list named', async () => {
    expectOutput(await world.bucardo('compare', 'cs'), 0, [
      'Comparing sync "cs" against database "A", its first source: 3 tables on 3 databases',
      'public.t: same on A, B, C (3 rows)',
      tLine,
      'public.u: same on A, B, C (2 rows)',
      ...uLines,
      'public.n: same on A, B, C (2 rows)',
      nLine,
      'Sync "cs": every table is the same on every database',
    ]);
  });

  it('rows changed by hand: each key named once, against A as each database is sent it', async () => {
    await world.query(b.url, "UPDATE t SET v = 'two' WHERE id = 2; UPDATE t SET v = 'b1' WHERE id = 1");
    await world.query(c.url, "UPDATE t SET v = 'THREE' WHERE id = 3; UPDATE t SET v = 'c1' WHERE id = 1");
    expectOutput(await world.bucardo('compare', 'cs', 't'), 2, [
      'Comparing sync "cs" against database "A", its first source: 1 table on 3 databases',
      'public.t: differs: A 3 rows, B 3 rows, C 3 rows',
      tLine,
      '  B: 2 different (v: 2)',
      '  C: 2 different (v: 2)',
      "  key 1: different on B (v: 'ONE' → 'b1'), C (v: 'one' → 'c1')",
      "  key 2: different on B (v: 'TWO' → 'two')",
      "  key 3: different on C (v: 'three' → 'THREE')",
      'Sync "cs": 1 of 1 table differs',
    ]);
    await world.query(b.url, "UPDATE t SET v = upper(v) WHERE id IN (1, 2); UPDATE t SET v = 'ONE' WHERE id = 1");
    await world.query(c.url, "UPDATE t SET v = 'three' WHERE id = 3; UPDATE t SET v = 'one' WHERE id = 1");
    expect((await world.bucardo('compare', 'cs', 't')).code).toBe(0);
  });

  it('a list that cannot read a row of the first source: its databases not compared, named with the clause (exit 1)', async () => {
    await world.query(a.url, "BEGIN; SELECT set_config('bucardo.replicating', 'on', true); INSERT INTO n VALUES (3, 'abc'); COMMIT");
    expectOutput(await world.bucardo('compare', 'cs', 'n'), 1, [
      'Comparing sync "cs" against database "A", its first source: 1 table on 3 databases',
      'public.n: differs: A 3 rows, B 2 rows',
      '  B: 1 missing',
      '  key 3: missing on B',
      '  Not compared on C: Cannot read table "public.n" on database "A" with customcols 3 ("SELECT id, v::int AS v") for database "C": invalid input syntax for type integer: "abc"; fix the clause, or remove it (bucardo remove customcols 3) [FETCH_FAILED]',
      'Sync "cs": 1 of 1 table differs, 1 of 1 table not compared on every database',
    ]);
  });
});

describe('bucardo compare with customcols and two sources', () => {
  const world = new DaemonWorld(server, 'cmpcc2');

  beforeAll(() => world.install());
  afterAll(() => world.dispose());

  it('a clause for every database reaches the target only: the second source is compared on the first source\'s columns; a clause failing on A leaves T out', async () => {
    const a = await world.database('A');
    const s = await world.database('S');
    const t = await world.database('T');
    await world.api.addTables(['t'], { herd: 'h', db: a.name });
    await world.api.addDbGroup('g', ['A:source', 'S:source', 'T:target']);
    await world.api.addSync('ms', { herd: 'h', dbs: 'g', autokick: 'false' });
    await world.ok('add', 'customcols', 't', 'SELECT id, upper(v) AS v');
    await world.query(a.url, "INSERT INTO t VALUES (1, 'one')");
    await world.query(s.url, "INSERT INTO t VALUES (2, 'two')");
    expect(await world.ok('kick', 'ms', '0')).toMatch(/^Kick ms: \[\d+ s\] DONE!$/m);
    expect(await world.query(s.url, 'SELECT id, v FROM t ORDER BY id')).toEqual([{ id: 1, v: 'one' }, { id: 2, v: 'two' }]);
    expect(await world.query(t.url, 'SELECT id, v FROM t ORDER BY id')).toEqual([{ id: 1, v: 'ONE' }, { id: 2, v: 'TWO' }]);
    const same = await world.bucardo('compare', 'ms');
    expect(same.stdout).toBe([
      'Comparing sync "ms" against database "A", its first source: 1 table on 3 databases',
      'public.t: same on A, S, T (2 rows)',
      '  Compared on T with A read through customcols 1: SELECT id, upper(v) AS v',
      'Sync "ms": every table is the same on every database',
      '',
    ].join('\n'));
    expect(same.code, same.stderr).toBe(0);
    // S holds A's own values: an upper-cased row there is a difference
    await world.query(s.url, "BEGIN; SELECT set_config('bucardo.replicating', 'on', true); UPDATE t SET v = 'ONE' WHERE id = 1; COMMIT");
    const differs = await world.bucardo('compare', 'ms');
    expect(differs.stdout).toBe([
      'Comparing sync "ms" against database "A", its first source: 1 table on 3 databases',
      'public.t: differs: A 2 rows, S 2 rows, T 2 rows',
      '  Compared on T with A read through customcols 1: SELECT id, upper(v) AS v',
      '  S: 1 different (v: 1)',
      "  key 1: different on S (v: 'one' → 'ONE')",
      'Sync "ms": 1 of 1 table differs',
      '',
    ].join('\n'));
    expect(differs.code, differs.stderr).toBe(2);
    await world.query(s.url, "BEGIN; SELECT set_config('bucardo.replicating', 'on', true); UPDATE t SET v = 'one' WHERE id = 1; COMMIT");

    // T's own clause wins over the one for every database; the function it calls dropped since on A
    await world.query(a.url, 'CREATE FUNCTION shout(text) RETURNS text LANGUAGE sql AS $$ SELECT upper($1) $$');
    await world.ok('add', 'customcols', 't', 'SELECT id, shout(v) AS v', 'db=T');
    await world.query(a.url, 'DROP FUNCTION shout(text)');
    const failed = await world.bucardo('compare', 'ms');
    expect(failed.stdout).toBe([
      'Comparing sync "ms" against database "A", its first source: 1 table on 3 databases',
      'public.t: same on A, S (2 rows)',
      '  Not compared on T: Cannot read table "public.t" on database "A" with customcols 2 ("SELECT id, shout(v) AS v") for database "T": function shout(text) does not exist; fix the clause, or remove it (bucardo remove customcols 2) [FETCH_FAILED]',
      'Sync "ms": 1 of 1 table not compared on every database',
      '',
    ].join('\n'));
    expect(failed.code, failed.stderr).toBe(1);
  });
});
