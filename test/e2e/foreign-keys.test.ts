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
import { definePlugin } from '@bucardo/plugin-sdk';
import { postgres } from '@bucardo/plugin-postgres';
import type { SessionCache } from '@bucardo/core';
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
 * A herd whose child table comes before its parent (tables added in name order put `order_items` before `orders`):
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

/**
 * From the review of the above: a table pointing at itself (a tree) with a row moved under a new one;
 * a unique value (an e-mail) taken over by a new row from a row deleted on the origin, in a table a foreign
 * key points at; a run bigger than `batchSize` deleting a parent with its children; and the local-change
 * guard over a held delete: a user on a receiving source writes a key the run deletes, after the capture.
 */
describe('trees, unique values and the guard, in tables foreign keys point at', () => {
  const during: Array<[string, string]> = [];
  const writer = definePlugin({
    name: 'writes-after-the-capture',
    apply(host) {
      host.hooks.capture.tapPromise('writes-after-the-capture', async (changes) => {
        for (const [db, text] of during.splice(0)) await w.sql(db, text);
        return changes;
      });
    },
  });
  let w: SyncWorld;

  beforeAll(async () => {
    w = await harness.setup({
      tag: 'ft', roles: { A: 'source', B: 'source', C: 'target' }, tables: ['tree', 'users', 'posts', 'p', 'q'], plugins: [writer],
      schema: `CREATE TABLE tree (id int PRIMARY KEY, parent int REFERENCES tree, v text);
        CREATE TABLE users (id int PRIMARY KEY, email text UNIQUE NOT NULL);
        CREATE TABLE posts (id int PRIMARY KEY, uid int REFERENCES users);
        CREATE TABLE p (id int PRIMARY KEY, v text); CREATE TABLE q (id int PRIMARY KEY, pid int REFERENCES p);`,
    });
    await w.sql('A', "INSERT INTO tree VALUES (1, NULL, 'root'), (2, 1, 'leaf'); INSERT INTO users VALUES (1, 'x@y'); INSERT INTO p VALUES (5, 'p5')");
    expectOutcome(await w.run(), 'good');
  });

  it('a new row of a tree and a row moved under it', async () => {
    await w.sql('A', "INSERT INTO tree VALUES (3, 1, 'branch'); UPDATE tree SET parent = 3 WHERE id = 2");
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'tree', 'id', ['(1,,root)', '(2,3,leaf)', '(3,1,branch)']);
  });

  it('a unique value a new row takes from a row deleted on the origin', async () => {
    await w.sql('A', "BEGIN; DELETE FROM users WHERE id = 1; INSERT INTO users VALUES (2, 'x@y'); COMMIT");
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'users', 'id', ['(2,x@y)']);
  });

  it('a parent and its children deleted in a run cut into several transactions (was a known limit): good, gone everywhere', async () => {
    await w.sql('A', 'INSERT INTO p VALUES (6, null); INSERT INTO q SELECT i, 6 FROM generate_series(60, 64) i');
    expectOutcome(await w.run(), 'good');
    await w.sql('A', 'BEGIN; DELETE FROM q WHERE pid = 6; DELETE FROM p WHERE id = 6; COMMIT');
    const small = await harness.open([], { batchSize: 2 });
    expectOutcome(await small.runSync(w.sync), 'good');
    await expectEverywhere(w, 'p', 'id', ['(5,p5)']);
    await expectEverywhere(w, 'q', 'id', []);
  });

  it('a unique value taken from a row deleted on the origin, in a run of several transactions: fails saying why and how out, then goes through in one', async () => {
    // the deleted row's key goes last, so with a transaction per key the new row meets the old one
    await w.sql('A', "BEGIN; DELETE FROM users WHERE id = 2; INSERT INTO users VALUES (3, 'x@y'); COMMIT");
    const failed = await (await harness.open([], { batchSize: 1 })).runSync(w.sync);
    expectOutcome(failed, 'bad');
    expect(failed.error).toMatchObject({ code: 'APPLY_FAILED', sqlstate: '23505', table: 'public.users' });
    expect(failed.error!.message).toContain('rows of public.users were written after this transaction\'s deletes, as they take a unique value from a deleted row or point at rows that do, and still collide');
    expect(failed.error!.message).toContain('or one taking it from a row whose delete comes in a later transaction of the run');
    expect(failed.error!.message).toContain('give one run a batchSize above its changed keys and a partitionSize above its change records (its log says how many: bucardo --log-level verbose kick SYNC 0), or write with applyAsReplica');
    for (const db of ['B', 'C']) expect(await w.sql(db, 'SELECT id, email FROM users'), db).toEqual([{ id: 2, email: 'x@y' }]);
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'users', 'id', ['(3,x@y)']);
  });

  it('a key the run deletes, written by a user on a receiving source after the capture: the user\'s row stays, and the next run carries it', async () => {
    // A deletes p 5; B's user changes it after the capture: B keeps its row, which then goes everywhere
    await w.sql('A', 'DELETE FROM p WHERE id = 5');
    during.push(['B', "UPDATE p SET v = 'user' WHERE id = 5"]);
    expectOutcome(await w.run(), 'good');
    expect(await w.sql('B', 'SELECT id, v FROM p')).toEqual([{ id: 5, v: 'user' }]);
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'p', 'id', ['(5,user)']);
  });
});

