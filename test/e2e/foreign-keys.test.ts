/**
 * Tables that foreign keys point at, written without `applyAsReplica` (foreign keys checked on the
 * receiving databases, the default). Written by DELETE and COPY, an updated parent row failed every run
 * (`update or delete on table "parent" violates foreign key constraint`), and with `ON DELETE CASCADE` it
 * took its children with it. Such tables are written in place now, and the keys they lose are deleted once
 * every table of the transaction is written, children first: parents updated, parents and children deleted
 * together, parents with new keys, three levels, and a receiving source. And a herd whose child comes first.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { Harness, expectEverywhere, expectOutcome, type SyncWorld } from './support/sync-harness.js';

const harness = new Harness(serverFromInfo(inject('pg')), 'fk');
afterAll(() => harness.dispose());

const SCHEMA = `
  CREATE TABLE grand (id int PRIMARY KEY, v text);
  CREATE TABLE parent (id int PRIMARY KEY, gid int REFERENCES grand, v text);
  CREATE TABLE child (id int PRIMARY KEY, pid int REFERENCES parent, v text);
  CREATE TABLE cparent (id int PRIMARY KEY, v text);
  CREATE TABLE cchild (id int PRIMARY KEY, pid int REFERENCES cparent ON DELETE CASCADE, v text);`;
const TABLES = ['grand', 'parent', 'child', 'cparent', 'cchild'];

describe('tables foreign keys point at, on a target and a receiving source', () => {
  let w: SyncWorld;

  beforeAll(async () => {
    w = await harness.setup({ tag: 'fk', roles: { A: 'source', B: 'source', C: 'target' }, tables: TABLES, schema: SCHEMA });
    await w.sql('A', `INSERT INTO grand VALUES (1, 'g1'), (2, 'g2'); INSERT INTO parent VALUES (1, 1, 'p1'), (2, 2, 'p2');
      INSERT INTO child VALUES (10, 1, 'c10'), (11, 1, 'c11'), (20, 2, 'c20');
      INSERT INTO cparent VALUES (1, 'p1'); INSERT INTO cchild VALUES (10, 1, 'c10'), (11, 1, 'c11');`);
    expectOutcome(await w.run(), 'good');
  });

  it('a parent updated on a source: every database has the new parent and keeps its children (CASCADE too)', async () => {
    await w.sql('A', "UPDATE parent SET v = 'p1 new' WHERE id = 1; UPDATE cparent SET v = 'p1 new' WHERE id = 1; UPDATE grand SET v = 'g1 new' WHERE id = 1");
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'parent', 'id', ['(1,1,"p1 new")', '(2,2,p2)']);
    await expectEverywhere(w, 'child', 'id', ['(10,1,c10)', '(11,1,c11)', '(20,2,c20)']);
    await expectEverywhere(w, 'cchild', 'id', ['(10,1,c10)', '(11,1,c11)']);
    await expectEverywhere(w, 'grand', 'id', ['(1,"g1 new")', '(2,g2)']);
  });

  it('three levels deleted together on a source (tables written parent first): gone everywhere', async () => {
    await w.sql('B', 'BEGIN; DELETE FROM child WHERE pid = 2; DELETE FROM parent WHERE id = 2; DELETE FROM grand WHERE id = 2; COMMIT');
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'grand', 'id', ['(1,"g1 new")']);
    await expectEverywhere(w, 'parent', 'id', ['(1,1,"p1 new")']);
    await expectEverywhere(w, 'child', 'id', ['(10,1,c10)', '(11,1,c11)']);
  });

  it('a parent given a new key, its children moved to it: the old key goes last', async () => {
    await w.sql('A', "BEGIN; INSERT INTO parent VALUES (3, 1, 'p3'); UPDATE child SET pid = 3 WHERE pid = 1; DELETE FROM parent WHERE id = 1; COMMIT");
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'parent', 'id', ['(3,1,p3)']);
    await expectEverywhere(w, 'child', 'id', ['(10,3,c10)', '(11,3,c11)']);
  });

  it('new parents and children, and a cascading parent deleted: as on the origin', async () => {
    await w.sql('B', "INSERT INTO grand VALUES (5, 'g5'); INSERT INTO parent VALUES (5, 5, 'p5'); INSERT INTO child VALUES (50, 5, 'c50'); DELETE FROM cparent WHERE id = 1");
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'child', 'id', ['(10,3,c10)', '(11,3,c11)', '(50,5,c50)']);
    await expectEverywhere(w, 'cparent', 'id', []);
    await expectEverywhere(w, 'cchild', 'id', []);
    expectOutcome(await w.run(), 'empty');
  });
});

/**
 * A herd whose child table comes before its parent (`add all tables` adds `order_items` before `orders`):
 * a new order and its items in one run were written child first and failed every run. The tables are
 * written after those their foreign keys point at (as the first source describes them), deletes last.
 */
describe('a herd with the child table added before its parent', () => {
  it('new parents with children, then both deleted: good every run, as on the origin; an initial copy too', async () => {
    const w = await harness.setup({
      tag: 'fo', roles: { A: 'source', B: 'source', C: 'target' }, tables: ['order_items', 'orders'],
      schema: 'CREATE TABLE orders (id int PRIMARY KEY, v text); CREATE TABLE order_items (id int PRIMARY KEY, oid int NOT NULL REFERENCES orders, v text);',
    });
    await w.sql('A', "INSERT INTO orders VALUES (1, 'o1'), (2, 'o2'); INSERT INTO order_items VALUES (10, 1, 'i10'), (20, 2, 'i20')");
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'order_items', 'id', ['(10,1,i10)', '(20,2,i20)']);
    await w.sql('B', "BEGIN; DELETE FROM order_items WHERE oid = 2; DELETE FROM orders WHERE id = 2; INSERT INTO orders VALUES (3, 'o3'); INSERT INTO order_items VALUES (30, 3, 'i30'); COMMIT");
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'orders', 'id', ['(1,o1)', '(3,o3)']);
    await expectEverywhere(w, 'order_items', 'id', ['(10,1,i10)', '(30,3,i30)']);
    // an initial copy into an emptied target: orders first
    await w.sql('C', 'DELETE FROM order_items; DELETE FROM orders');
    await w.bucardo.updateSync(w.sync, { onetimecopy: '2' });
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'order_items', 'id', ['(10,1,i10)', '(30,3,i30)']);
  });
});

