/**
 * `bucardo add|list|remove customcols` (Bucardo's customcols), end to end through the CLI: a custom select
 * list a table is read with for receiving databases. Source A has `public.t (id, v)`; targets B and C:
 *
 *  - with `SELECT id, upper(v) AS v` for B, changes and an initial copy arrive upper-cased on B only, and C
 *    (no clause) gets the plain rows;
 *  - the most specific clause wins (B's own beats one for the sync, which beats one for every database);
 *  - clauses that are not a select list, name no column for an expression, leave out the key, fail on the
 *    source, or write a column the target lacks are refused, naming the table, database and column;
 *  - `remove customcols` takes one away, and the next run sends the plain rows; several ids are removed all
 *    or none, in one statement, an id not there (removed meanwhile too) named.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import type { CliResult } from '../src/helpers/cli.js';
import { withClient } from '../src/helpers/databases.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('bucardo customcols', () => {
  const world = new DaemonWorld(server, 'cc');
  let a: Db;
  let b: Db;
  let c: Db;

  beforeAll(async () => {
    await world.install();
    a = await world.database('A');
    b = await world.database('B');
    c = await world.database('C');
    await world.api.addTables(['t'], { herd: 'h', db: a.name });
    await world.api.addDbGroup('g', ['A:source', 'B:target', 'C:target']);
    await world.api.addSync('cs', { herd: 'h', dbs: 'g', autokick: 'false' });
  });
  afterAll(() => world.dispose());

  const rows = async (db: Db) => (await world.query(db.url, 'SELECT id, v FROM t ORDER BY id')).map((row) => `${String(row.id)}:${String(row.v)}`);

  async function kick(): Promise<void> {
    expect(await world.ok('kick', 'cs', '0')).toMatch(/^Kick cs: \[\d+ s\] DONE!$/m);
  }

  function refused(result: CliResult, message: string): void {
    expect(result.stderr).toBe(`ERROR: ${message}\n`);
    expect(result.stdout).toBe('');
    expect(result.code).toBe(1);
  }

  it('adds and lists a clause', async () => {
    expect(await world.ok('list', 'customcols')).toBe('No customcols have been added yet\n');
    expect(await world.ok('add', 'customcols', 'public.t', 'SELECT id, upper(v) AS v', 'db=B')).toBe('New columns for public.t: "SELECT id, upper(v) AS v" (database "B")\n');
    expect(await world.ok('list', 'customcols')).toBe('1. Table: public.t => SELECT id, upper(v) AS v  DB: B\n');
    expect((await world.ok('list', 'all')).endsWith('-- customcols:\n1. Table: public.t => SELECT id, upper(v) AS v  DB: B\n')).toBe(true);
  });

  it('refuses a clause that is not a plain select list of the table, naming the table, database and column', async () => {
    const invalid = 'Invalid customcols for table "public.t"';
    refused(await world.bucardo('add', 'customcols', 't', 'id, v', 'db=C'), `${invalid}: "id, v" is not a select list (SELECT col, expression AS col, …) [INVALID_ARGUMENT]`);
    refused(await world.bucardo('add', 'customcols', 't', 'SELECT id, v FROM t', 'db=C'), `${invalid}: only a select list is taken, "FROM" is not allowed (the rows are the table's, key by key) [INVALID_ARGUMENT]`);
    refused(await world.bucardo('add', 'customcols', 't', 'SELECT id, v WHERE id > 1', 'db=C'), `${invalid}: only a select list is taken, "WHERE" is not allowed (the rows are the table's, key by key) [INVALID_ARGUMENT]`);
    refused(await world.bucardo('add', 'customcols', 't', 'SELECT id, upper(v)', 'db=C'), `${invalid}: expression "upper(v)" needs the name of the column it fills: "upper(v) AS column" [INVALID_ARGUMENT]`);
    refused(await world.bucardo('add', 'customcols', 't', 'SELECT upper(v) AS v', 'db=C'), `${invalid}: the key column "id" (primary key) must be selected as it is, as every change is written by its key [INVALID_ARGUMENT]`);
    refused(await world.bucardo('add', 'customcols', 't', 'SELECT id + 1 AS id, v', 'db=C'), `${invalid}: the key column "id" (primary key) must be selected as it is, as every change is written by its key [INVALID_ARGUMENT]`);
    refused(await world.bucardo('add', 'customcols', 't', 'SELECT id, nosuch(v) AS v', 'db=C'),
      `${invalid} on database "A": function nosuch(text) does not exist (in "SELECT id, nosuch(v) AS v") [INVALID_ARGUMENT]`);
    refused(await world.bucardo('add', 'customcols', 't', 'SELECT id, v AS w', 'db=C'), `${invalid}: table "public.t" on database "C" has no column "w" [TABLE_COLUMNS_MISMATCH]`);
    // without db=, every receiving database of the table's syncs must have the columns
    refused(await world.bucardo('add', 'customcols', 't', 'SELECT id, v AS w'), `${invalid}: table "public.t" on database "B" has no column "w" [TABLE_COLUMNS_MISMATCH]`);
    refused(await world.bucardo('add', 'customcols', 't', 'SELECT id, v', 'db=A'),
      'Database "A" is a source in sync "cs": a source\'s rows are captured and sent as they are, and customcols only change what receiving databases are sent of table "public.t"; customcols is for receiving databases (targets, fullcopy members), or name a sync where it receives the table (sync=…) [DB_ROLE_UNSUPPORTED]');
    refused(await world.bucardo('add', 'customcols', 't', 'SELECT id, v', 'db=B'),
      'Table "public.t" already has customcols on database "B": 1. SELECT id, upper(v) AS v; remove them first (bucardo remove customcols 1) [DUPLICATE_NAME]');
    refused(await world.bucardo('add', 'customcols', 'nosuch', 'SELECT id'), 'Table "nosuch" has not been added: run "bucardo add table nosuch" first [TABLE_NOT_FOUND]');
    refused(await world.bucardo('remove', 'customcols', '7'), 'Customcols number 7 does not exist (bucardo list customcols shows them) [INVALID_ARGUMENT]');
    expect(await world.ok('list', 'customcols')).toBe('1. Table: public.t => SELECT id, upper(v) AS v  DB: B\n');
  });

  it('changes arrive as the clause reads them on B only; C gets the plain rows', async () => {
    await world.query(a.url, "INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three')");
    await kick();
    expect(await rows(b)).toEqual(['1:ONE', '2:TWO', '3:THREE']);
    expect(await rows(c)).toEqual(['1:one', '2:two', '3:three']);
    await world.query(a.url, "UPDATE t SET v = 'deux' WHERE id = 2; DELETE FROM t WHERE id = 3; INSERT INTO t VALUES (4, 'four')");
    await kick();
    expect(await rows(b)).toEqual(['1:ONE', '2:DEUX', '4:FOUR']);
    expect(await rows(c)).toEqual(['1:one', '2:deux', '4:four']);
    expect(await rows(a)).toEqual(['1:one', '2:deux', '4:four']);
  });

  it('the most specific clause wins: B\'s own, then the sync\'s, then the one for every database', async () => {
    expect(await world.ok('add', 'customcols', 't', "SELECT id, 'all:' || v AS v")).toBe('New columns for public.t: "SELECT id, \'all:\' || v AS v"\n');
    await world.query(a.url, "INSERT INTO t VALUES (5, 'five')");
    await kick();
    expect(await rows(b)).toEqual(['1:ONE', '2:DEUX', '4:FOUR', '5:FIVE']);
    expect(await rows(c)).toEqual(['1:one', '2:deux', '4:four', '5:all:five']);
    expect(await world.ok('add', 'customcols', 't', "SELECT id, 'sync:' || v AS v", 'sync=cs')).toBe('New columns for public.t: "SELECT id, \'sync:\' || v AS v" (sync "cs")\n');
    await world.query(a.url, "INSERT INTO t VALUES (6, 'six')");
    await kick();
    expect(await rows(b)).toEqual(['1:ONE', '2:DEUX', '4:FOUR', '5:FIVE', '6:SIX']);
    expect(await rows(c)).toEqual(['1:one', '2:deux', '4:four', '5:all:five', '6:sync:six']);
  });

  it('onetimecopy=1 copies the table as each receiver\'s clause reads it', async () => {
    await world.query(b.url, "INSERT INTO t VALUES (99, 'only on B')");
    await world.ok('update', 'sync', 'cs', 'onetimecopy=1');
    await kick();
    expect(await rows(b)).toEqual(['1:ONE', '2:DEUX', '4:FOUR', '5:FIVE', '6:SIX']);
    expect(await rows(c)).toEqual(['1:sync:one', '2:sync:deux', '4:sync:four', '5:sync:five', '6:sync:six']);
  });

  it('remove customcols: the next run sends the plain rows', async () => {
    expect(await world.ok('list', 'customcols', 't')).toBe([
      '1. Table: public.t => SELECT id, upper(v) AS v  DB: B',
      "2. Table: public.t => SELECT id, 'all:' || v AS v",
      "3. Table: public.t => SELECT id, 'sync:' || v AS v  Sync: cs",
      '',
    ].join('\n'));
    expect(await world.ok('remove', 'customcols', '2', '3')).toBe([
      "Removed customcols 2: public.t => SELECT id, 'all:' || v AS v",
      "Removed customcols 3: public.t => SELECT id, 'sync:' || v AS v (sync \"cs\")",
      '',
    ].join('\n'));
    await world.query(a.url, "UPDATE t SET v = 'one again' WHERE id = 1");
    await kick();
    expect(await rows(b)).toEqual(['1:ONE AGAIN', '2:DEUX', '4:FOUR', '5:FIVE', '6:SIX']);
    expect((await rows(c))[0]).toBe('1:one again');
  });

  it('remove customcols: all or none, in one statement; an id not there (removed meanwhile too) refused naming it', async () => {
    expect(await world.ok('add', 'customcols', 't', 'SELECT id, v', 'db=C')).toBe('New columns for public.t: "SELECT id, v" (database "C")\n');
    expect(await world.ok('add', 'customcols', 't', 'SELECT id, v', 'sync=cs')).toBe('New columns for public.t: "SELECT id, v" (sync "cs")\n');
    const listed = '1. Table: public.t => SELECT id, upper(v) AS v  DB: B\n4. Table: public.t => SELECT id, v  DB: C\n5. Table: public.t => SELECT id, v  Sync: cs\n';
    expect(await world.ok('list', 'customcols')).toBe(listed);
    refused(await world.bucardo('remove', 'customcols', '4', '99', '5'), 'Customcols number 99 does not exist (bucardo list customcols shows them) [INVALID_ARGUMENT]');
    expect(await world.ok('list', 'customcols')).toBe(listed);
    // 5 is removed by someone else while the command waits to delete: it must not say it removed 5, nor remove 4 alone
    const removed = await withClient(world.controlServer.url(world.control), async (other) => {
      await other.query('BEGIN');
      // lets the command read, not delete
      await other.query('LOCK TABLE bucardo.customcols IN SHARE MODE');
      const command = world.bucardo('remove', 'customcols', '4', '5');
      const waiting = async () => (await world.sql("SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND relation = 'bucardo.customcols'::regclass"))[0]!.n === 1;
      for (let tries = 0; !(await waiting()); tries += 1) {
        if (tries > 600) throw new Error('remove customcols never waited for the lock');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await other.query('DELETE FROM bucardo.customcols WHERE id = 5');
      await other.query('COMMIT');
      return command;
    });
    refused(removed, 'Customcols number 5 does not exist (bucardo list customcols shows them) [INVALID_ARGUMENT]');
    expect(await world.ok('list', 'customcols')).toBe('1. Table: public.t => SELECT id, upper(v) AS v  DB: B\n4. Table: public.t => SELECT id, v  DB: C\n');
    expect(await world.ok('remove', 'customcols', '4')).toBe('Removed customcols 4: public.t => SELECT id, v (database "C")\n');
    expect(await world.ok('list', 'customcols')).toBe('1. Table: public.t => SELECT id, upper(v) AS v  DB: B\n');
  });
});

describe('customcols on a fullcopy member', () => {
  const world = new DaemonWorld(server, 'ccfc');
  let a: Db;
  let f: Db;

  beforeAll(async () => {
    await world.install();
    a = await world.database('A');
    f = await world.database('F');
    // the source has a column the member lacks: the clause leaves it out
    await world.query(a.url, 'ALTER TABLE t ADD COLUMN secret text');
    await world.api.addTables(['t'], { herd: 'h', db: a.name });
    // before the sync, whose checks then take F's table as the clause writes it
    expect(await world.ok('add', 'customcols', 't', "SELECT id, v || '!' AS v", 'db=F')).toBe('New columns for public.t: "SELECT id, v || \'!\' AS v" (database "F")\n');
    await world.api.addDbGroup('g', ['A:source', 'F:fullcopy']);
    await world.api.addSync('fc', { herd: 'h', dbs: 'g' });
  });
  afterAll(() => world.dispose());

  it('each run copies the table whole as the clause reads it, into a table with only its columns', async () => {
    await world.query(a.url, "INSERT INTO t VALUES (1, 'one', 's1'), (2, 'two', 's2')");
    await world.query(f.url, "INSERT INTO t VALUES (99, 'only on F')");
    expect(await world.ok('kick', 'fc', '0')).toMatch(/^Kick fc: \[\d+ s\] DONE!$/m);
    expect((await world.query(f.url, 'SELECT id, v FROM t ORDER BY id')).map((row) => `${String(row.id)}:${String(row.v)}`)).toEqual(['1:one!', '2:two!']);
  });

  it('the table\'s key dropped on the source afterwards (a fullcopy sync runs a keyless table): the run fails naming the table, both databases and the way out; F keeps its rows', async () => {
    await world.query(a.url, 'ALTER TABLE t DROP CONSTRAINT t_pkey');
    await world.query(a.url, "INSERT INTO t VALUES (3, 'three', 's3')");
    const kicked = await world.bucardo('kick', 'fc', '0');
    expect(kicked.code).toBe(2);
    expect(kicked.stdout).toMatch(/^Kick fc: \[\d+ s\] KILLED!$/m);
    expect(kicked.stdout).toContain('    Table "public.t" on database "A" has no primary key or unique index over NOT NULL columns now: customcols 1 ("SELECT id, v || \'!\' AS v") for database "F" reads each row again by its key, so nothing is written there. Give the table its key back, or remove the clause (bucardo remove customcols 1) [TABLE_NO_KEY] (db A, table public.t, sync fc, item SELECT id, v || \'!\' AS v)\n');
    // without the check the run was DONE and F was emptied
    expect((await world.query(f.url, 'SELECT id, v FROM t ORDER BY id')).map((row) => `${String(row.id)}:${String(row.v)}`)).toEqual(['1:one!', '2:two!']);
  });
});

describe('customcols and the NOT NULL columns of a receiving table', () => {
  const world = new DaemonWorld(server, 'ccnn');
  let a: Db;
  let b: Db;
  let c: Db;

  beforeAll(async () => {
    await world.install();
    a = await world.database('A');
    b = await world.database('B');
    c = await world.database('C');
    await world.query(a.url, 'ALTER TABLE t ADD COLUMN w text');
    // B has a column only its list fills; C has the source's w, NOT NULL, which its list leaves out
    await world.query(b.url, 'ALTER TABLE t ADD COLUMN v_lc text NOT NULL');
    await world.query(c.url, 'ALTER TABLE t ADD COLUMN w text NOT NULL');
    await world.api.addTables(['t'], { herd: 'h', db: a.name });
    // before the sync, whose checks then take B's and C's table as the lists write them
    await world.ok('add', 'customcols', 't', 'SELECT id, v, lower(v) AS v_lc', 'db=B');
    await world.ok('add', 'customcols', 't', 'SELECT id, v', 'db=C');
    await world.query(c.url, "ALTER TABLE t ALTER COLUMN w SET DEFAULT 'x'");
    await world.api.addDbGroup('g', ['A:source', 'B:target', 'C:target']);
    await world.api.addSync('nn', { herd: 'h', dbs: 'g', autokick: 'false' });
    await world.query(c.url, 'ALTER TABLE t ALTER COLUMN w DROP DEFAULT');
  });
  afterAll(() => world.dispose());

  it('checks the columns the list writes, not the source\'s: one only the list fills passes, one it leaves out is refused', async () => {
    const problem = 'Table "public.t" on database "C" has column "w" NOT NULL without a default, which its customcols list leaves out: every row the sync writes there would fail (add it to the list, give it a default, or drop NOT NULL)';
    const validated = await world.bucardo('validate', 'nn');
    expect(validated.stdout).toBe(`Validating sync nn ... FAILED\n  ${problem} [TABLE_COLUMNS_MISMATCH]\n`);
    expect(validated.code).toBe(1);

    await world.query(c.url, "ALTER TABLE t ALTER COLUMN w SET DEFAULT 'dflt'");
    expect(await world.ok('validate', 'nn')).toBe('Validating sync nn ... OK\n');
    await world.query(a.url, "INSERT INTO t VALUES (1, 'One', 'w1')");
    expect(await world.ok('kick', 'nn', '0')).toMatch(/^Kick nn: \[\d+ s\] DONE!$/m);
    expect(await world.query(b.url, 'SELECT id, v, v_lc FROM t')).toEqual([{ id: 1, v: 'One', v_lc: 'one' }]);
    expect(await world.query(c.url, 'SELECT id, v, w FROM t')).toEqual([{ id: 1, v: 'One', w: 'dflt' }]);
  });
});

describe('customcols a row cannot be read with', () => {
  const world = new DaemonWorld(server, 'ccrf');
  let a: Db;
  let b: Db;

  beforeAll(async () => {
    await world.install();
    a = await world.database('A');
    b = await world.database('B');
    await world.api.addTables(['t'], { herd: 'h', db: a.name });
    await world.api.addDbGroup('g', ['A:source', 'B:target']);
    await world.api.addSync('rf', { herd: 'h', dbs: 'g', autokick: 'false' });
  });
  afterAll(() => world.dispose());

  it('fails the run naming the table, both databases, the clause and how to remove it', async () => {
    // taken at add time (the LIMIT 0 probe reads no row), failing on the first row that is not a number
    expect(await world.ok('add', 'customcols', 't', 'SELECT id, v::int AS v', 'db=B')).toBe('New columns for public.t: "SELECT id, v::int AS v" (database "B")\n');
    await world.query(a.url, "INSERT INTO t VALUES (1, '10'), (2, 'abc')");
    const kicked = await world.bucardo('kick', 'rf', '0');
    expect(kicked.code).toBe(2);
    expect(kicked.stdout).toContain('Cannot read table "public.t" on database "A" with customcols 1 ("SELECT id, v::int AS v") for database "B": invalid input syntax for type integer: "abc"; fix the clause, or remove it (bucardo remove customcols 1) [FETCH_FAILED] (db A, table public.t, sync rf, item SELECT id, v::int AS v, sqlstate 22P02)\n');
    expect(await world.query(b.url, 'SELECT id, v FROM t')).toEqual([]);

    expect(await world.ok('remove', 'customcols', '1')).toBe('Removed customcols 1: public.t => SELECT id, v::int AS v (database "B")\n');
    expect(await world.ok('kick', 'rf', '0')).toMatch(/^Kick rf: \[\d+ s\] DONE!$/m);
    expect(await world.query(b.url, 'SELECT id, v FROM t ORDER BY id')).toEqual([{ id: 1, v: '10' }, { id: 2, v: 'abc' }]);
  });
});