/**
 * From a walk-through: an account purged with its orders and their items, and a new account taking over its
 * e-mail, with an order of its own, in one transaction. Deleting the old account first (for its e-mail)
 * cascaded to its orders while their items still pointed at them, every run. The new account's rows are
 * now put off until the held deletes are done, and the new order's rows (pointing at it) with them.
 */
describe('an account purged with its orders, its e-mail taken by a new account', () => {
  it('good in one run, as on the origin, on the target and the other source', async () => {
    const w = await harness.setup({
      tag: 'fe', roles: { A: 'source', B: 'source', C: 'target' }, tables: ['items', 'orders', 'customers'],
      schema: `CREATE TABLE customers (id int PRIMARY KEY, email text UNIQUE NOT NULL);
        CREATE TABLE orders (id int PRIMARY KEY, cid int NOT NULL REFERENCES customers ON DELETE CASCADE);
        CREATE TABLE items (id int PRIMARY KEY, oid int NOT NULL REFERENCES orders, v text);`,
    });
    await w.sql('A', `INSERT INTO customers VALUES (4, 'c4@x'), (5, 'c5@x'); INSERT INTO orders VALUES (40, 4), (50, 5);
      INSERT INTO items VALUES (400, 40, 'a'), (401, 40, 'b'), (500, 50, 'c')`);
    expectOutcome(await w.run(), 'good');
    await w.sql('B', `BEGIN; DELETE FROM items WHERE oid = 40; DELETE FROM customers WHERE id = 4;
      INSERT INTO customers VALUES (6, 'c4@x'); INSERT INTO orders VALUES (60, 6); INSERT INTO items VALUES (600, 60, 'new'); COMMIT`);
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'customers', 'id', ['(5,c5@x)', '(6,c4@x)']);
    await expectEverywhere(w, 'orders', 'id', ['(50,5)', '(60,6)']);
    await expectEverywhere(w, 'items', 'id', ['(500,50,c)', '(600,60,new)']);
    expectOutcome(await w.run(), 'empty');
  });
});

/**
 * From the review of the above: what else meets rows put off until the held deletes. A child with additive
 * columns pointing at a put-off row is put off too; a child moved to a put-off row while its old parent is
 * deleted cannot be ordered (the delete would take it with it: refused, nothing lost); a row pointing at a
 * row missing for another reason (a table outside the sync) keeps its own error.
 */
