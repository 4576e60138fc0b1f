/**
 * Declaratively partitioned tables (`PARTITION BY`). The parent holds no rows of its own, and the postgres
 * plugin reads and writes tables with `ONLY` (a parent of legacy inheritance is not read with its
 * children): a sync of the parent read no row and wrote none, and every run said "empty" (a review's find).
 * Capturing such a parent is now refused at `add sync`, naming the partitions to add instead; the
 * partitions, added as tables, sync as any table, a row moved between them included.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { Harness, expectEverywhere, expectOutcome } from './support/sync-harness.js';

const harness = new Harness(serverFromInfo(inject('pg')), 'pn');
afterAll(() => harness.dispose());

const SCHEMA = `CREATE TABLE pt (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);
  CREATE TABLE pt_a PARTITION OF pt FOR VALUES FROM (0) TO (100);
  CREATE TABLE pt_b PARTITION OF pt FOR VALUES FROM (100) TO (200) PARTITION BY RANGE (id);
  CREATE TABLE pt_b1 PARTITION OF pt_b FOR VALUES FROM (100) TO (150);
  CREATE TABLE pt_b2 PARTITION OF pt_b FOR VALUES FROM (150) TO (200);`;

describe('partitioned tables', () => {
  it('the partitioned parent: add sync refuses it, naming the partitions to add', async () => {
    await expect(harness.setup({ tag: 'pp', roles: { A: 'source', C: 'target' }, tables: ['pt'], schema: SCHEMA })).rejects.toMatchObject({
      code: 'CAPTURE_FAILED', table: 'public.pt',
      message: expect.stringContaining('Table "public.pt" is partitioned (PARTITION BY): its rows are in its partitions, which are synced as tables of their own. Remove it from the herd and add its partitions instead (bucardo add table public.pt_a public.pt_b1 public.pt_b2 herd=…)'),
    });
    // nothing of the sync is left behind
    expect((await (await harness.main()).listSyncs()).map((sync) => sync.name)).not.toContain('pp_s');
  });

  it('its partitions, added as tables: every change arrives, a row moved between partitions too', async () => {
    const w = await harness.setup({ tag: 'pl', roles: { A: 'source', B: 'source', C: 'target' }, tables: ['pt_a', 'pt_b1', 'pt_b2'], schema: SCHEMA });
    await w.sql('A', "INSERT INTO pt VALUES (1, 'a'), (120, 'b'), (2, 'c'), (170, 'd')");
    expectOutcome(await w.run(), 'good');
    await w.sql('B', "UPDATE pt SET v = 'a2' WHERE id = 1; DELETE FROM pt WHERE id = 120; UPDATE pt SET id = 160 WHERE id = 2");
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 'pt', 'id', ['(1,a2)', '(160,c)', '(170,d)']);
    expectOutcome(await w.run(), 'empty');
  });
});
