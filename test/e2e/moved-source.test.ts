/**
 * A source moved to another server with `bucardo update db` (a walk-through's find). The sync's checkpoint
 * of the source is a snapshot of the old server's transaction counter; on a new server whose counter is
 * behind it, the new server's first transactions looked consumed: `delta` said 0, `purge` deleted their
 * change records, and the runs said empty while the target missed the rows, with status Good. Now the
 * checkpoint is seen to be from another server: its records count, are not purged, and arrive, with a
 * warning naming the database; the next checkpoint is the new server's own. A running daemon's autokick
 * probe, which kept its sessions on the old server, now follows the move (it saw nothing there, or
 * records the new checkpoint did not cover, and ran empty runs every 0.3 s).
 *
 * The old server is the shared test server; the new one a fresh embedded cluster this file starts (its
 * counter starts near zero), removed in afterAll.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmbeddedPostgres, type RestartablePgServer } from '../src/fixtures/embedded-postgres.js';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { createDatabase, dropDatabase, uniqueName, withClient } from '../src/helpers/databases.js';
import { DaemonWorld, sleep, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'mvs');
let newServer: RestartablePgServer | undefined;
const moved = uniqueName('mvs_a2');
const movedLive = uniqueName('mvs_d2');
const movedForced = uniqueName('mvs_f2');

beforeAll(async () => {
  [newServer] = await Promise.all([startEmbeddedPostgres(), world.install()]);
});
afterAll(async () => {
  await world.dispose();
  if (newServer) {
    for (const name of [moved, movedLive, movedForced]) await dropDatabase(newServer, name).catch(() => undefined);
    await newServer.stop();
  }
});

const nextTransaction = (url: string) => withClient(url, async (c) => BigInt((await c.query<{ x: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS x')).rows[0]!.x));

/** Transactions spent on the server of `url` until its counter is 1,000 ahead of `behind`'s. */
async function burnPast(url: string, behind: string): Promise<void> {
  const gap = (await nextTransaction(behind)) + 1000n - (await nextTransaction(url));
  if (gap <= 0n) return;
  await withClient(url, async (client) => {
    await client.query('CREATE OR REPLACE PROCEDURE pg_temp.burn_xids(n int) LANGUAGE plpgsql AS $$ BEGIN FOR i IN 1..n LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$');
    await client.query(`CALL pg_temp.burn_xids(${gap})`);
  });
}

const checkpointOf = async (sync: string, db: string) => BigInt(String((await world.sql('SELECT position FROM bucardo.checkpoint WHERE sync = $1 AND db = $2', [sync, db]))[0]!.position).split(':')[1]!);