describe('rows put off until the held deletes, and what points at them', () => {
  it('an additive child of a put-off row is put off with it, its rows under the old parent deleted first: good (from two reviews)', async () => {
    const w = await harness.setup({
      tag: 'fr3', roles: { A: 'source', B: 'source', C: 'target' }, tables: ['ord_m', 'cust_m'], additive: ['n'],
      schema: `CREATE TABLE cust_m (id int PRIMARY KEY, email text UNIQUE NOT NULL, n int NOT NULL DEFAULT 0);
        CREATE TABLE ord_m (id int PRIMARY KEY, cid int NOT NULL REFERENCES cust_m, n int NOT NULL DEFAULT 0);`,
    });
    await w.sql('A', "INSERT INTO cust_m VALUES (4, 'c4@x', 0), (5, 'c5@x', 0); INSERT INTO ord_m VALUES (40, 4, 1), (50, 5, 1)");
    expectOutcome(await w.run(), 'good');
    await w.sql('B', "BEGIN; DELETE FROM ord_m WHERE cid = 4; DELETE FROM cust_m WHERE id = 4; INSERT INTO cust_m VALUES (6, 'c4@x', 0); INSERT INTO ord_m VALUES (60, 6, 2); COMMIT");
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'cust_m', 'id', ['(5,c5@x,0)', '(6,c4@x,0)']);
    await expectEverywhere(w, 'ord_m', 'id', ['(50,5,1)', '(60,6,2)']);
  });

  it('a table outside the sync pointing at a held key (CASCADE) while rows are put off: it cascades as on the origin, good (from a review)', async () => {
    const w = await harness.setup({
      tag: 'fr5', roles: { A: 'source', B: 'source', C: 'target' }, tables: ['cu5'],
      schema: `CREATE TABLE cu5 (id int PRIMARY KEY, email text UNIQUE NOT NULL);
        CREATE TABLE local5 (id int PRIMARY KEY, cid int REFERENCES cu5 ON DELETE CASCADE);`,
    });
    await w.sql('A', "INSERT INTO cu5 VALUES (4, 'c4@x'), (5, 'c5@x')");
    expectOutcome(await w.run(), 'good');
    for (const db of w.names) await w.sql(db, 'INSERT INTO local5 VALUES (1, 4), (2, 5)');
    await w.sql('B', "BEGIN; DELETE FROM cu5 WHERE id = 4; INSERT INTO cu5 VALUES (6, 'c4@x'); COMMIT");
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'cu5', 'id', ['(5,c5@x)', '(6,c4@x)']);
    await expectEverywhere(w, 'local5', 'id', ['(2,5)']);
  });

  it('a child moved to a put-off row while its old parent is deleted (CASCADE): refused naming both tables, nothing lost', async () => {
    const w = await harness.setup({
      tag: 'fr2', roles: { A: 'source', B: 'source', C: 'target' }, tables: ['it2', 'or2', 'cu2'],
      schema: `CREATE TABLE cu2 (id int PRIMARY KEY, email text UNIQUE NOT NULL);
        CREATE TABLE or2 (id int PRIMARY KEY, cid int NOT NULL REFERENCES cu2 ON DELETE CASCADE);
        CREATE TABLE it2 (id int PRIMARY KEY, oid int NOT NULL REFERENCES or2 ON DELETE CASCADE, v text);`,
    });
    await w.sql('A', `INSERT INTO cu2 VALUES (4, 'c4@x'), (5, 'c5@x'); INSERT INTO or2 VALUES (40, 4), (50, 5);
      INSERT INTO it2 VALUES (400, 40, 'a'), (401, 40, 'b'), (500, 50, 'c')`);
    expectOutcome(await w.run(), 'good');
    await w.sql('B', `BEGIN; UPDATE cu2 SET email = 'tmp' WHERE id = 4; INSERT INTO cu2 VALUES (6, 'c4@x');
      UPDATE or2 SET cid = 6 WHERE cid = 4; DELETE FROM cu2 WHERE id = 4; COMMIT`);
    const failed = await w.run();
    expectOutcome(failed, 'bad');
    expect(failed.error).toMatchObject({ code: 'APPLY_FAILED', table: 'public.cu2' });
    expect(failed.error!.message).toMatch(/^Rows of public\.cu2 deleted on the origin are still pointed at by rows of public\.or2 on database "fr2_[AC]", while this transaction put off rows that take a unique value from deleted rows/);
    expect(failed.error!.message).toContain('Make the change in two runs on the origin (move the children first, or give the new row its unique value in a second step), or write with applyAsReplica');
    for (const db of ['A', 'C']) {
      expect(await w.sql(db, 'SELECT id, oid FROM it2 ORDER BY id'), db).toEqual([{ id: 400, oid: 40 }, { id: 401, oid: 40 }, { id: 500, oid: 50 }]);
      expect(await w.sql(db, 'SELECT id, cid FROM or2 ORDER BY id'), db).toEqual([{ id: 40, cid: 4 }, { id: 50, cid: 5 }]);
    }
  });

  it('the same with the children partitioned, their key declared on the partitioned parent: refused naming the partition, nothing lost', async () => {
    const w = await harness.setup({
      tag: 'fr6', roles: { A: 'source', B: 'source', C: 'target' }, tables: ['it6', 'or6_a', 'or6_b', 'cu6'],
      schema: `CREATE TABLE cu6 (id int PRIMARY KEY, email text UNIQUE NOT NULL);
        CREATE TABLE or6 (id int PRIMARY KEY, cid int NOT NULL REFERENCES cu6 ON DELETE CASCADE) PARTITION BY RANGE (id);
        CREATE TABLE or6_a PARTITION OF or6 FOR VALUES FROM (0) TO (45);
        CREATE TABLE or6_b PARTITION OF or6 FOR VALUES FROM (45) TO (100);
        CREATE TABLE it6 (id int PRIMARY KEY, oid int NOT NULL REFERENCES or6 ON DELETE CASCADE, v text);`,
    });
    await w.sql('A', `INSERT INTO cu6 VALUES (4, 'c4@x'), (5, 'c5@x'); INSERT INTO or6 VALUES (40, 4), (50, 5);
      INSERT INTO it6 VALUES (400, 40, 'a'), (401, 40, 'b'), (500, 50, 'c')`);
    expectOutcome(await w.run(), 'good');
    await w.sql('B', `BEGIN; UPDATE cu6 SET email = 'tmp' WHERE id = 4; INSERT INTO cu6 VALUES (6, 'c4@x');
      UPDATE or6 SET cid = 6 WHERE cid = 4; DELETE FROM cu6 WHERE id = 4; COMMIT`);
    const failed = await w.run();
    expectOutcome(failed, 'bad');
    expect(failed.error).toMatchObject({ code: 'APPLY_FAILED', table: 'public.cu6' });
    expect(failed.error!.message).toMatch(/^Rows of public\.cu6 deleted on the origin are still pointed at by rows of public\.or6_a on database "fr6_[AC]", while this transaction put off rows that take a unique value from deleted rows/);
    for (const db of ['A', 'C']) {
      expect(await w.sql(db, 'SELECT id, oid FROM it6 ORDER BY id'), db).toEqual([{ id: 400, oid: 40 }, { id: 401, oid: 40 }, { id: 500, oid: 50 }]);
      expect(await w.sql(db, 'SELECT id, cid FROM or6 ORDER BY id'), db).toEqual([{ id: 40, cid: 4 }, { id: 50, cid: 5 }]);
    }
  });

  it('a row pointing at a row missing for another reason (a table outside the sync) keeps its own error', async () => {
    const w = await harness.setup({
      tag: 'fr4', roles: { A: 'source', B: 'source', C: 'target' }, tables: ['cu4', 'kid4'],
      schema: `CREATE TABLE ext4 (id int PRIMARY KEY); CREATE TABLE cu4 (id int PRIMARY KEY, email text UNIQUE NOT NULL);
        CREATE TABLE kid4 (id int PRIMARY KEY, cid int REFERENCES cu4, eid int REFERENCES ext4);`,
    });
    await w.sql('A', "INSERT INTO cu4 VALUES (4, 'c4@x'), (5, 'c5@x'); INSERT INTO ext4 VALUES (9)");
    await w.sql('B', 'INSERT INTO ext4 VALUES (9)');
    expectOutcome(await w.run(), 'good');
    await w.sql('B', "BEGIN; DELETE FROM cu4 WHERE id = 4; INSERT INTO cu4 VALUES (6, 'c4@x'); INSERT INTO kid4 VALUES (1, 5, 9); COMMIT");
    const failed = await w.run();
    expectOutcome(failed, 'bad');
    expect(failed.error).toMatchObject({ code: 'APPLY_FAILED', sqlstate: '23503', table: 'public.kid4', db: w.registered['C'] });
    // its own error, without the advice for rows put off (which would send the user the wrong way)
    expect(failed.error!.message).toMatch(/^insert or update on table "kid4" violates foreign key constraint "kid4_eid_fkey" \(Key \(eid\)=\(9\) is not present in table "ext4"\.\)/);
    expect(failed.error!.message).not.toContain('written after this transaction');
    expect(failed.error!.message).toContain('Where the table it points at is not in the sync, give that table the row on "fr4_C"');
  });
});

