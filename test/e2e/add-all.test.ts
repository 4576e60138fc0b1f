/**
 * Bucardo's bulk set-up commands, as processes against real databases:
 *
 *  - `bucardo add all tables [db=D] [herd=H] [-n SCHEMA] [-N SCHEMA] [-t TABLE] [-T TABLE] [pkonly]`: every
 *    table of one database (partitions, not their partitioned parent; not Bucardo's own schema), picked by
 *    schema and name; a table without a key refuses the whole command, naming it, unless `pkonly` leaves
 *    it out (said); several databases without `db=` is a question; nothing matching is an error; the herd
 *    it makes runs a sync end to end;
 *  - `bucardo add all sequences db=D herd=H`;
 *  - `bucardo add db A,B dbname=x,y`: a value with one part per database is given out by position.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { createDatabase, uniqueName } from '../src/helpers/databases.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

const SCHEMA = `
  CREATE SCHEMA s2;
  CREATE TABLE s2.x (id int PRIMARY KEY, v text);
  CREATE TABLE nokey (x int);
  CREATE SEQUENCE sq;
  CREATE TABLE parted (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);
  CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (100)`;

describe('bucardo add all tables|sequences', () => {
  const world = new DaemonWorld(server, 'addall');
  let a: Db;
  let b: Db;
  beforeAll(async () => {
    await world.install();
    a = await world.database('aa_A');
    b = await world.database('aa_B');
    for (const db of [a, b]) await world.query(db.url, SCHEMA);
  });
  afterAll(() => world.dispose());

  const relations = async () => (await world.sql("SELECT schemaname || '.' || tablename AS name, reltype FROM bucardo.relation ORDER BY 1")).map((row) => `${String(row.name)} ${String(row.reltype)}`);

  it('asks which database when there are several, and refuses keyless tables naming them; nothing is added', async () => {
    const which = await world.bucardo('add', 'all', 'tables');
    expect(which.code).toBe(1);
    expect(which.stderr).toBe('ERROR: Say which database to list tables in: db=NAME (one of aa_A, aa_B) [INVALID_ARGUMENT]\n');
    const keyless = await world.bucardo('add', 'all', 'tables', 'db=aa_A');
    expect(keyless.code).toBe(1);
    expect(keyless.stderr).toBe('ERROR: These tables on database "aa_A" have no primary key or unique index over NOT NULL columns, so their changes cannot be tracked: public.nokey. '
      + 'Add a key to each, leave them out (pkonly, or -T TABLE), or add them for fullcopy syncs (keyless=true); nothing was added [TABLE_NO_KEY]\n');
    expect(await relations()).toEqual([]);
  });

  it('adds the keyed tables of the schemas asked for, partitions rather than their parent, and says what it left out', async () => {
    const out = await world.ok('add', 'all', 'tables', 'db=aa_A', 'pkonly', 'herd=ah', '-N', 's2');
    expect(out).toBe([
      'Added the following tables or sequences:',
      '  public.parted_1 (DB: aa_A)',
      '  public.t (DB: aa_A)',
      'Created the relgroup named "ah"',
      'The following tables or sequences are now part of the relgroup "ah":',
      '  public.parted_1',
      '  public.t',
      'Left out, having no primary key or unique index (pkonly): public.nokey',
      'New tables added: 2',
      'Already added: 0',
      '',
    ].join('\n'));
    expect(await world.ok('add', 'all', 'tables', 'db=aa_A', '-n', 's2', '-t', 'x*')).toBe(
      'Added the following tables or sequences:\n  s2.x (DB: aa_A)\nNew tables added: 1\nAlready added: 0\n');
    expect(await world.ok('add', 'all', 'sequences', 'db=aa_A', 'herd=ah')).toBe(
      'Added the following sequences from database "aa_A":\n  public.sq\nThe following tables or sequences are now part of the relgroup "ah":\n  public.sq\n');
    expect(await relations()).toEqual(['public.parted_1 table', 'public.sq sequence', 'public.t table', 's2.x table']);

    const none = await world.bucardo('add', 'all', 'tables', 'db=aa_A', '-t', 'nosuch');
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('ERROR: Database "aa_A" has no tables to add that match: nothing was added [TABLE_NOT_FOUND]\n');
  });

  it('makes a herd a sync runs end to end', async () => {
    await world.api.addDbGroup('ag', ['aa_A:source', 'aa_B:target']);
    await world.api.addSync('as', { herd: 'ah', dbs: 'ag', autokick: 'false' });
    await world.query(a.url, "INSERT INTO t VALUES (1, 'one'); INSERT INTO parted VALUES (7, 'seven'); SELECT setval('sq', 42)");
    expect(await world.ok('kick', 'as', '0')).toMatch(/DONE!/);
    expect(await world.query(b.url, 'SELECT id, v FROM t')).toEqual([{ id: 1, v: 'one' }]);
    expect(await world.query(b.url, 'SELECT id, v FROM parted_1')).toEqual([{ id: 7, v: 'seven' }]);
    expect(await world.query(b.url, 'SELECT last_value FROM sq')).toEqual([{ last_value: '42' }]);
  });
});

describe('bucardo add db A,B dbname=x,y', () => {
  const world = new DaemonWorld(server, 'adddbs');
  const names = [uniqueName('adddbs_x'), uniqueName('adddbs_y')];
  beforeAll(async () => {
    await world.install();
    for (const name of names) await createDatabase(server, name);
  });
  afterAll(async () => {
    await world.dispose();
    const { dropDatabase } = await import('../src/helpers/databases.js');
    for (const name of names) await dropDatabase(server, name);
  });

  it('gives each database its own part of a value with one part per database, and the rest whole', async () => {
    const out = await world.ok('add', 'db', 'dx,dy', `dbname=${names.join(',')}`, `host=${server.host}`, `port=${server.port}`, `user=${server.user}`,
      ...(server.password ? [`pass=${server.password}`] : []));
    expect(out).toBe('Added database "dx"\nAdded database "dy"\n');
    const listed = await world.ok('list', 'dbs');
    expect(listed).toContain(`-d ${names[0]} `);
    expect(listed).toContain(`-d ${names[1]} `);
  });
});
