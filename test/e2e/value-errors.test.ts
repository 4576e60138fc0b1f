/**
 * A value a receiving database refuses (a DDL walk-through's find: a column narrower or of a smaller type
 * there than on the sources): the server says `value too long for type character varying(5)`, naming
 * neither the column, nor the row, nor the source it came from. The run's error now names all three,
 * found from the line of the COPY the server names; nothing is written, and once the column is fixed the
 * next run delivers.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { Harness, expectEverywhere, expectOutcome, type SyncWorld } from './support/sync-harness.js';

const harness = new Harness(serverFromInfo(inject('pg')), 'verr');
afterAll(() => harness.dispose());

describe('a value the target refuses', () => {
  let w: SyncWorld;
  beforeAll(async () => {
    w = await harness.setup({ tag: 've', roles: { A: 'source', B: 'source', C: 'target' }, tables: ['t'], schema: 'CREATE TABLE t (id int PRIMARY KEY, v varchar(5), n integer)' });
  });

  it.each([
    ['too long for its column', "'much too long'", '0', 'value too long for type character varying(5)', 'v'],
    ['out of range for its type', "'ok'", '5000000000', 'value "5000000000" is out of range for type integer', 'n'],
  ])('%s: the error names the column, the key and the source; nothing written; fixed, the next run delivers', async (_, value, number, message, column) => {
    // widened on the second source only (the documented order is the other way round): the first source
    // and the target refuse what it writes
    await w.sql('B', 'ALTER TABLE t ALTER COLUMN v TYPE text, ALTER COLUMN n TYPE bigint');
    // another source's rows in the same batch, before B's: the line the server names is found among them
    await w.sql('A', "INSERT INTO t VALUES (1, 'a1', 1), (2, 'a2', 2)");
    await w.sql('B', `INSERT INTO t VALUES (7, ${value}, ${number})`);
    const report = await w.run();
    expectOutcome(report, 'bad');
    expect(report.error).toMatchObject({
      code: 'APPLY_FAILED', table: 'public.t', column, key: '7',
      message: `${message} (column "${column}" of the row with key 7 from database "${w.registered.B}")`,
    });
    expect([w.registered.A, w.registered.C]).toContain(report.error!.db);
    expect(await w.sql('C', 'SELECT count(*)::int AS n FROM t')).toEqual([{ n: 0 }]);
    for (const db of ['A', 'C']) await w.sql(db, 'ALTER TABLE t ALTER COLUMN v TYPE text, ALTER COLUMN n TYPE bigint');
    expectOutcome(await w.run(), 'good');
    await expectEverywhere(w, 't', 'id', ['(1,a1,1)', '(2,a2,2)', `(7,${value === "'ok'" ? 'ok' : '"much too long"'},${number})`]);
    await w.sql('A', 'DELETE FROM t');
    expectOutcome(await w.run(), 'good');
    for (const db of ['A', 'B', 'C']) await w.sql(db, 'ALTER TABLE t ALTER COLUMN v TYPE varchar(5), ALTER COLUMN n TYPE integer');
  });
});