describe('a source moved to a server whose transaction counter is behind its checkpoint', () => {
  it('update db gives every sync reading it a checkpoint of the new server: delta counts the changes made there, purge keeps them, each sync delivers them, even one that runs after the counter passed the old checkpoint', async () => {
    const a: Db = await world.database('mv_A');
    const c: Db = await world.database('mv_C');
    const d: Db = await world.database('mv_D');
    await world.api.addTables(['t'], { herd: 'mv_h', db: a.name });
    await world.api.addDbGroup('mv_g', [`${a.name}:source`, `${c.name}:target`]);
    await world.api.addDbGroup('mv_g2', [`${a.name}:source`, `${d.name}:target`]);
    await world.api.addSync('mv', { herd: 'mv_h', dbs: 'mv_g', autokick: 'false' });
    await world.api.addSync('mv2', { herd: 'mv_h', dbs: 'mv_g2', autokick: 'false' });
    await world.insert(a, 1);

    // the old server's counter ahead of the new one's, as it is after any real use
    const newUrl = await createDatabase(newServer!, moved);
    await burnPast(a.url, newUrl);
    for (const sync of ['mv', 'mv2']) expect(await world.ok('kick', sync, '0')).toMatch(/DONE!/);
    const old = await checkpointOf('mv2', a.name);
    expect(old).toBeGreaterThan(await nextTransaction(newUrl));

    // the move: the table and its rows copied to the new server, the database pointed there, capture installed
    await withClient(newUrl, async (client) => {
      await client.query('CREATE TABLE t (id int PRIMARY KEY, v text)');
      await client.query("INSERT INTO t VALUES (1, 'v1')");
    });
    const updated = await world.ok('update', 'db', a.name, `host=${newServer!.host}`, `port=${String(newServer!.port)}`, `dbname=${moved}`);
    expect(updated).toMatch(/^Changed database "mv_A": .*\bport\b.*\n  Conn: psql -p \d+ -U \S+ -d mvs_a2_/);
    for (const sync of ['mv', 'mv2']) expect(updated).toContain(`  Sync "${sync}": its checkpoint of "mv_A" was taken on another server; its next run reads every change record "mv_A" holds there\n`);
    await world.ok('validate', 'mv');

    await withClient(newUrl, (client) => client.query("INSERT INTO t VALUES (2, 'v2'), (3, 'v3')"));
    expect(await world.ok('delta', a.name)).toMatch(/^Total deltas across all targets: 2$/m);
    expect(await world.ok('purge', a.name)).toBe('Checking db mv_A\nmv_A: 0 consumed change records purged\n');
    expect(await world.ok('kick', 'mv', '0')).toMatch(/DONE!/);
    expect(await world.ids(c)).toEqual([1, 2, 3]);
    expect(await world.ok('status', 'mv')).toMatch(/Rows inserted\/deleted\/conflicts\s*: 2 \/ 0 \/ 0/);

    // mv2 runs only once the new server's counter has passed its old checkpoint: had it kept that one,
    // rows 2 and 3 would look consumed (and a purge would have taken them)
    await burnPast(newUrl, a.url);
    expect(await nextTransaction(newUrl)).toBeGreaterThan(old);
    await withClient(newUrl, (client) => client.query("INSERT INTO t VALUES (4, 'v4')"));
    expect(await world.ok('purge', a.name)).toMatch(/^Checking db mv_A\nmv_A: \d+ consumed change records purged\n$/);
    expect(await world.ok('kick', 'mv2', '0')).toMatch(/DONE!/);
    expect(await world.ids(d)).toEqual([1, 2, 3, 4]);

    // the checkpoints are the new server's own: the next change is read once
    expect(await world.ok('kick', 'mv', '0')).toMatch(/DONE!/);
    expect(await world.ids(c)).toEqual([1, 2, 3, 4]);
    expect(await world.ok('delta', a.name)).toMatch(/^Total deltas across all targets: 0$/m);
  });

  it('moved behind the same connection settings (update db --force does not reach it): the capture sees the old checkpoint, refuses records copied from the old server, then says so and reads every record', async () => {
    const a: Db = await world.database('mf_A');
    const c: Db = await world.database('mf_C');
    await world.api.addTables(['t'], { herd: 'mf_h', db: a.name });
    await world.api.addDbGroup('mf_g', [`${a.name}:source`, `${c.name}:target`]);
    await world.api.addSync('mf', { herd: 'mf_h', dbs: 'mf_g', autokick: 'false' });
    const newUrl = await createDatabase(newServer!, movedForced);
    await world.insert(a, 1);
    await burnPast(a.url, newUrl);
    expect(await world.ok('kick', 'mf', '0')).toMatch(/DONE!/);
    await withClient(newUrl, (client) => client.query("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'v1')"));
    expect(await world.ok('update', 'db', a.name, `host=${newServer!.host}`, `port=${String(newServer!.port)}`, `dbname=${movedForced}`, '--force')).not.toContain('Sync "mf"');
    await world.ok('validate', 'mf');
    await withClient(newUrl, (client) => client.query("INSERT INTO t VALUES (2, 'v2')"));

    // a record from the old server, as a dump with the bucardo schema brings (its transaction ahead of this
    // server's): it cannot be told from this server's own, and is refused, naming the database
    const old = await checkpointOf('mf', a.name);
    await withClient(newUrl, (client) => client.query(`INSERT INTO bucardo.delta_public_t (id, bucardo_op, bucardo_txid) VALUES (1, 'U', '${old}')`));
    // update db, which reaches the new server, refuses it too, and stores nothing
    const stored = async () => (await world.sql('SELECT params FROM bucardo.db WHERE name = $1', [a.name]))[0]!.params;
    const before = await stored();
    const notMoved = await world.bucardo('update', 'db', a.name, 'sslmode=disable');
    expect(notMoved.code).toBe(1);
    expect(notMoved.stderr).toContain('Database "mf_A" holds 1 change records with transaction ids ahead of this server\'s');
    expect(notMoved.stderr).toContain('[CAPTURE_FAILED]');
    expect(await stored()).toEqual(before);

    const refused = await world.bucardo('kick', 'mf', '0');
    expect(refused.code).toBe(2);
    expect(refused.stdout + refused.stderr).toContain('Database "mf_A" holds 1 change records with transaction ids ahead of this server\'s');
    expect(refused.stdout + refused.stderr).toContain('Restore the database without that schema (pg_dump --exclude-schema=bucardo) and run bucardo validate, or delete them');
    expect(await world.ids(c)).toEqual([1]);
    await withClient(newUrl, (client) => client.query('DELETE FROM bucardo.delta_public_t WHERE bucardo_txid >= pg_snapshot_xmax(pg_current_snapshot())'));

    const kicked = await world.bucardo('kick', 'mf', '0');
    expect(kicked.code).toBe(0);
    expect(kicked.stdout + kicked.stderr).toMatch(/Database "mf_A": the sync's checkpoint \(\d+:\d+:[\d,]*\) is ahead of this server's transactions \(next \d+\): it was taken on another server \(the database was moved or restored there\)\. Every change record this database holds is read as new/);
    expect(await world.ids(c)).toEqual([1, 2]);
    await withClient(newUrl, (client) => client.query("INSERT INTO t VALUES (3, 'v3')"));
    const again = await world.bucardo('kick', 'mf', '0');
    expect(again.stdout + again.stderr).not.toMatch(/ahead of this server/);
    expect(await world.ids(c)).toEqual([1, 2, 3]);
  });

  it('with a daemon and autokick: the probe follows the move, the change on the new server arrives, and the daemon then rests', async () => {
    const a: Db = await world.database('ml_A');
    const c: Db = await world.database('ml_C');
    await world.api.addTables(['t'], { herd: 'ml_h', db: a.name });
    await world.api.addDbGroup('ml_g', [`${a.name}:source`, `${c.name}:target`]);
    await world.api.addSync('ml', { herd: 'ml_h', dbs: 'ml_g' }); // autokick
    const newUrl = await createDatabase(newServer!, movedLive);
    await withClient(newUrl, (client) => client.query('CREATE TABLE t (id int PRIMARY KEY, v text)'));
    const runs = async () => Number((await world.sql("SELECT count(*)::int AS n FROM bucardo.syncrun WHERE sync = 'ml'"))[0]!.n);
    const daemon = world.daemon();
    await daemon.start();
    try {
      await world.insert(a, 1);
      await world.arrives(c, [1]);
      // the old server keeps running, with a change record the new checkpoint does not cover there
      expect(await world.ok('update', 'db', a.name, `host=${newServer!.host}`, `port=${String(newServer!.port)}`, `dbname=${movedLive}`)).toMatch(/^Changed database "ml_A"/);
      await world.ok('validate', 'ml');
      await withClient(newUrl, (client) => client.query("INSERT INTO t VALUES (2, 'v2')"));
      await world.arrives(c, [1, 2], 15_000);
      // nothing more to do: a probe left on the old server saw its records as new for ever, and ran empty runs every 0.3 s
      await sleep(1500);
      const before = await runs();
      await sleep(2000);
      expect(await runs() - before).toBeLessThanOrEqual(1);
    } finally {
      await daemon.kill();
    }
  });
});
