/**
 * `bucardo add table … herd=H` into a herd that a live sync uses, as processes and real databases:
 *
 *  - the table is checked on every database of the sync and captured, so the next kick replicates its
 *    rows; the output names the syncs that now replicate it;
 *  - a table missing on the sync's target is refused naming the sync and the database, and nothing
 *    changes (no relation, the herd as it was, no capture);
 *  - a keyless table is refused, naming the sync with a target, both by `add table … herd=` and by
 *    `update sync … add table`: the sync's other tables go on replicating; it is still accepted into a
 *    herd whose syncs are all fullcopy.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'alh');

let t1: Db;
let t2: Db;
let f1: Db;

beforeAll(async () => {
  await world.install();
  t1 = await world.database('t1');
  t2 = await world.database('t2');
  f1 = await world.database('f1');
  await world.query(t1.url, 'CREATE TABLE kv2 (id int PRIMARY KEY, v text)');
  for (const db of [t1, t2, f1]) await world.query(db.url, 'CREATE TABLE nokey (a int, b text)');
  await world.api.addTables(['t'], { herd: 'h2', db: 't1' });
  await world.api.addDbGroup('g2', ['t1:source', 't2:target']);
  await world.api.addSync('s2', { herd: 'h2', dbs: 'g2', autokick: 'false' });
});
afterAll(() => world.dispose());

const members = async (herd: string) => (await world.sql(
  'SELECT r.tablename FROM bucardo.herd_member hm JOIN bucardo.relation r ON r.id = hm.relation WHERE hm.herd = $1 ORDER BY hm.position', [herd])).map((row) => String(row.tablename));
const relation = (name: string) => world.sql('SELECT tablename FROM bucardo.relation WHERE tablename = $1', [name]);
const deltas = async (db: Db) => (await world.query(db.url,
  "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'bucardo' AND c.relname LIKE 'delta%' AND c.relname NOT LIKE '%\\_txid' ORDER BY 1")).map((row) => String(row.relname));
const ids = async (db: Db, table: string) => (await world.query(db.url, `SELECT id FROM ${table} ORDER BY id`)).map((row) => Number(row.id));

async function kick(sync: string): Promise<void> {
  expect(await world.ok('kick', sync, '0')).toMatch(new RegExp(`^Kick ${sync}: \\[\\d+ s\\] DONE!$`, 'm'));
}

/** The sync's first table still replicates: a row inserted on t1 reaches t2 at the next kick. */
async function stillSyncs(id: number): Promise<void> {
  await world.insert(t1, id);
  await kick('s2');
  expect(await ids(t2, 't')).toContain(id);
}