/**
 * A conflict no strategy settles row by row: a child added on one source to a parent deleted on another in
 * the same run. The run fails every time naming the key (the server's DETAIL), nothing is written anywhere,
 * and once the child is deleted (or the parent made again) on a source, the next run goes through.
 */
describe('a child added on one source to a parent deleted on another', () => {
  it('fails naming the key and the table; nothing written; fixed on a source, the next run converges', async () => {
    const w = await harness.setup({
      tag: 'fx', roles: { A: 'source', B: 'source', C: 'target' }, tables: ['par', 'kid'],
      schema: 'CREATE TABLE par (id int PRIMARY KEY, v text); CREATE TABLE kid (id int PRIMARY KEY, pid int REFERENCES par, v text);',
    });
    await w.sql('A', "INSERT INTO par VALUES (7, 'p7'), (8, 'p8')");
    expectOutcome(await w.run(), 'good');
    await w.sql('A', 'DELETE FROM par WHERE id = 7');
    await w.sql('B', "INSERT INTO kid VALUES (70, 7, 'orphan'); UPDATE par SET v = 'p8 new' WHERE id = 8");
    const failed = await w.run();
    expectOutcome(failed, 'bad');
    expect(failed.error).toMatchObject({ code: 'APPLY_FAILED', sqlstate: '23503', table: 'public.kid' });
    expect(failed.error!.message).toContain('insert or update on table "kid" violates foreign key constraint "kid_pid_fkey" (Key (pid)=(7) is not present in table "par".)');
    expect(failed.error!.message).toContain('this is a conflict between tables that no strategy settles: fix the row on a source (delete it, or point it at a row that exists) and the next run goes through');
    expect(await w.sql('C', 'SELECT id, v FROM par ORDER BY id')).toEqual([{ id: 7, v: 'p7' }, { id: 8, v: 'p8' }]);
    expect(await w.sql('C', 'SELECT id FROM kid')).toEqual([]);
    await w.sql('B', 'DELETE FROM kid WHERE id = 70');
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'par', 'id', ['(8,"p8 new")']);
    await expectEverywhere(w, 'kid', 'id', []);
  });
});

