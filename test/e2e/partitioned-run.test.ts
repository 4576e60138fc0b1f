/**
 * A backlog larger than `partitionSize` is captured in key partitions, each captured, settled and applied
 * before the next is read, so that a run's memory is bounded by the partition, not the backlog (issue 8).
 * Run by `bucardo kick S 0` as processes, with a config of `partitionSize` 1,000 and `batchSize` 400, on two
 * sources A, B and a target C, over an integer-keyed table `t` and a table `u` with a composite text key:
 *
 *  - the run says into how many partitions it cut the backlog, every database converges, and every conflict
 *    is settled as one capture would: with `latest_table`, A's newest change to `t` (one insert after all
 *    of B's writes) makes A win every conflicting key of `t`, also in the partitions that hold no change of
 *    A after B's (the newest change is the whole run's, not the partition's);
 *  - a truncate on B, seen by every partition, is copied once and wins over the other changes to its table;
 *  - killed in a later partition, the next run resumes in that partition, skips what was committed, never
 *    applies a row twice, and leaves changes made after the interruption to the run after;
 *  - a plugin's apply tap that throws in the second partition, while the third is being read ahead, fails
 *    the run with PLUGIN_ERROR: the first partition stays committed, nothing of the second is kept, and the
 *    next run converges.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../src/helpers/cli.js';
import { uniqueName } from '../src/helpers/databases.js';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { assertConverged } from '../src/helpers/databases.js';
import { statusDetail, waitFor, type Db } from './support/daemon-world.js';
import { batchConfig, Children, openRun, threeDatabaseWorld, throttleInserts, rewrittenSince, snapshotXmins } from './support/lifecycle-kit.js';

const server = serverFromInfo(inject('pg'));

const PARTITION = 1_000;
const BATCH = 400;
const SHARED = 1_000;
const U_ROWS = 200;

describe('a backlog captured in key partitions', () => {
  const setup = threeDatabaseWorld(server, 'pt');
  const { world } = setup;
  let kids: Children;
  let a: Db;
  let b: Db;
  let c: Db;
  let config: string;
  const kick = () => kids.spawn('--config', config, '--log-level', 'normal', 'kick', 'pt', '0');
  /** The sync's change records not yet consumed, on one source, over both tables. */
  const records = async (db: Db): Promise<number> => {
    const rows = await world.query(db.url, `SELECT (SELECT count(*) FROM bucardo.delta_public_t) + (SELECT count(*) FROM bucardo.delta_public_u) AS n`);
    return Number(rows[0]!.n);
  };

  beforeAll(async () => {
    ({ kids, a, b, c } = setup);
    for (const db of [a, b, c]) {
      await world.query(db.url, `INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, ${SHARED}) AS i`);
      await world.query(db.url, `CREATE TABLE u (k text, n int, v text, PRIMARY KEY (k, n));
        INSERT INTO u SELECT 'ké' || (i % 7), i, 'u' || i FROM generate_series(1, ${U_ROWS}) AS i`);
    }
    await world.api.addTables(['t', 'u'], { herd: 'pt_h', db: a.name });
    await world.api.addDbGroup('pt_g', [`${a.name}:source`, `${b.name}:source`, `${c.name}:target`]);
    await world.api.addSync('pt', { herd: 'pt_h', dbs: 'pt_g', autokick: 'false', conflict: 'latest_table' });
    config = batchConfig(world, BATCH, { partitionSize: PARTITION });
  });

  it('cuts the backlog into partitions, converges and settles every conflict as one capture would', async () => {
    // t: A's new keys, then both update the shared keys (B after A), B's new keys, and one insert on A last
    await world.query(a.url, `INSERT INTO t SELECT i, 'a' || i FROM generate_series(100001, 102000) AS i`);
    await world.query(a.url, `UPDATE t SET v = 'A' || id WHERE id <= ${SHARED}`);
    await world.query(b.url, `UPDATE t SET v = 'B' || id WHERE id <= ${SHARED}`);
    await world.query(b.url, `INSERT INTO t SELECT i, 'b' || i FROM generate_series(300001, 301500) AS i`);
    // u: B rewrites every row, then A deletes twenty of them: A's change to u is the newer
    await world.query(b.url, "UPDATE u SET v = 'B' || n");
    await world.query(a.url, 'DELETE FROM u WHERE n <= 20');
    await world.query(a.url, "INSERT INTO t VALUES (900001, 'A last')");
    const backlog = (await records(a)) + (await records(b));
    expect(backlog).toBe(2_000 + SHARED + 1 + 20 + SHARED + 1_500 + U_ROWS);
    const partitions = Math.ceil(backlog / PARTITION);

    const run = await kids.spawn('--config', config, '--log-level', 'verbose', 'kick', 'pt', '0').exited;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Kick pt: \[\d+ s\] DONE!$/m);
    expect(run.stderr).toContain(`Sync "pt" has ${backlog} change records to read: capturing them in ${partitions} key partitions of at most ~${PARTITION}`);
    // each partition's counts say which partition they are of
    const captures = run.stderr.match(/Changed keys per source[^:]*:/g);
    expect(captures).toEqual(Array.from({ length: partitions }, (_, i) => `Changed keys per source (partition ${i + 1} of ${partitions}):`));

    await assertConverged([a.url, b.url, c.url], { t: 'id', u: ['k', 'n'] });
    for (const db of [a, b, c]) {
      // latest_table: A changed t last, so A's version of every shared key, in every partition
      expect(await world.query(db.url, "SELECT count(*) AS n FROM t WHERE id <= $1 AND v = 'A' || id", [SHARED]), db.name).toEqual([{ n: String(SHARED) }]);
      expect(await world.query(db.url, 'SELECT count(*) AS n FROM t'), db.name).toEqual([{ n: String(SHARED + 2_000 + 1_500 + 1) }]);
      // and A's deletes of u win over B's updates of those rows; B's other updates are everywhere
      expect(await world.query(db.url, "SELECT count(*) FILTER (WHERE n <= 20) AS gone, count(*) FILTER (WHERE v = 'B' || n) AS from_b FROM u"), db.name)
        .toEqual([{ gone: '0', from_b: String(U_ROWS - 20) }]);
    }
    const [summary] = await world.sql("SELECT outcome, conflicts, inserts FROM bucardo.syncrun WHERE sync = 'pt' ORDER BY started DESC LIMIT 1");
    // rows copied: A's new keys, the shared keys (from A), B's new keys, A's last key, B's updates of u not deleted by A
    expect(summary).toEqual({ outcome: 'good', conflicts: String(SHARED + 20), inserts: String(2_000 + SHARED + 1_500 + 1 + U_ROWS - 20) });
  });

  it('copies a truncated table once, from the source that truncated it last', async () => {
    await world.query(a.url, `INSERT INTO t SELECT i, 'a' || i FROM generate_series(110001, 111500) AS i`);
    await world.query(a.url, "UPDATE u SET v = 'A again' WHERE n > 100");
    await world.query(b.url, `TRUNCATE u; INSERT INTO u SELECT 'new', i, 'after truncate' FROM generate_series(1, 50) AS i`);
    const run = await kick().exited;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    // 1,500 + 100 records on A, 50 on B (a truncate is not a change record)
    expect(run.stderr).toContain('has 1650 change records to read: capturing them in 2 key partitions');
    expect(run.stderr.match(/Table public\.u was truncated on /g)).toHaveLength(1);
    await assertConverged([a.url, b.url, c.url], { t: 'id', u: ['k', 'n'] });
    for (const db of [a, b, c]) {
      expect(await world.query(db.url, "SELECT count(*) AS n, count(*) FILTER (WHERE v = 'after truncate') AS b FROM u"), db.name).toEqual([{ n: '50', b: '50' }]);
      expect(await world.query(db.url, 'SELECT count(*) AS n FROM t WHERE id BETWEEN 110001 AND 111500'), db.name).toEqual([{ n: '1500' }]);
    }
  });

  it('killed in a later partition, resumes there without applying anything twice', async () => {
    const running = () => openRun(world, 'pt');
    await world.query(a.url, `INSERT INTO t SELECT i, 'a' || i FROM generate_series(200001, 203000) AS i`);
    await world.query(b.url, `INSERT INTO t SELECT i, 'b' || i FROM generate_series(400001, 402000) AS i`);
    for (const db of [a, b, c]) await snapshotXmins(world, db.url, 't', 'ppre');
    // each table batch on C takes a quarter of a second: the run is still going when it is killed
    const unthrottle = await throttleInserts(world, c.url);

    const first = kick();
    await waitFor('the run to reach its third partition', async () => Number((await running())?.resume?.partition ?? 0) >= 2, 90_000, 10);
    const state = statusDetail(await world.ok('status', 'pt')).get('Current state');
    expect(state).toMatch(/\(partition [3-5] of 5(, (batch \d+ of \d+, )?\d+ of \d+ keys done)?\)$/);
    const killed = await kids.kill(first);
    expect(killed.signal, killed.stdout + killed.stderr).toBe('SIGKILL');
    const interrupted = (await running())!;
    expect(interrupted.resume!.partitions).toBe(5);
    const partition = interrupted.resume!.partition!;
    expect(partition).toBeGreaterThanOrEqual(2);
    await unthrottle();
    for (const db of [a, b, c]) await snapshotXmins(world, db.url, 't', 'pmid');

    await world.query(a.url, "INSERT INTO t VALUES (900002, 'after the interruption')");
    const second = await kick().exited;
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stderr).toMatch(new RegExp(`Resuming run ${interrupted.id} in partition ${partition + 1} of 5: ${interrupted.resume!.committed} of \\d+ transactions were already committed`));
    expect(second.stderr).not.toContain('change records to read');
    for (const db of [b, c]) expect(await world.query(db.url, 'SELECT id FROM t WHERE id = 900002'), db.name).toEqual([]);
    await assertConverged([b.url, c.url], { t: 'id', u: ['k', 'n'] });
    for (const db of [a, b, c]) expect(await world.query(db.url, 'SELECT count(*) AS n FROM t WHERE id BETWEEN 200001 AND 203000 OR id BETWEEN 400001 AND 402000'), db.name).toEqual([{ n: '5000' }]);
    // nothing the killed run had committed was written again
    for (const db of [a, b, c]) expect(await rewrittenSince(world, db.url, 't', 'pmid', { onlyWrittenAfter: 'ppre' }), db.name).toEqual([]);

    expect(await world.ok('kick', 'pt', '0')).toMatch(/DONE!/);
    await assertConverged([a.url, b.url, c.url], { t: 'id', u: ['k', 'n'] });
  });

  it('fails cleanly when a plugin throws in the second partition while the third is read ahead', async () => {
    await world.query(a.url, `INSERT INTO t SELECT i, 'a' || i FROM generate_series(500001, 503000) AS i`);
    // one transaction per partition (batchSize above the partition size): the partition's only batch is its
    // last, so the next partition's capture has started when the apply tap throws
    const dir = path.join(repoRoot, 'test', '.tmp', uniqueName('partition_plugin'));
    mkdirSync(dir, { recursive: true });
    try {
      const failing = path.join(dir, 'bucardo.config.mjs');
      writeFileSync(failing, `import { definePlugin } from '@bucardo/plugin-sdk';
        export default {
          batchSize: 5000, partitionSize: ${PARTITION},
          plugins: [definePlugin({ name: 'second-partition-fails', apply: (host) => host.hooks.apply.tapPromise('fail', async (outcome, args) => {
            if (args.partition?.index === 1) throw new Error('the archive is full');
            return outcome;
          }) })],
        };\n`);
      const before = Number((await world.query(c.url, 'SELECT count(*) AS n FROM t WHERE id BETWEEN 500001 AND 503000'))[0]!.n);
      expect(before).toBe(0);
      const failed = await kids.spawn('--config', failing, '--log-level', 'normal', 'kick', 'pt', '0').exited;
      expect(failed.code, failed.stdout + failed.stderr).toBe(2);
      expect(failed.stdout + failed.stderr).toContain('second-partition-fails');
      expect(failed.stdout + failed.stderr).toContain('the archive is full');
      const [run] = await world.sql("SELECT outcome, error->>'code' AS code FROM bucardo.syncrun WHERE sync = 'pt' ORDER BY started DESC LIMIT 1");
      expect(run).toEqual({ outcome: 'bad', code: 'PLUGIN_ERROR' });
      // 3,000 records in three partitions; an integer key is in partition id % 3: the first partition (the
      // thousand ids divisible by 3) was committed everywhere, nothing of the second or third
      expect(failed.stderr).toContain('has 3000 change records to read: capturing them in 3 key partitions');
      for (const db of [b, c]) {
        expect(await world.query(db.url, 'SELECT count(*) AS n, count(*) FILTER (WHERE id % 3 = 0) AS first FROM t WHERE id BETWEEN 500001 AND 503000'), db.name)
          .toEqual([{ n: '1000', first: '1000' }]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const next = await kick().exited;
    expect(next.code, next.stdout + next.stderr).toBe(0);
    await assertConverged([a.url, b.url, c.url], { t: 'id', u: ['k', 'n'] });
    expect(await world.query(c.url, 'SELECT count(*) AS n FROM t WHERE id BETWEEN 500001 AND 503000')).toEqual([{ n: '3000' }]);
  });
});
