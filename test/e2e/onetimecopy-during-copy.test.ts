/**
 * `bucardo update sync S onetimecopy=…` while a run of S is in the middle of an initial copy, end to end
 * (in process, against real databases): the update is a new copy request, which the running copy must not
 * swallow.
 *
 *  - the running copy goes on to its end, but records no progress for the copy it is no longer asked for,
 *    and leaves `onetimecopy` as the user set it: the next run makes the new copy, whole (before the fix,
 *    the finishing run reset onetimecopy to 0 and the new request was lost);
 *  - a copy stopped after the new request leaves no progress behind either, so the new copy does not skip
 *    the tables the old one had finished (before, they were marked done and skipped);
 *  - `bucardo install` brings a control schema without `bucardo.sync.copy_request` up to date, and an older
 *    schema is named by that column.
 *
 * The copy is held at a chosen table: the target's table has a statement trigger that waits on an
 * advisory lock the test holds, so the run is, deterministically, in the middle of the copy of that table
 * when the test runs `bucardo update sync` as a process.
 */
import os from 'node:os';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { RunReport } from '@bucardo/plugin-sdk';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { bucardoEnv, runBucardo, type CliResult } from '../src/helpers/cli.js';
import { assertConverged, withClient } from '../src/helpers/databases.js';
import { waitFor } from './support/daemon-world.js';
import { Harness, expectOutcome, type SyncWorld } from './support/sync-harness.js';

const server = serverFromInfo(inject('pg'));
const ROWS = 500;
const BATCH = 100;
const SCHEMA = `CREATE TABLE t (id int PRIMARY KEY, v text); CREATE TABLE u (id int PRIMARY KEY, v text);
  INSERT INTO t SELECT i, 't' || i FROM generate_series(1, ${ROWS}) AS i; INSERT INTO u SELECT i, 'u' || i FROM generate_series(1, ${ROWS}) AS i`;
/** The advisory lock each table's gate on the target waits for. */
const GATES = { t: 1, u: 2 } as const;

/** A target B emptied, its tables gated; A's rows reach it only by a copy. */
async function gatedWorld(harness: Harness, tag: string): Promise<SyncWorld> {
  const w = await harness.setup({ tag, roles: { A: 'source', B: 'target' }, schema: SCHEMA, tables: ['t', 'u'], runSizes: { batchSize: BATCH } });
  await w.sql('B', `TRUNCATE t, u;
    CREATE FUNCTION gate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock_shared(TG_ARGV[0]::bigint); RETURN NULL; END $$;
    CREATE TRIGGER gate AFTER INSERT ON t FOR EACH STATEMENT EXECUTE FUNCTION gate('${GATES.t}');
    CREATE TRIGGER gate AFTER INSERT ON u FOR EACH STATEMENT EXECUTE FUNCTION gate('${GATES.u}')`);
  return w;
}

/** Closes the gates of `tables` on B until `open` is called: a COPY into such a table waits before it commits. */
async function closeGates(w: SyncWorld, tables: ReadonlyArray<keyof typeof GATES>): Promise<{ open(table: keyof typeof GATES): Promise<void>; close(): Promise<void> }> {
  const holder = new pg.Client({ connectionString: w.url.B });
  await holder.connect();
  for (const table of tables) await holder.query('SELECT pg_advisory_lock($1)', [GATES[table]]);
  return {
    open: async (table) => { await holder.query('SELECT pg_advisory_unlock($1)', [GATES[table]]); },
    close: () => holder.end(),
  };
}