/**
 * From a walk-through: two rows of a table foreign keys point at swap a unique value. Written in place
 * the swap collides (a unique constraint is checked row by row); the in-place writer's way out for other
 * tables, DELETE and INSERT, took the rows' children with it here (`ON DELETE CASCADE`): orders lost on
 * every receiving database, the run good. Now the run fails saying why and what to do, and nothing is lost.
 */
describe('a unique value swapped between two rows foreign keys point at', () => {
  it('fails the run naming the table and the way out; no child is lost anywhere', async () => {
    const w = await harness.setup({
      tag: 'fs', roles: { A: 'source', B: 'source', C: 'target' }, tables: ['customers', 'orders'],
      schema: `CREATE TABLE customers (id int PRIMARY KEY, email text UNIQUE NOT NULL);
        CREATE TABLE orders (id int PRIMARY KEY, cid int REFERENCES customers ON DELETE CASCADE);`,
    });
    await w.sql('A', "INSERT INTO customers VALUES (1, 'a@x'), (2, 'b@x'); INSERT INTO orders VALUES (10, 1), (20, 2)");
    expectOutcome(await w.run(), 'good');
    await w.sql('A', "BEGIN; UPDATE customers SET email = 'tmp' WHERE id = 1; UPDATE customers SET email = 'a@x' WHERE id = 2; UPDATE customers SET email = 'b@x' WHERE id = 1; COMMIT");
    const failed = await w.run();
    expectOutcome(failed, 'bad');
    expect(failed.error).toMatchObject({ code: 'APPLY_FAILED', sqlstate: '23505', table: 'public.customers' });
    expect(failed.error!.message).toContain('duplicate key value violates unique constraint "customers_email_key" (Key (email)=(');
    expect(failed.error!.message).toContain('rows of public.customers were written after this transaction\'s deletes');
    expect(failed.error!.message).toContain('Two rows that swap a unique value, or one taking it from a row whose delete comes in a later transaction of the run (the keys a table foreign keys point at loses go last), cannot be written in place: make a swap through a temporary value in two runs on the origin');
    for (const db of ['B', 'C']) {
      expect(await w.sql(db, 'SELECT id, cid FROM orders ORDER BY id'), db).toEqual([{ id: 10, cid: 1 }, { id: 20, cid: 2 }]);
      expect(await w.sql(db, 'SELECT id, email FROM customers ORDER BY id'), db).toEqual([{ id: 1, email: 'a@x' }, { id: 2, email: 'b@x' }]);
    }
  });
});

