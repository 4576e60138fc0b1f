/**
 * `bucardo add|list|remove customname` (Bucardo's customname), end to end through the CLI: a table written
 * under another name on a receiving database. Source A has `public.t`; target R gets it as
 * `reporting.orders_copy` (a name for R), target S as `public.t_all` (a name for every receiving database):
 *
 *  - inserts, updates and deletes land in the renamed tables, and nothing in R's or S's own `t`;
 *  - the most specific custom name wins (R's own beats the general one), and a source keeps its name;
 *  - `onetimecopy=1` empties and copies into the renamed table;
 *  - `validate` and `compare` read the renamed table, and name it as it is on that database;
 *  - what is refused: a source database, a table, database or sync never added, a second name for the same
 *    table and scope; and `remove customname` takes one away, the next run writing the table's own name;
 *    several ids are removed all or none, in one statement, an id not there (removed meanwhile too) named.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import type { CliResult } from '../src/helpers/cli.js';
import { withClient } from '../src/helpers/databases.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('bucardo customname', () => {
  const world = new DaemonWorld(server, 'cn');
  let a: Db;
  let r: Db;
  let s: Db;

  beforeAll(async () => {
    await world.install();
    a = await world.database('A');
    r = await world.database('R');
    s = await world.database('S');
    await world.query(r.url, 'CREATE SCHEMA reporting; CREATE TABLE reporting.orders_copy (id int PRIMARY KEY, v text)');
    await world.query(s.url, 'CREATE TABLE t_all (id int PRIMARY KEY, v text)');
    // u: a second table of the sync, whose name t must not take
    for (const db of [a, r, s]) await world.query(db.url, 'CREATE TABLE u (id int PRIMARY KEY)');
    await world.api.addTables(['t', 'u'], { herd: 'h', db: a.name });
    await world.api.addDbGroup('g', ['A:source', 'R:target', 'S:target']);
    await world.api.addSync('cs', { herd: 'h', dbs: 'g', autokick: 'false' });
  });
  afterAll(() => world.dispose());

  const rows = async (db: Db, table: string) => (await world.query(db.url, `SELECT id, v FROM ${table} ORDER BY id`)).map((row) => `${String(row.id)}:${String(row.v)}`);

  async function kick(): Promise<void> {
    expect(await world.ok('kick', 'cs', '0')).toMatch(/^Kick cs: \[\d+ s\] DONE!$/m);
  }

  function refused(result: CliResult, message: string): void {
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`ERROR: ${message}\n`);
    expect(result.code).toBe(1);
  }

  it('adds and lists custom names', async () => {
    expect(await world.ok('add', 'customname', 't', 't_all')).toBe('Transformed public.t to public.t_all\n');
    expect(await world.ok('add', 'customname', 'public.t', 'reporting.orders_copy', 'db=R')).toBe('Transformed public.t to reporting.orders_copy (database "R")\n');
    expect(await world.ok('list', 'customnames')).toBe('1. Table: public.t => public.t_all\n2. Table: public.t => reporting.orders_copy  DB: R\n');
    // and at the end of list all, as Bucardo's
    expect((await world.ok('list', 'all')).endsWith('-- customnames:\n1. Table: public.t => public.t_all\n2. Table: public.t => reporting.orders_copy  DB: R\n-- customcols:\nNo customcols have been added yet\n')).toBe(true);
  });

  it('refuses a source, unknown names and a duplicate, naming them, and adds nothing', async () => {
    refused(await world.bucardo('add', 'customname', 't', 'elsewhere', 'db=A'),
      'Database "A" is a source in sync "cs": a source keeps table "public.t" under its own name (its changes are captured there); a custom name is for receiving databases (targets, fullcopy members), or name a sync where it receives the table (sync=…) [DB_ROLE_UNSUPPORTED]');
    refused(await world.bucardo('add', 'customname', 't', 'elsewhere', 'db=A', 'sync=cs'),
      'Database "A" is a source in sync "cs": a source keeps table "public.t" under its own name (its changes are captured there); a custom name is for receiving databases (targets, fullcopy members) [DB_ROLE_UNSUPPORTED]');
    refused(await world.bucardo('add', 'customname', 'nosuch', 'elsewhere'), 'Table "nosuch" has not been added: run "bucardo add table nosuch" first [TABLE_NOT_FOUND]');
    refused(await world.bucardo('add', 'customname', 't', 'elsewhere', 'db=nosuch'), 'There is no database named "nosuch" [DB_NOT_FOUND]');
    refused(await world.bucardo('add', 'customname', 't', 'elsewhere', 'sync=nosuch'), 'There is no sync named "nosuch" [SYNC_NOT_FOUND]');
    refused(await world.bucardo('add', 'customname', 't', 'elsewhere', 'db=R'),
      'Table "public.t" already has a custom name on database "R": 2. public.t => reporting.orders_copy; remove it first (bucardo remove customname 2) [DUPLICATE_NAME]');
    refused(await world.bucardo('add', 'customname', 't', 'u', 'db=S'), '"public.u" is another table of sync "cs": table "public.t" cannot be written into it [INVALID_NAME]');
    // two tables of a sync written into one by two custom names
    refused(await world.bucardo('add', 'customname', 'u', 'reporting.orders_copy', 'db=R'),
      '"reporting.orders_copy" is already the custom name of table "public.t" in sync "cs" (customname 2): table "public.u" cannot be written into it too [INVALID_NAME]');
    refused(await world.bucardo('add', 'customname', 't', 'public.t'), '"public.t" is the table\'s own name: a custom name must differ from "public.t" [INVALID_NAME]');
    refused(await world.bucardo('remove', 'customname', '7'), 'Customname number 7 does not exist (bucardo list customnames shows them) [INVALID_ARGUMENT]');
    expect(await world.ok('list', 'customnames')).toBe('1. Table: public.t => public.t_all\n2. Table: public.t => reporting.orders_copy  DB: R\n');
  });

  it('writes inserts, updates and deletes into the renamed tables, the most specific name first', async () => {
    await world.query(a.url, "INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three')");
    await kick();
    expect(await rows(r, 'reporting.orders_copy')).toEqual(['1:one', '2:two', '3:three']);
    expect(await rows(s, 't_all')).toEqual(['1:one', '2:two', '3:three']);
    // nothing under the table's own name on the receivers, and the source's table is its own
    expect(await rows(r, 't')).toEqual([]);
    expect(await rows(s, 't')).toEqual([]);
    expect(await rows(a, 't')).toEqual(['1:one', '2:two', '3:three']);

    await world.query(a.url, "UPDATE t SET v = 'TWO' WHERE id = 2; DELETE FROM t WHERE id = 3; INSERT INTO t VALUES (4, 'four')");
    await kick();
    expect(await rows(r, 'reporting.orders_copy')).toEqual(['1:one', '2:TWO', '4:four']);
    expect(await rows(s, 't_all')).toEqual(['1:one', '2:TWO', '4:four']);
    expect(await rows(r, 't')).toEqual([]);
  });

  it('validate and compare read the renamed tables, and name them as they are there', async () => {
    expect(await world.ok('validate', 'cs')).toBe('Validating sync cs ... OK\n');
    expect(await world.ok('compare', 'cs')).toBe([
      'Comparing sync "cs" against database "A", its first source: 2 tables on 3 databases',
      'public.t: same on A, R, S (3 rows)',
      '  Named reporting.orders_copy on R, public.t_all on S (bucardo list customnames)',
      'public.u: same on A, R, S (0 rows)',
      'Sync "cs": every table is the same on every database',
      '',
    ].join('\n'));
    // a write around the sync on R's renamed table is found by compare
    await world.query(r.url, "BEGIN; SELECT set_config('bucardo.replicating', 'on', true); UPDATE reporting.orders_copy SET v = 'changed' WHERE id = 1; COMMIT");
    const differs = await world.bucardo('compare', 'cs');
    expect(differs.stdout + differs.stderr).toBe([
      'Comparing sync "cs" against database "A", its first source: 2 tables on 3 databases',
      'public.t: differs: A 3 rows, R 3 rows, S 3 rows',
      '  Named reporting.orders_copy on R, public.t_all on S (bucardo list customnames)',
      '  R: 1 different (v: 1)',
      "  key 1: different on R (v: 'one' → 'changed')",
      'public.u: same on A, R, S (0 rows)',
      'Sync "cs": 1 of 2 tables differs',
      '',
    ].join('\n'));
    expect(differs.code, differs.stdout + differs.stderr).toBe(2);
    await world.query(r.url, "UPDATE reporting.orders_copy SET v = 'one' WHERE id = 1");
    // a column missing on the renamed table is named with the table's name there
    await world.query(r.url, 'ALTER TABLE reporting.orders_copy RENAME COLUMN v TO w');
    const bad = await world.bucardo('validate', 'cs');
    expect(bad.stdout).toBe('Validating sync cs ... FAILED\n  Table "reporting.orders_copy" on database "R" has no column "v" [TABLE_COLUMNS_MISMATCH]\n');
    expect(bad.code).toBe(1);
    await world.query(r.url, 'ALTER TABLE reporting.orders_copy RENAME COLUMN w TO v');
  });

  it('onetimecopy=1 empties the renamed table and copies into it', async () => {
    await world.query(r.url, "INSERT INTO reporting.orders_copy VALUES (99, 'only on R')");
    await world.query(s.url, "DELETE FROM t_all WHERE id = 4");
    await world.ok('update', 'sync', 'cs', 'onetimecopy=1');
    const kicked = await world.bucardo('--log-level', 'normal', 'kick', 'cs', '0');
    expect(kicked.code, kicked.stderr).toBe(0);
    // the log names the table as it is on each receiver
    expect(kicked.stderr).toContain('Initial copy of public.t from A to R (as reporting.orders_copy), S (as public.t_all)\n');
    expect(kicked.stderr).toContain('Initial copy of public.u from A to R, S\n');
    expect(await rows(r, 'reporting.orders_copy')).toEqual(['1:one', '2:TWO', '4:four']);
    expect(await rows(s, 't_all')).toEqual(['1:one', '2:TWO', '4:four']);
    expect(await rows(r, 't')).toEqual([]);
  });

  it('a renamed table missing on its database fails the run, naming it as it is there', async () => {
    expect(await world.ok('add', 'customname', 't', 'not_there', 'db=S', 'sync=cs')).toBe('Transformed public.t to public.not_there (database "S", sync "cs")\n');
    const kicked = await world.bucardo('kick', 'cs', '0');
    expect(kicked.code).toBe(2);
    expect(kicked.stdout).toMatch(/^Kick cs: \[\d+ s\] KILLED!\n/);
    expect(kicked.stdout).toContain('\n    Table "public.not_there" does not exist on database "S" [TABLE_MISSING] (db S, table public.not_there, sync cs)\n');
    expect(await world.ok('remove', 'customname', '3')).toBe('Removed customname 3: public.t => public.not_there (database "S", sync "cs")\n');
  });

  it('remove customname: the next run writes the table under its own name again', async () => {
    expect(await world.ok('remove', 'customname', '1')).toBe('Removed customname 1: public.t => public.t_all\n');
    expect(await world.ok('list', 'customnames')).toBe('2. Table: public.t => reporting.orders_copy  DB: R\n');
    await world.query(s.url, "INSERT INTO t VALUES (1, 'one'), (2, 'TWO'), (4, 'four')");
    await world.query(a.url, "INSERT INTO t VALUES (5, 'five')");
    await kick();
    expect(await rows(s, 't')).toEqual(['1:one', '2:TWO', '4:four', '5:five']);
    expect(await rows(s, 't_all')).toEqual(['1:one', '2:TWO', '4:four']);
    expect(await rows(r, 'reporting.orders_copy')).toEqual(['1:one', '2:TWO', '4:four', '5:five']);
  });

  it('a TRUNCATE on the source empties the renamed table and copies the source\'s rows into it', async () => {
    await world.query(a.url, "TRUNCATE t; INSERT INTO t VALUES (10, 'ten')");
    const kicked = await world.bucardo('--log-level', 'normal', 'kick', 'cs', '0');
    expect(kicked.code, kicked.stderr).toBe(0);
    expect(kicked.stderr).toContain('Table public.t was truncated on A: copying it from there to R (as reporting.orders_copy), S\n');
    expect(await rows(r, 'reporting.orders_copy')).toEqual(['10:ten']);
    expect(await rows(s, 't')).toEqual(['10:ten']);
    expect(await rows(r, 't')).toEqual([]);
  });

  it('remove customname: all or none, in one statement; an id not there (removed meanwhile too) refused naming it', async () => {
    expect(await world.ok('add', 'customname', 'u', 'u_r', 'db=R')).toBe('Transformed public.u to public.u_r (database "R")\n');
    expect(await world.ok('add', 'customname', 'u', 'u_s', 'db=S')).toBe('Transformed public.u to public.u_s (database "S")\n');
    const listed = '2. Table: public.t => reporting.orders_copy  DB: R\n4. Table: public.u => public.u_r  DB: R\n5. Table: public.u => public.u_s  DB: S\n';
    expect(await world.ok('list', 'customnames')).toBe(listed);
    refused(await world.bucardo('remove', 'customname', '4', '99', '5'), 'Customname number 99 does not exist (bucardo list customnames shows them) [INVALID_ARGUMENT]');
    expect(await world.ok('list', 'customnames')).toBe(listed);
    // 5 is removed by someone else while the command waits to delete: it must not say it removed 5, nor remove 4 alone
    const removed = await withClient(world.controlServer.url(world.control), async (other) => {
      await other.query('BEGIN');
      // lets the command read, not delete
      await other.query('LOCK TABLE bucardo.customname IN SHARE MODE');
      const command = world.bucardo('remove', 'customname', '4', '5');
      const waiting = async () => (await world.sql("SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND relation = 'bucardo.customname'::regclass"))[0]!.n === 1;
      for (let tries = 0; !(await waiting()); tries += 1) {
        if (tries > 600) throw new Error('remove customname never waited for the lock');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await other.query('DELETE FROM bucardo.customname WHERE id = 5');
      await other.query('COMMIT');
      return command;
    });
    refused(removed, 'Customname number 5 does not exist (bucardo list customnames shows them) [INVALID_ARGUMENT]');
    expect(await world.ok('list', 'customnames')).toBe('2. Table: public.t => reporting.orders_copy  DB: R\n4. Table: public.u => public.u_r  DB: R\n');
    expect(await world.ok('remove', 'customname', '4')).toBe('Removed customname 4: public.u => public.u_r (database "R")\n');
    expect(await world.ok('list', 'customnames')).toBe('2. Table: public.t => reporting.orders_copy  DB: R\n');
  });

  it('a control database installed before customname: commands say to run bucardo install, which adds it', async () => {
    await world.sql('DROP TABLE bucardo.customname');
    const refusal = `ERROR: The Bucardo schema in control database "${world.control}" is older than this version (relation "bucardo.customname" does not exist): run "bucardo install" to bring it up to date; its data is kept [CONTROL_NOT_INSTALLED]\n`;
    const kicked = await world.bucardo('kick', 'cs', '0');
    expect(kicked.stderr).toBe(refusal);
    expect(kicked.code).toBe(3);
    expect((await world.bucardo('list', 'customnames')).stderr).toBe(refusal);
    await world.ok('install');
    expect(await world.ok('list', 'customnames')).toBe('No customnames have been added yet\n');
    await world.query(a.url, "INSERT INTO t VALUES (6, 'six')");
    await kick();
    // with the custom names gone with the table, R's own t gets the new row, its renamed table nothing more
    expect(await rows(r, 't')).toEqual(['6:six']);
    expect(await rows(r, 'reporting.orders_copy')).toEqual(['10:ten']);
  });
});
