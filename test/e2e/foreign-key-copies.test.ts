/**
 * Tables emptied on the receivers while foreign keys link them (a DDL walk-through's finds): each was
 * emptied in the step that copies it, parents first, so emptying a parent (a DELETE, where a foreign key
 * points at it) failed on the children's rows still there, and every run of the sync failed for good:
 *  - `TRUNCATE parent CASCADE` on a source (a three-level tree): the sync stalled, and as it retried, the
 *    other sources' changes to the tables, dropped for the truncate, grew with every attempt;
 *  - `onetimecopy=1` onto a target whose child table has rows: the copy never finished.
 * Now a table's dependents emptied in the same run are emptied with it, children first, in the same
 * transaction; the runs are good and every database ends as the source. And an initial copy reads every
 * table as of one moment: a parent and its child written between the reads of the two tables failed the
 * copy (the child's row copied, its parent not), and every retry with it. A copy of linked tables that
 * an earlier run left half done (a review's find: the parent copied in one run, the child in the next, read
 * later) starts again from the beginning, all the linked tables.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { Harness, expectEverywhere, expectOutcome, type SyncWorld } from './support/sync-harness.js';
import { WriteHold, holdWritesSql } from './support/write-hold.js';

const harness = new Harness(serverFromInfo(inject('pg')), 'tcas');
afterAll(() => harness.dispose());

const SCHEMA = `
  CREATE TABLE grand (id int PRIMARY KEY, v text);
  CREATE TABLE parent (id int PRIMARY KEY, gid int REFERENCES grand, v text);
  CREATE TABLE child (id int PRIMARY KEY, pid int REFERENCES parent, v text);
  INSERT INTO grand VALUES (1, 'g1'), (2, 'g2');
  INSERT INTO parent VALUES (1, 1, 'p1'), (2, 2, 'p2');
  INSERT INTO child VALUES (10, 1, 'c10'), (20, 2, 'c20');`;
// the herd lists the child first: the order of the copies comes from the foreign keys
const TABLES = ['child', 'parent', 'grand'];

describe('TRUNCATE grand CASCADE on a source', () => {
  let w: SyncWorld;
  beforeAll(async () => {
    w = await harness.setup({ tag: 'tc', roles: { A: 'source', B: 'source', C: 'target' }, tables: TABLES, schema: SCHEMA });
  });

  it('the run is good, and every database holds what the source wrote after the truncate', async () => {
    await w.sql('A', "BEGIN; TRUNCATE grand CASCADE; INSERT INTO grand VALUES (5, 'g5'); INSERT INTO parent VALUES (5, 5, 'p5'); INSERT INTO child VALUES (50, 5, 'c50'), (51, 5, 'c51'); COMMIT");
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'grand', 'id', ['(5,g5)']);
    await expectEverywhere(w, 'parent', 'id', ['(5,5,p5)']);
    await expectEverywhere(w, 'child', 'id', ['(50,5,c50)', '(51,5,c51)']);
    expectOutcome(await w.run(), 'empty');
  });

  it('then changes on the other source go everywhere as usual', async () => {
    await w.sql('B', "INSERT INTO parent VALUES (6, 5, 'p6'); INSERT INTO child VALUES (60, 6, 'c60')");
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'parent', 'id', ['(5,5,p5)', '(6,5,p6)']);
    await expectEverywhere(w, 'child', 'id', ['(50,5,c50)', '(51,5,c51)', '(60,6,c60)']);
  });
});

describe('onetimecopy=1 onto a target whose child table has rows the source lacks', () => {
  let w: SyncWorld;
  beforeAll(async () => {
    w = await harness.setup({ tag: 'tco', roles: { A: 'source', C: 'target' }, tables: TABLES, schema: SCHEMA });
    await w.sql('C', "INSERT INTO grand VALUES (9, 'only on C'); INSERT INTO parent VALUES (9, 9, 'only on C'); INSERT INTO child VALUES (90, 9, 'only on C'), (91, 1, 'only on C')");
  });

  it('the copy is good, and the target ends as the source', async () => {
    await w.bucardo.updateSync(w.sync, { onetimecopy: '1' });
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'grand', 'id', ['(1,g1)', '(2,g2)']);
    await expectEverywhere(w, 'parent', 'id', ['(1,1,p1)', '(2,2,p2)']);
    await expectEverywhere(w, 'child', 'id', ['(10,1,c10)', '(20,2,c20)']);
  });
});

describe('onetimecopy=1 while a parent and its child are written between the reads of their tables', () => {
  let w: SyncWorld;
  beforeAll(async () => {
    w = await harness.setup({ tag: 'tcw', roles: { A: 'source', C: 'target' }, tables: TABLES, schema: SCHEMA });
    // the copy's write of the parent table on C waits for an advisory lock the test holds: the parent
    // table has been read on A by then, the child table not yet
    await w.sql('C', holdWritesSql('parent', 4242));
  });

  it('the copy is good, and the run delivers the two rows after it', async () => {
    const hold = await WriteHold.take(w.url.C!, 4242);
    try {
      await w.bucardo.updateSync(w.sync, { onetimecopy: '1' });
      const copying = w.run();
      await hold.reached('the copy of the parent table');
      await w.sql('A', "INSERT INTO grand VALUES (7, 'g7'); INSERT INTO parent VALUES (7, 7, 'p7'); INSERT INTO child VALUES (70, 7, 'c70')");
      await hold.release();
      expectOutcome(await copying, 'good');
    } finally {
      await hold.release().catch(() => undefined);
    }
    // the copy read the three tables as they were before the two rows; the change path of the same run brought them
    await expectEverywhere(w, 'parent', 'id', ['(1,1,p1)', '(2,2,p2)', '(7,7,p7)']);
    await expectEverywhere(w, 'child', 'id', ['(10,1,c10)', '(20,2,c20)', '(70,7,c70)']);
    expectOutcome(await w.run(), 'empty');
  });
});

describe('onetimecopy=1 left half done by a run that failed on the child table, then a parent and its child written', () => {
  let w: SyncWorld;
  beforeAll(async () => {
    w = await harness.setup({ tag: 'tcr', roles: { A: 'source', C: 'target' }, tables: TABLES, schema: SCHEMA });
    // the copy's write of the child table on C fails while the flag table has a row
    await w.sql('C', `CREATE TABLE fail_flag (x int); INSERT INTO fail_flag VALUES (1);
      CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF EXISTS (SELECT 1 FROM fail_flag) THEN RAISE EXCEPTION 'injected'; END IF; RETURN NULL; END $$;
      CREATE TRIGGER boom AFTER INSERT ON child FOR EACH STATEMENT EXECUTE FUNCTION boom()`);
  });

  it('the next run copies the linked tables again from the start, and is good', async () => {
    await w.bucardo.updateSync(w.sync, { onetimecopy: '1' });
    const first = await w.run();
    expectOutcome(first, 'bad');
    expect(first.error?.message).toContain('injected');
    await w.sql('A', "INSERT INTO grand VALUES (7, 'g7'); INSERT INTO parent VALUES (7, 7, 'p7'); INSERT INTO child VALUES (70, 7, 'c70')");
    await w.sql('C', 'DELETE FROM fail_flag');
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'grand', 'id', ['(1,g1)', '(2,g2)', '(7,g7)']);
    await expectEverywhere(w, 'parent', 'id', ['(1,1,p1)', '(2,2,p2)', '(7,7,p7)']);
    await expectEverywhere(w, 'child', 'id', ['(10,1,c10)', '(20,2,c20)', '(70,7,c70)']);
    expectOutcome(await w.run(), 'empty');
  });
});
