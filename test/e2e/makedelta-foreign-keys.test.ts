/**
 * makedelta on tables a foreign key points at: a cascade s1 A→B (makedelta on B), s2 B→C, tables par
 * (unique email) and chi (chi.pid → par.id). On B the target holds the keys par loses until the
 * transaction's other writes are done, and puts off rows that take a unique value from a deleted row (and
 * the rows pointing at those): their records must say what the transaction did in the end (`D` for a held
 * delete, `I`/`U` for a put-off write), or s2 plans them in the wrong order (a parent's loss is planned
 * after its children's, a new parent after the rows pointing at it) and C refuses them. Records say `I`
 * for a row that was not there, whether written in place or deleted and copied (the DELETE's RETURNING).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Bucardo } from '@bucardo/core';
import { standardPlugins } from '@bucardo/cli';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { controlOn } from '../src/helpers/connection-specs.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'mkfk');
const SCHEMA = `CREATE TABLE par (id int PRIMARY KEY, email text UNIQUE, v text);
  CREATE TABLE chi (id int PRIMARY KEY, pid int REFERENCES par (id), v text);`;
let a: Db;
let b: Db;
let c: Db;

async function contents(db: Db): Promise<{ par: string[]; chi: string[] }> {
  const par = await world.query(db.url, "SELECT id || ':' || email || ':' || v AS r FROM par ORDER BY id");
  const chi = await world.query(db.url, "SELECT id || '->' || pid AS r FROM chi ORDER BY id");
  return { par: par.map((row) => row.r as string), chi: chi.map((row) => row.r as string) };
}

/** B's records of `table` (id:op, in key order), all s1's. */
async function recordsOnB(table: string): Promise<string[]> {
  const records = await world.query(b.url, `SELECT d.id || ':' || d.bucardo_op::text AS r,
      (SELECT m.sync FROM bucardo.made_delta m WHERE m.tablename = '${table}' AND m.bucardo_txid = d.bucardo_txid) AS sync
    FROM bucardo."delta_public_${table}" d ORDER BY d.id, d.bucardo_txid`);
  expect(records.every((row) => row.sync === 's1')).toBe(true);
  return records.map((row) => row.r as string);
}

/** Once s2 read them, B's records go, as a purge would take them: the next step's are its own. */
async function forgetRecords(): Promise<void> {
  await world.query(b.url, 'DELETE FROM bucardo.delta_public_par; DELETE FROM bucardo.delta_public_chi');
}

describe('makedelta where a foreign key points at the table: A→B (makedelta on B), B→C', () => {
  beforeAll(async () => {
    await world.install();
    [a, b, c] = [await world.database('fk_A'), await world.database('fk_B'), await world.database('fk_C')];
    for (const db of [a, b, c]) await world.query(db.url, SCHEMA);
    await world.api.addTables(['par', 'chi'], { herd: 'fk_h', db: 'fk_A', makedelta: 'fk_B' });
    await world.api.addDbGroup('fk_g1', ['fk_A:source', 'fk_B:target']);
    await world.api.addDbGroup('fk_g2', ['fk_B:source', 'fk_C:target']);
    await world.api.addSync('s1', { herd: 'fk_h', dbs: 'fk_g1', autokick: 'false' });
    await world.api.addSync('s2', { herd: 'fk_h', dbs: 'fk_g2', autokick: 'false' });
  });
  afterAll(() => world.dispose());

  it('new rows: recorded I, written in place (par) or deleted and copied (chi)', async () => {
    await world.query(a.url, "INSERT INTO par VALUES (1, 'x@', 'one'), (2, 'y@', 'two'); INSERT INTO chi VALUES (10, 1), (20, 2)");
    expect((await world.api.runSync('s1')).outcome).toBe('good');
    expect(await recordsOnB('par')).toEqual(['1:I', '2:I']);
    expect(await recordsOnB('chi')).toEqual(['10:I', '20:I']);
    expect((await world.api.runSync('s2')).outcome).toBe('good');
    expect(await contents(c)).toEqual({ par: ['1:x@:one', '2:y@:two'], chi: ['10->1', '20->2'] });
    await forgetRecords();
  });

  it('a parent deleted (held) and a new one taking its email with a child (put off) are recorded as done, and reach C', async () => {
    await world.query(a.url, "DELETE FROM chi WHERE id = 10; DELETE FROM par WHERE id = 1; INSERT INTO par VALUES (3, 'x@', 'three'); INSERT INTO chi VALUES (30, 3)");
    expect((await world.api.runSync('s1')).outcome).toBe('good');
    expect(await contents(b)).toEqual(await contents(a));
    expect(await recordsOnB('par')).toEqual(['1:D', '3:I']);
    expect(await recordsOnB('chi')).toEqual(['10:D', '30:I']);
    const second = await world.api.runSync('s2');
    expect(second.error).toBeUndefined();
    expect(second.outcome).toBe('good');
    expect(await contents(c)).toEqual({ par: ['2:y@:two', '3:x@:three'], chi: ['20->2', '30->3'] });
    await forgetRecords();
  });

  it('a parent deleted with its child reaches C through a run cut into one-key transactions: its loss is planned last', async () => {
    await world.query(a.url, "DELETE FROM chi WHERE id = 20; DELETE FROM par WHERE id = 2; UPDATE par SET v = 'three, again' WHERE id = 3");
    expect((await world.api.runSync('s1')).outcome).toBe('good');
    expect(await recordsOnB('par')).toEqual(['2:D', '3:U']);
    expect(await recordsOnB('chi')).toEqual(['20:D']);
    const small = await Bucardo.open({ plugins: standardPlugins(), control: controlOn(server, world.control), logLevel: 'warn', batchSize: 1 });
    try {
      const run = await small.runSync('s2');
      expect(run.error).toBeUndefined();
      expect(run.outcome).toBe('good');
    } finally {
      await small.close();
    }
    for (const db of [b, c]) expect(await contents(db)).toEqual({ par: ['3:x@:three, again'], chi: ['30->3'] });
  });
});