/** Waits until the run's copy of `table` into B is held at its gate. */
async function heldAt(w: SyncWorld, table: keyof typeof GATES): Promise<void> {
  await waitFor(`the copy of ${table} to wait at its gate`, async () => (await w.sql('B',
    `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, [GATES[table]])).length > 0, 30_000, 10);
}

function control<T>(harness: Harness, work: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(server.url(harness.control), work);
}

async function syncRow(harness: Harness, sync: string): Promise<{ onetimecopy: number; copy_request: string }> {
  return control(harness, async (c) => (await c.query('SELECT onetimecopy, copy_request::text AS copy_request FROM bucardo.sync WHERE name = $1', [sync])).rows[0]);
}

async function progressRows(harness: Harness, sync: string): Promise<Array<{ tablename: string; done: boolean }>> {
  return control(harness, async (c) => (await c.query('SELECT tablename, done FROM bucardo.copy_progress WHERE sync = $1 ORDER BY tablename', [sync])).rows);
}

/** The `bucardo` command as a user runs it, on the harness's control database. */
function bucardo(harness: Harness, ...args: string[]): Promise<CliResult> {
  return runBucardo(args, { env: bucardoEnv(server, harness.control), cwd: os.tmpdir() });
}

async function count(w: SyncWorld, db: string, table: string): Promise<number> {
  return Number((await w.sql(db, `SELECT count(*) AS n FROM ${table}`))[0]!.n);
}

describe('onetimecopy set again while a copy runs', () => {
  const harness = new Harness(server, 'otc');
  afterAll(() => harness.dispose());

  it('the running copy leaves the new request standing, and the next run makes the new copy whole', async () => {
    const w = await gatedWorld(harness, 'ocn');
    await w.bucardo.updateSync(w.sync, { onetimecopy: '1' });
    const before = await syncRow(harness, w.sync);
    const gates = await closeGates(w, ['t']);
    try {
      const running = w.run();
      await heldAt(w, 't');
      // the user asks for a copy again while the first one copies t
      const update = await bucardo(harness, 'update', 'sync', w.sync, 'onetimecopy=1');
      expect(update.code, update.stderr).toBe(0);
      expect(update.stdout).toBe('Set onetimecopy to 1\n');
      const requested = await syncRow(harness, w.sync);
      expect(requested.onetimecopy).toBe(1);
      expect(requested.copy_request).not.toBe(before.copy_request);
      expect(await progressRows(harness, w.sync)).toEqual([]);
      await gates.open('t');
      const first = await running;
      expectOutcome(first, 'good');
      // the old copy went on to its end, recording nothing for a copy no longer asked for
      expect(await count(w, 'B', 't')).toBe(ROWS);
      expect(await count(w, 'B', 'u')).toBe(ROWS);
      expect(await syncRow(harness, w.sync)).toEqual(requested);
      expect(await progressRows(harness, w.sync)).toEqual([]);
    } finally {
      await gates.close();
    }

    // B drifts (a target has no capture: only a copy repairs it), and A changes (the delta path's)
    await w.sql('B', "DELETE FROM t WHERE id % 2 = 0; UPDATE u SET v = 'drifted' WHERE id <= 50");
    await w.sql('A', "INSERT INTO t VALUES (100000, 'after')");
    const second = await w.run();
    expectOutcome(second, 'good');
    await assertConverged(w.urls as string[], { t: 'id', u: 'id' });
    expect(await count(w, 'B', 't')).toBe(ROWS + 1);
    expect(await w.sql('B', "SELECT count(*)::int AS n FROM u WHERE v = 'drifted'")).toEqual([{ n: 0 }]);
    // that copy was the one asked for: done, and nothing is left of it
    expect((await syncRow(harness, w.sync)).onetimecopy).toBe(0);
    expect(await progressRows(harness, w.sync)).toEqual([]);
    expectOutcome(await w.run(), 'empty');
  });

  it('a copy stopped after the new request leaves no progress, so the new copy skips no table', async () => {
    const w = await gatedWorld(harness, 'ocs');
    await w.bucardo.updateSync(w.sync, { onetimecopy: '1' });
    const gates = await closeGates(w, ['t', 'u']);
    const controller = new AbortController();
    let stopped: RunReport | undefined;
    try {
      const running = w.bucardo.runSync(w.sync, { signal: controller.signal });
      await heldAt(w, 't');
      const update = await bucardo(harness, 'update', 'sync', w.sync, 'onetimecopy=1');
      expect(update.code, update.stderr).toBe(0);
      // t is copied to its end, then the run waits in the copy of u: the old copy finished t, for nothing
      await gates.open('t');
      await heldAt(w, 'u');
      expect(await progressRows(harness, w.sync)).toEqual([]);
      controller.abort(new Error('stopped by the test'));
      await gates.open('u');
      stopped = await running;
    } finally {
      await gates.close();
    }
    expectOutcome(stopped!, 'bad');
    expect(stopped!.error).toMatchObject({ code: 'RUN_ABORTED' });
    expect(await count(w, 'B', 't')).toBe(ROWS);
    expect((await syncRow(harness, w.sync)).onetimecopy).toBe(1);
    expect(await progressRows(harness, w.sync)).toEqual([]);

    // t drifts on B: a new copy that trusted the old copy's "t done" would leave it so
    await w.sql('B', 'DELETE FROM t WHERE id > 100');
    const next = await w.run();
    expectOutcome(next, 'good');
    await assertConverged(w.urls as string[], { t: 'id', u: 'id' });
    expect(await count(w, 'B', 't')).toBe(ROWS);
    expect((await syncRow(harness, w.sync)).onetimecopy).toBe(0);
    expect(await progressRows(harness, w.sync)).toEqual([]);
  });
});

describe('a control schema without bucardo.sync.copy_request', () => {
  const harness = new Harness(server, 'otu');
  afterAll(() => harness.dispose());

  it('is named as older by what it lacks; bucardo install adds the column, keeping the syncs, and copies work again', async () => {
    const w = await harness.setup({ tag: 'ocu', roles: { A: 'source', B: 'target' }, schema: SCHEMA, tables: ['t', 'u'] });
    await control(harness, (c) => c.query('ALTER TABLE bucardo.sync DROP COLUMN copy_request'));
    const older = `The Bucardo schema in control database "${harness.control}" is older than this version`;

    await expect(w.bucardo.checkSchema()).rejects.toMatchObject({ code: 'CONTROL_NOT_INSTALLED', message: `${older} (it lacks bucardo.sync.copy_request): run "bucardo install" to bring it up to date; its data is kept` });
    const refused = await bucardo(harness, 'update', 'sync', w.sync, 'onetimecopy=1');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(older);
    expect(refused.stderr).toContain('copy_request');
    expect(refused.stderr).toContain('[CONTROL_NOT_INSTALLED]');

    const install = await bucardo(harness, 'install');
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toContain(`Brought the Bucardo schema in database "${harness.control}" up to date, its data kept: added bucardo.sync.copy_request\n`);
    await w.bucardo.checkSchema();
    expect(await syncRow(harness, w.sync)).toEqual({ onetimecopy: 0, copy_request: '0' });

    await w.sql('B', 'TRUNCATE t, u');
    const update = await bucardo(harness, 'update', 'sync', w.sync, 'onetimecopy=1');
    expect(update.code, update.stderr).toBe(0);
    expect((await syncRow(harness, w.sync)).copy_request).not.toBe('0');
    expectOutcome(await w.run(), 'good');
    await assertConverged(w.urls as string[], { t: 'id', u: 'id' });
    expect(await syncRow(harness, w.sync)).toMatchObject({ onetimecopy: 0 });
  });
});
