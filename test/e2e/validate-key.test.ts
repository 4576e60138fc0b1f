/**
 * `bucardo validate` and a table's key (a review's find): validate compared the first source's key with
 * the key recorded when the table was first added, so a sync made after the key changed (capture
 * installed by the new key, every run good) failed validate and was told to drop its changes; and that
 * false failure kept validate from repairing a dropped trigger. It compares with the key each source's
 * capture records changes by now.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { Harness, expectEverywhere, expectOutcome, type SyncWorld } from './support/sync-harness.js';

const harness = new Harness(serverFromInfo(inject('pg')), 'vkey');
afterAll(() => harness.dispose());

describe('a key changed before the sync that uses it was made', () => {
  let w: SyncWorld;
  beforeAll(async () => {
    w = await harness.setup({ tag: 'v', roles: { A: 'source', C: 'target' }, tables: ['t'], schema: 'CREATE TABLE t (id int PRIMARY KEY, code text NOT NULL, v text)' });
  });

  it('validate says OK, and repairs a dropped trigger', async () => {
    const main = await harness.main();
    await main.removeSync(w.sync);
    for (const db of ['A', 'C']) await w.sql(db, 'ALTER TABLE t DROP CONSTRAINT t_pkey; ALTER TABLE t ADD PRIMARY KEY (code)');
    await main.addSync('v_s2', { herd: 'v_h', dbs: 'v_g', autokick: 'false' });
    await w.sql('A', "INSERT INTO t VALUES (1, 'x', 'a'), (1, 'y', 'b')");
    expectOutcome(await main.runSync('v_s2'), 'good');
    await expectEverywhere(w, 't', 'code', ['(1,x,a)', '(1,y,b)']);
    const [ok] = await main.validate(['v_s2']);
    expect(ok!.problems).toEqual([]);
    // and with a trigger dropped by hand, validate installs it again
    await w.sql('A', 'DROP TRIGGER bucardo_capture ON t');
    const [repaired] = await main.validate(['v_s2']);
    expect(repaired!.problems).toEqual([]);
    expect(repaired!.warnings.map((warning) => warning.message)).toEqual([
      `Capture of table "public.t" on database "${w.registered.A}" was not working (its trigger bucardo_capture was missing (dropped, or never installed there)) and is installed again; changes made there meanwhile were not captured: bucardo compare v_s2 public.t shows them`,
    ]);
  });
});
