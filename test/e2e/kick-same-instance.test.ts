/**
 * Two waiting kicks of one sync through one `Bucardo` instance (a review's find): the instance has one
 * control session, and PostgreSQL's advisory locks are re-entrant within a session, so both kicks took the
 * sync's run lock and ran the sync twice at once (two runs applying side by side can leave a target with an
 * older row and the newer checkpoint). Now the session counts what it holds: the second kick waits, and
 * one run serves both.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { KickResult } from '@bucardo/core';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { Harness, expectEverywhere, type SyncWorld } from './support/sync-harness.js';
import { WriteHold, holdWritesSql } from './support/write-hold.js';

const harness = new Harness(serverFromInfo(inject('pg')), 'ksi');
afterAll(() => harness.dispose());

describe('two waiting kicks through one instance', () => {
  let w: SyncWorld;
  beforeAll(async () => {
    w = await harness.setup({ tag: 'k2', roles: { A: 'source', C: 'target' }, tables: ['t'], schema: 'CREATE TABLE t (id int PRIMARY KEY, v text)' });
    await w.sql('C', holdWritesSql('t', 4243));
  });

  it('one run serves both, and no second run starts beside it', async () => {
    const hold = await WriteHold.take(w.url.C!, 4243);
    try {
      await w.sql('A', "INSERT INTO t VALUES (1, 'a')");
      const kicks = [w.bucardo.kick(w.sync, { wait: true }), w.bucardo.kick(w.sync, { wait: true })];
      await hold.reached('the run\'s write on C');
      await hold.release();
      const [first, second] = (await Promise.all(kicks)) as [KickResult, KickResult];
      expect(first.status).toBe('done');
      expect(second.status).toBe('done');
      const runId = (result: KickResult) => ('run' in result ? result.run.runId : undefined);
      expect(runId(second)).toBe(runId(first));
    } finally {
      await hold.release().catch(() => undefined);
    }
    const control = new pg.Client({ connectionString: harness.server.url(harness.control) });
    await control.connect();
    try {
      const { rows } = await control.query("SELECT count(*)::int AS n, count(*) FILTER (WHERE outcome = 'good')::int AS good FROM bucardo.syncrun WHERE sync = $1", [w.sync]);
      expect(rows).toEqual([{ n: 1, good: 1 }]);
    } finally {
      await control.end();
    }
    await expectEverywhere(w, 't', 'id', ['(1,a)']);
  });
});