/** A foreign key added on a target while a daemon keeps its connections counts from the next run. */
describe('a foreign key added while the sessions are kept', () => {
  it('the next run on the kept sessions writes the parent in place', async () => {
    const w = await harness.setup({
      tag: 'fa', roles: { A: 'source', C: 'target' }, tables: ['par', 'chi'],
      schema: 'CREATE TABLE par (id int PRIMARY KEY, v text); CREATE TABLE chi (id int PRIMARY KEY, pid int);',
    });
    const cache: SessionCache = {};
    try {
      await w.sql('A', "INSERT INTO par VALUES (1, 'a'); INSERT INTO chi VALUES (10, 1)");
      expectOutcome(await w.bucardo.runSync(w.sync, { cache }), 'good');
      await w.sql('C', 'ALTER TABLE chi ADD FOREIGN KEY (pid) REFERENCES par');
      await w.sql('A', "UPDATE par SET v = 'b' WHERE id = 1");
      expectOutcome(await w.bucardo.runSync(w.sync, { cache }), 'good');
      await expectEverywhere(w, 'par', 'id', ['(1,b)']);
      await expectEverywhere(w, 'chi', 'id', ['(10,1)']);
    } finally {
      await cache.sessions?.close();
    }
  });

  it('added on every database: the next run on the kept sessions sees it, and plans the parent\'s deletes after the children\'s', async () => {
    const w = await harness.setup({
      tag: 'fk2', roles: { A: 'source', C: 'target' }, tables: ['par', 'chi'], runSizes: { batchSize: 2 },
      schema: 'CREATE TABLE par (id int PRIMARY KEY, v text); CREATE TABLE chi (id int PRIMARY KEY, pid int);',
    });
    const cache: SessionCache = {};
    try {
      await w.sql('A', "INSERT INTO par VALUES (1, 'a'), (2, 'b'); INSERT INTO chi VALUES (10, 1), (11, 1), (20, 2)");
      expectOutcome(await w.bucardo.runSync(w.sync, { cache }), 'good');
      for (const db of ['A', 'C']) await w.sql(db, 'ALTER TABLE chi ADD FOREIGN KEY (pid) REFERENCES par');
      await w.sql('A', 'BEGIN; DELETE FROM chi WHERE pid = 1; DELETE FROM par WHERE id = 1; COMMIT');
      expectOutcome(await w.bucardo.runSync(w.sync, { cache }), 'good');
      await expectEverywhere(w, 'par', 'id', ['(2,b)']);
      await expectEverywhere(w, 'chi', 'id', ['(20,2)']);
    } finally {
      await cache.sessions?.close();
    }
  });
});


/**
 * Runs cut into several transactions (more keys than `batchSize`) or key partitions (more change records
 * than `partitionSize`). A parent's deleted keys waited for the end of their own transaction only, so a
 * parent deleted with its children failed every run when the children's deletes came in a later
 * transaction; and across key partitions a child could come before its new parent. The keys a table
 * foreign keys point at loses are now planned after every other key of the run (tables in reverse write
 * order), and such tables are captured whole with the first partition (their new rows and updates) and
 * the last (the keys they lose).
 */