describe('add table into the herd of a live sync', () => {
  it('names every problem when there are several (a run would point at bucardo validate; here there is no sync to validate them with)', async () => {
    await world.query(t1.url, 'CREATE TABLE kv3 (id int PRIMARY KEY); CREATE TABLE kv4 (id int PRIMARY KEY)');
    const refused = await world.bucardo('add', 'table', 'kv3', 'kv4', 'herd=h2');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('ERROR: Herd "h2" is used by sync "s2", which cannot take the tables: Table "public.kv3" does not exist on database "t2" (and 1 more problem: Table "public.kv4" does not exist on database "t2") [TABLE_MISSING]\n');
    expect(await members('h2')).toEqual(['t']);
    await world.query(t1.url, 'DROP TABLE kv3, kv4');
  });

  it('refuses a table missing on the sync\'s target, naming the sync and the database, and changes nothing', async () => {
    await stillSyncs(1);
    const refused = await world.bucardo('add', 'table', 'kv2', 'herd=h2');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('ERROR: Herd "h2" is used by sync "s2", which cannot take the tables: Table "public.kv2" does not exist on database "t2" [TABLE_MISSING]\n');
    expect(await members('h2')).toEqual(['t']);
    expect(await relation('kv2')).toEqual([]);
    expect(await deltas(t1)).toEqual(['delta_public_t']);
    await stillSyncs(2);
  });

  it('captures the table for the sync: the next kick replicates a row inserted meanwhile', async () => {
    await world.query(t2.url, 'CREATE TABLE kv2 (id int PRIMARY KEY, v text)');
    expect(await world.ok('add', 'table', 'kv2', 'herd=h2')).toBe([
      'Added the following tables or sequences:', '  public.kv2 (DB: t1)',
      'The following tables or sequences are now part of the relgroup "h2":', '  public.kv2',
      'Sync "s2" now replicates them',
      'Note: the rows already in them are not copied, only changes from now on; bucardo update sync s2 onetimecopy=2 copies them to each target whose table is still empty when its next run starts (a change may have reached it first: then onetimecopy=1 copies every table of the sync); a copy goes from the first source to the targets only: rows only another source has reach the others when they change there', '',
    ].join('\n'));
    expect(await deltas(t1)).toEqual(['delta_public_kv2', 'delta_public_t']);
    await world.query(t1.url, "INSERT INTO kv2 VALUES (7, 'seven')");
    await kick('s2');
    expect(await world.query(t2.url, 'SELECT id, v FROM kv2')).toEqual([{ id: 7, v: 'seven' }]);
    await stillSyncs(3);
  });
});

describe('keyless tables and the herd of a sync with a target', () => {
  const why = 'Table "public.nokey" has no primary key or unique index over NOT NULL columns, and herd "h2" is used by sync "s2", which has target "t2": a keyless table can only be in syncs whose receivers are all fullcopy [TABLE_NO_KEY]';

  it('add table keyless=true herd=H: refused naming the sync, nothing changes, the sync still syncs', async () => {
    const refused = await world.bucardo('add', 'table', 'nokey', 'keyless=true', 'herd=h2');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`ERROR: ${why}\n`);
    expect(await relation('nokey')).toEqual([]);
    expect(await members('h2')).toEqual(['t', 'kv2']);
    await stillSyncs(4);
  });

  it('update sync S add table of a keyless table: refused the same way, nothing changes', async () => {
    await world.ok('add', 'table', 'nokey', 'keyless=true');
    const refused = await world.bucardo('update', 'sync', 's2', 'add', 'table', 'nokey');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`ERROR: ${why}\n`);
    expect(await members('h2')).toEqual(['t', 'kv2']);
    expect(await deltas(t1)).toEqual(['delta_public_kv2', 'delta_public_t']);
    await stillSyncs(5);
  });

  it('a keyless table is still accepted into a herd whose syncs are all fullcopy, and copied', async () => {
    await world.api.addTables(['t'], { herd: 'hf', db: 't1' });
    await world.api.addDbGroup('gf', ['t1:source', 'f1:fullcopy']);
    await world.api.addSync('fs', { herd: 'hf', dbs: 'gf', autokick: 'false' });
    await world.query(t1.url, "INSERT INTO nokey VALUES (1, 'x'), (1, 'x'), (NULL, NULL)");
    expect(await world.ok('add', 'table', 'nokey', 'keyless=true', 'herd=hf')).toBe([
      'The following tables or sequences are now part of the relgroup "hf":', '  public.nokey',
      'Sync "fs" now replicates them',
      'Note: the rows already in them are not copied, only changes from now on; bucardo update sync fs onetimecopy=2 copies them to each target whose table is still empty when its next run starts (a change may have reached it first: then onetimecopy=1 copies every table of the sync); a copy goes from the first source to the targets only: rows only another source has reach the others when they change there', '',
    ].join('\n'));
    expect(await members('hf')).toEqual(['t', 'nokey']);
    await kick('fs');
    expect(await world.query(f1.url, 'SELECT a, b FROM nokey ORDER BY a NULLS FIRST')).toEqual([{ a: null, b: null }, { a: 1, b: 'x' }, { a: 1, b: 'x' }]);
  });
});
