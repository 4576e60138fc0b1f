/**
 * A table renamed on every database (ALTER TABLE … RENAME), then taken out of its sync under its old name
 * (a DDL walk-through's find): removing its capture failed (`cannot drop function … because other objects
 * depend on it`: the triggers went with the table to its new name), with no error code and no database
 * named, after the table had already left the sync; and the triggers went on filling a change table that
 * nothing read or purged. Now the capture is removed wherever its triggers are, and the sync goes on
 * with its other tables.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { Harness, expectEverywhere, expectOutcome, type SyncWorld } from './support/sync-harness.js';

const harness = new Harness(serverFromInfo(inject('pg')), 'rnm');
afterAll(() => harness.dispose());

const SCHEMA = `
  CREATE TABLE t (id int PRIMARY KEY, v text);
  CREATE TABLE u (id int PRIMARY KEY, v text);`;

/** What of the capture of `u` is left on a database: triggers on any table, its function, its change table. */
async function captureLeft(w: SyncWorld, db: string): Promise<Record<string, unknown>> {
  const [row] = await w.sql(db, `SELECT
    (SELECT count(*)::int FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname LIKE 'capture_public_u%') AS triggers,
    (SELECT count(*)::int FROM pg_proc WHERE proname LIKE 'capture_public_u%') AS functions,
    (SELECT count(*)::int FROM pg_class WHERE relname LIKE 'delta_public_u%') AS change_tables,
    (SELECT count(*)::int FROM pg_trigger t WHERE t.tgrelid = 'u2'::regclass AND NOT t.tgisinternal) AS triggers_on_u2`);
  return row!;
}

describe('a table renamed everywhere, then taken out of its sync by its old name', () => {
  let w: SyncWorld;
  beforeAll(async () => {
    w = await harness.setup({ tag: 'rn', roles: { A: 'source', B: 'source', C: 'target' }, tables: ['t', 'u'], schema: SCHEMA });
    await w.sql('A', "INSERT INTO t VALUES (1, 'a'); INSERT INTO u VALUES (1, 'a')");
    expectOutcome(await w.run(), 'good');
  });

  it('its capture goes from both sources, the renamed table keeps no trigger, and the sync goes on with the other table', async () => {
    for (const db of ['A', 'B', 'C']) await w.sql(db, 'ALTER TABLE u RENAME TO u2');
    const removed = await w.bucardo.removeTablesFromSync(w.sync, ['u']);
    expect(removed.tables.map((table) => `${table.schema}.${table.name}`)).toEqual(['public.u']);
    for (const db of ['A', 'B']) expect(await captureLeft(w, db), `capture of u on ${db}`).toEqual({ triggers: 0, functions: 0, change_tables: 0, triggers_on_u2: 0 });
    await w.sql('A', "INSERT INTO u2 VALUES (2, 'not captured'); INSERT INTO t VALUES (2, 'b')");
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 't', 'id', ['(1,a)', '(2,b)']);
  });
});