describe('runs cut into several transactions or key partitions', () => {
  const SCHEMA = `CREATE TABLE orders (id int PRIMARY KEY, v text);
    CREATE TABLE items (id int PRIMARY KEY, oid int NOT NULL REFERENCES orders, v text);
    CREATE TABLE notes (id int PRIMARY KEY, iid int REFERENCES items ON DELETE CASCADE, v text);
    CREATE TABLE tree (id int PRIMARY KEY, parent int REFERENCES tree, v text);`;
  // children before their parents in the herd (name order would do the same)
  const TABLES = ['notes', 'items', 'orders', 'tree'];
  const counts = async (w: SyncWorld) => {
    const out: Record<string, unknown> = {};
    for (const db of w.names) {
      out[db] = (await w.sql(db, `SELECT (SELECT count(*) FROM orders) AS o, (SELECT count(*) FROM items) AS i,
        (SELECT count(*) FROM notes) AS n, (SELECT count(*) FROM tree) AS t,
        (SELECT coalesce(sum(id * 7 + oid), 0) FROM items) AS isum, (SELECT coalesce(sum(id * 3 + coalesce(parent, 0)), 0) FROM tree) AS tsum`))[0];
    }
    return out;
  };
  const expectSame = async (w: SyncWorld, expected: Record<string, unknown>) => {
    const seen = await counts(w);
    for (const db of w.names) expect(seen[db], db).toEqual(expected);
  };

  it('more keys than batchSize: new orders with items, then orders deleted with their items, good every run', async () => {
    const w = await harness.setup({ tag: 'fb', roles: { A: 'source', B: 'source', C: 'target' }, tables: TABLES, schema: SCHEMA, runSizes: { batchSize: 3 } });
    await w.sql('A', `INSERT INTO orders SELECT i, 'o' || i FROM generate_series(1, 6) i;
      INSERT INTO items SELECT i, i % 6 + 1, 'i' || i FROM generate_series(1, 18) i;
      INSERT INTO notes SELECT i, i, 'n' || i FROM generate_series(1, 9) i;
      INSERT INTO tree SELECT i, nullif(i - 1, 0), 't' || i FROM generate_series(1, 8) i`);
    expectOutcome(await w.run(), 'good');
    await expectSame(w, { o: '6', i: '18', n: '9', t: '8', isum: String(7 * 171 + 63), tsum: String(3 * 36 + 28) });
    // orders 1–4 go with their items (the items' notes by cascade), and the tree's deepest half, on B
    await w.sql('B', `BEGIN; DELETE FROM items WHERE oid <= 4; DELETE FROM orders WHERE id <= 4;
      DELETE FROM tree WHERE id > 4; INSERT INTO orders VALUES (7, 'o7'); INSERT INTO items VALUES (19, 7, 'i19'); COMMIT`);
    expectOutcome(await w.run(), 'good');
    const kept = await w.sql('B', 'SELECT coalesce(sum(id * 7 + oid), 0) AS s, count(*) AS n FROM items');
    expect(kept[0]!.n).toBe('7');
    await expectSame(w, { o: '3', i: '7', n: (await w.sql('B', 'SELECT count(*) AS n FROM notes'))[0]!.n, t: '4', isum: kept[0]!.s, tsum: String(3 * 10 + 6) });
    await expectEverywhere(w, 'orders', 'id', ['(5,o5)', '(6,o6)', '(7,o7)']);
    expectOutcome(await w.run(), 'empty');
  });

  it('a parent updated on one source and deleted with its children on another, in a run of several transactions: the later change wins, good', async () => {
    const w = await harness.setup({ tag: 'fc', roles: { A: 'source', B: 'source', C: 'target' }, tables: TABLES, schema: SCHEMA, runSizes: { batchSize: 3 } });
    await w.sql('A', `INSERT INTO orders SELECT i, 'o' || i FROM generate_series(1, 6) i; INSERT INTO items SELECT i, i % 6 + 1, 'i' || i FROM generate_series(1, 18) i`);
    expectOutcome(await w.run(), 'good');
    // the delete comes last: it wins (latest), after the items B deleted
    await w.sql('A', "UPDATE orders SET v = 'a' WHERE id <= 3");
    await w.sql('B', 'BEGIN; DELETE FROM items WHERE oid <= 3; DELETE FROM orders WHERE id <= 3; COMMIT');
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'orders', 'id', ['(4,o4)', '(5,o5)', '(6,o6)']);
    // the update comes last: it wins, and the order comes back where it was deleted, without the items deleted there
    await w.sql('A', 'BEGIN; DELETE FROM items WHERE oid = 4; DELETE FROM orders WHERE id = 4; COMMIT');
    await w.sql('B', "UPDATE orders SET v = 'b' WHERE id = 4");
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'orders', 'id', ['(4,b)', '(5,o5)', '(6,o6)']);
    await expectSame(w, { o: '3', i: '6', n: '0', t: '0', isum: (await w.sql('A', 'SELECT sum(id * 7 + oid) AS s FROM items'))[0]!.s, tsum: '0' });
  });

  it('two tables pointing at each other (deferrable), in a run of several transactions: their keys go together, good', async () => {
    const w = await harness.setup({
      tag: 'fy', roles: { A: 'source', B: 'source', C: 'target' }, tables: ['ca', 'cb'], runSizes: { batchSize: 5 },
      schema: `CREATE TABLE ca (id int PRIMARY KEY, b_id int); CREATE TABLE cb (id int PRIMARY KEY, a_id int REFERENCES ca DEFERRABLE INITIALLY DEFERRED);
        ALTER TABLE ca ADD CONSTRAINT ca_b FOREIGN KEY (b_id) REFERENCES cb DEFERRABLE INITIALLY DEFERRED;`,
    });
    await w.sql('A', 'BEGIN; INSERT INTO ca SELECT i, i FROM generate_series(1, 40) i; INSERT INTO cb SELECT i, i FROM generate_series(1, 40) i; COMMIT');
    expectOutcome(await w.run(), 'good');
    await w.sql('B', 'BEGIN; DELETE FROM ca WHERE id > 20; DELETE FROM cb WHERE id > 20; COMMIT');
    expectOutcome(await w.run(), 'good');
    for (const table of ['ca', 'cb']) {
      for (const db of w.names) expect(await w.sql(db, `SELECT count(*) AS n, sum(id) AS s FROM ${table}`), `${table} on ${db}`).toEqual([{ n: '20', s: '210' }]);
    }
  });

  it('more change records than partitionSize: a backlog of orders and items, then of their deletes, good in every partition', async () => {
    // what each capture of the run is of: the key partition, and the tables
    const captures: string[] = [];
    // set to fail the apply of orders in a run's last partition, once: where the keys orders loses are written
    let failLastOrders = false;
    const recorder = definePlugin({
      name: 'records-captures',
      apply(host) {
        host.hooks.capture.tap('records-captures', (changes, args) => {
          captures.push(`${args.partition ? `${args.partition.index + 1}/${args.partition.count}` : 'whole'}: ${args.tables.map((shape) => shape.table.name).join(' ')}`);
          return changes;
        });
        host.hooks.apply.tap('records-captures', (outcome, args) => {
          if (!failLastOrders || args.batch.shape.table.name !== 'orders' || args.partition?.index !== args.partition!.count - 1) return outcome;
          failLastOrders = false;
          throw new Error('broken in the last partition');
        });
      },
    });
    const w = await harness.setup({
      tag: 'fp', roles: { A: 'source', B: 'source', C: 'target' }, tables: TABLES, schema: SCHEMA, plugins: [recorder], runSizes: { batchSize: 7, partitionSize: 20 },
    });
    await w.sql('A', `INSERT INTO orders SELECT i, 'o' || i FROM generate_series(1, 30) i;
      INSERT INTO items SELECT i, i % 30 + 1, 'i' || i FROM generate_series(1, 90) i;
      INSERT INTO notes SELECT i, i, 'n' || i FROM generate_series(1, 50) i;
      INSERT INTO tree SELECT i, nullif(i - 1, 0), 't' || i FROM generate_series(1, 40) i`);
    captures.length = 0;
    expectOutcome(await w.run(), 'good');
    // only notes (no foreign key points at it) is cut: 50 records in partitions of 20; the others are whole, with the first and the last
    expect(captures).toEqual(['1/3: notes', 'whole: orders tree items', '2/3: notes', '3/3: notes', 'whole: orders tree items']);
    await expectSame(w, { o: '30', i: '90', n: '50', t: '40', isum: String(7 * 4095 + 90 * 31 / 2 * 1), tsum: String(3 * 820 + 780) });
    // the orders 1–20 go with their items, new ones come, the tree loses its deepest 25 rows and gets a new root over the rest
    await w.sql('A', `BEGIN; DELETE FROM items WHERE oid <= 20; DELETE FROM orders WHERE id <= 20;
      INSERT INTO orders SELECT i, 'o' || i FROM generate_series(31, 40) i;
      INSERT INTO items SELECT i, i - 60, 'i' || i FROM generate_series(91, 100) i;
      DELETE FROM tree WHERE id > 15; INSERT INTO tree VALUES (0, NULL, 'root'); UPDATE tree SET parent = 0 WHERE id = 1; COMMIT`);
    expectOutcome(await w.run(), 'good');
    const a = await counts(w);
    expect(a['A']).toMatchObject({ o: '20', i: '40', t: '16' });
    await expectSame(w, a['A'] as Record<string, unknown>);
    expectOutcome(await w.run(), 'empty');
    // a run failing where the last partition writes the keys orders loses: the next resumes there and converges
    await w.sql('B', `BEGIN; INSERT INTO notes SELECT 100 + i, (SELECT min(id) FROM items), 'x' FROM generate_series(1, 60) i;
      DELETE FROM items WHERE oid BETWEEN 21 AND 25; DELETE FROM orders WHERE id BETWEEN 21 AND 25; INSERT INTO orders VALUES (50, 'o50'); COMMIT`);
    failLastOrders = true;
    const failed = await w.run();
    expectOutcome(failed, 'bad');
    expect(failed.error).toMatchObject({ code: 'PLUGIN_ERROR' });
    expect(failLastOrders).toBe(false);
    expect(await w.sql('C', 'SELECT count(*) AS n FROM orders WHERE id BETWEEN 21 AND 25')).toEqual([{ n: '5' }]);
    captures.length = 0;
    expectOutcome(await w.run(), 'good');
    // resumed in the last partition (of 60 notes and those gone with their items), the others committed
    expect(captures).toHaveLength(2);
    expect(captures[0]).toMatch(/^(\d+)\/\1: notes$/);
    expect(captures[1]).toBe('whole: orders tree items');
    const b = await counts(w);
    expect(b['B']).toMatchObject({ o: '16' });
    await expectSame(w, b['B'] as Record<string, unknown>);
    expectOutcome(await w.run(), 'empty');

    // written as a replica, no database checks the foreign keys: every table is cut, none held whole
    const replica = await harness.open([recorder, postgres({ applyAsReplica: true })], { batchSize: 7, partitionSize: 20 });
    await w.sql('A', `INSERT INTO orders SELECT i, 'o' || i FROM generate_series(60, 69) i; INSERT INTO items SELECT i, 60, 'i' || i FROM generate_series(200, 229) i`);
    captures.length = 0;
    expectOutcome(await replica.runSync(w.sync), 'good');
    expect(captures).toEqual(['1/2: orders tree items notes', '2/2: orders tree items notes']);
    await expectSame(w, (await counts(w))['A'] as Record<string, unknown>);
  });
});
