/**
 * Multi-master behaviour end to end, on real databases through the public API: three sources (A, B, C)
 * and one target (D) unless a test says otherwise, each holding `t(id int primary key, v text, n int)`.
 * Every test asserts the contents of every database after the run, and the run's report.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { assertConverged } from '../src/helpers/databases.js';
import { Harness, expectEverywhere, expectOutcome, type Role, type SyncWorld } from './support/sync-harness.js';

const harness = new Harness(serverFromInfo(inject('pg')), 'mm');
afterAll(() => harness.dispose());

const FOUR: Record<string, Role> = { A: 'source', B: 'source', C: 'source', D: 'target' };
const T = 'CREATE TABLE t (id int PRIMARY KEY, v text, n int);';

function setupT(tag: string, seed = ''): Promise<SyncWorld> {
  return harness.setup({ tag, roles: FOUR, schema: T + seed, tables: ['t'] });
}

/** Delta rows captured on a source (echo check: a sync's own writes add none). */
async function deltaCount(world: SyncWorld, db: string): Promise<number> {
  const rows = await world.sql(db, 'SELECT count(*)::int AS n FROM bucardo."delta_public_t"');
  return rows[0]!.n as number;
}

describe('multi-master, three sources and a target', () => {
  it('insert/insert on the same new key: the later insert wins everywhere, one conflict', async () => {
    const w = await setupT('ii');
    await w.sql('A', "INSERT INTO t VALUES (1, 'from A', 1)");
    await w.sql('C', "INSERT INTO t VALUES (2, 'only C', 2)"); // a clean key alongside
    await w.sql('B', "INSERT INTO t VALUES (1, 'from B', 10)"); // later: wins
    const report = await w.run();
    expectOutcome(report, 'good');
    expect(report.conflicts).toBe(1);
    expect(report.inserts).toBe(2); // B's image of 1, C's image of 2
    await expectEverywhere(w, 't', 'id', ['(1,"from B",10)', '(2,"only C",2)']);
    await assertConverged(w.urls as string[], { t: 'id' });
  });

  it('latest is decided per row: each key keeps its own newest version', async () => {
    const w = await setupT('pr', "INSERT INTO t VALUES (1, 'seed', 0), (2, 'seed', 0);");
    // B changes key 1 first, A changes key 2; then A changes key 1 and B changes key 2 last. B has the
    // newest change in the table, so Bucardo's per-table rule would give B both keys and lose A's edit of 1.
    await w.sql('B', "UPDATE t SET v = 'B early', n = 1 WHERE id = 1");
    await w.sql('A', "UPDATE t SET v = 'A early', n = 2 WHERE id = 2");
    await w.sql('A', "UPDATE t SET v = 'A late', n = 3 WHERE id = 1");
    await w.sql('B', "UPDATE t SET v = 'B late', n = 4 WHERE id = 2");
    const report = await w.run();
    expectOutcome(report, 'good');
    expect(report.conflicts).toBe(2);
    await expectEverywhere(w, 't', 'id', ['(1,"A late",3)', '(2,"B late",4)']);
  });

  it('deletes on three sources: only the keys nobody deleted remain, on all four databases', async () => {
    const w = await setupT('del');
    await w.sql('A', 'INSERT INTO t SELECT i, $1 || i, i FROM generate_series(1, 10) i', ['row ']);
    const first = await w.run();
    expectOutcome(first, 'good');
    expect(first.inserts).toBe(10);
    const all = Array.from({ length: 10 }, (_, i) => `(${i + 1},"row ${i + 1}",${i + 1})`);
    await expectEverywhere(w, 't', 'id', all);

    await w.sql('A', 'DELETE FROM t WHERE id IN (8, 9, 10)');
    await w.sql('B', 'DELETE FROM t WHERE id IN (4, 5, 6)');
    await w.sql('C', 'DELETE FROM t WHERE id IN (1, 2)');
    const report = await w.run();
    expectOutcome(report, 'good');
    expect(report.conflicts).toBe(0);
    expect(report.inserts).toBe(0);
    expect(report.deletes).toBe(8 * 3); // each deleted key goes from the three other databases
    await expectEverywhere(w, 't', 'id', ['(3,"row 3",3)', '(7,"row 7",7)']);
  });

  it('update on one source, delete of the same key on another: the later change wins on every database', async () => {
    const w = await setupT('ud', "INSERT INTO t VALUES (1, 'seed', 1), (2, 'seed', 2), (3, 'seed', 3);");
    // key 1: updated on A, deleted later on B -> gone
    await w.sql('A', "UPDATE t SET v = 'A upd' WHERE id = 1");
    await w.sql('B', 'DELETE FROM t WHERE id = 1');
    // key 2: deleted on C, updated later on A -> A's row, re-created on C
    await w.sql('C', 'DELETE FROM t WHERE id = 2');
    await w.sql('A', "UPDATE t SET v = 'A wins', n = 20 WHERE id = 2");
    const report = await w.run();
    expectOutcome(report, 'good');
    expect(report.conflicts).toBe(2);
    await expectEverywhere(w, 't', 'id', ['(2,"A wins",20)', '(3,seed,3)']);
  });

  it('a composite primary key, including an update that changes the key', async () => {
    const schema = `CREATE TABLE ck (a int, b text, v text, PRIMARY KEY (a, b));
      INSERT INTO ck VALUES (1, 'x', 'seed'), (1, 'y', 'seed'), (2, 'x', 'seed'), (3, 'z', 'seed'), (4, 'w', 'seed');`;
    const w = await harness.setup({ tag: 'ck', roles: FOUR, schema, tables: ['ck'] });
    await w.sql('A', "INSERT INTO ck VALUES (5, 'new', 'A ins')");
    await w.sql('A', "UPDATE ck SET b = 'x2', v = 'A moved' WHERE a = 2 AND b = 'x'"); // key update
    await w.sql('A', "DELETE FROM ck WHERE a = 3 AND b = 'z'");
    await w.sql('A', "UPDATE ck SET v = 'A upd' WHERE a = 1 AND b = 'x'");
    await w.sql('B', "INSERT INTO ck VALUES (6, 'a b, \"c\"', 'B ins')");
    await w.sql('B', "UPDATE ck SET v = 'B upd' WHERE a = 1 AND b = 'y'");
    await w.sql('B', "DELETE FROM ck WHERE a = 4 AND b = 'w'");
    await w.sql('B', "UPDATE ck SET v = 'B later' WHERE a = 1 AND b = 'x'"); // conflicts with A's update, later
    const report = await w.run();
    expectOutcome(report, 'good');
    expect(report.conflicts).toBe(1);
    const expected = ['(1,x,"B later")', '(1,y,"B upd")', '(2,x2,"A moved")', '(5,new,"A ins")', '(6,"a b, ""c""","B ins")'];
    await expectEverywhere(w, 'ck', 'a, b', expected);

    // a key update on B that moves a row A just wrote, and a move back of the key A moved
    await w.sql('B', "UPDATE ck SET a = 7 WHERE a = 5 AND b = 'new'");
    await w.sql('C', "UPDATE ck SET b = 'x' WHERE a = 2 AND b = 'x2'");
    const second = await w.run();
    expectOutcome(second, 'good');
    await expectEverywhere(w, 'ck', 'a, b', ['(1,x,"B later")', '(1,y,"B upd")', '(2,x,"A moved")', '(6,"a b, ""c""","B ins")', '(7,new,"A ins")']);
    expect((await w.sql('D', 'SELECT count(*)::int AS n FROM ck WHERE (a, b) IN ((5, \'new\'), (2, \'x2\'))'))[0]!.n).toBe(0);
  });

  it('a run with nothing to do is empty; a run right after a good one is empty too (no echo)', async () => {
    const w = await setupT('emp', "INSERT INTO t VALUES (1, 'seed', 1);");
    const nothing = await w.run();
    expectOutcome(nothing, 'empty');
    expect([nothing.inserts, nothing.deletes, nothing.conflicts]).toEqual([0, 0, 0]);
    await expectEverywhere(w, 't', 'id', ['(1,seed,1)']);

    await w.sql('A', "INSERT INTO t VALUES (2, 'A', 2)");
    await w.sql('B', "UPDATE t SET v = 'B' WHERE id = 1");
    await w.sql('C', "INSERT INTO t VALUES (3, 'C', 3)");
    const before = { A: await deltaCount(w, 'A'), B: await deltaCount(w, 'B'), C: await deltaCount(w, 'C') };
    const good = await w.run();
    expectOutcome(good, 'good');
    expect(good.inserts).toBe(3);
    // the rows the sync wrote into each source were not captured there
    expect({ A: await deltaCount(w, 'A'), B: await deltaCount(w, 'B'), C: await deltaCount(w, 'C') }).toEqual(before);
    const again = await w.run();
    expectOutcome(again, 'empty');
    expect([again.inserts, again.deletes, again.conflicts]).toEqual([0, 0, 0]);
    await expectEverywhere(w, 't', 'id', ['(1,B,1)', '(2,A,2)', '(3,C,3)']);
  });
});
