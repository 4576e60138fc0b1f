/**
 * A resumable run, end to end (issues 6 and 9): a backlog of 200,000 changed keys on two sources (with
 * 2,000 conflicting keys among them), run by `bucardo kick S 0` as a process with `batchSize` 20,000, so
 * in ten transactions. Issue 9 speaks of a million keys; 200k in ten transactions shows the same thing
 * in CI time on a 2-core machine.
 *
 *  - while it runs, `bucardo status S` shows where it is (`batch i of 10, k of 200000 keys done`);
 *  - the kick is SIGKILLed after at least one transaction was committed everywhere
 *    (`bucardo.syncrun.resume`); what it committed stays; status then shows the run as Interrupted
 *    (nobody holds its lock any more), not the phase it died in;
 *  - the next kick says `Resuming run N: k of 10 transactions were already committed`,
 *    re-reads exactly the interrupted run's change set (a key written after the interruption waits for
 *    the run after), skips the committed transactions (their rows keep their xmin), and every database
 *    converges with nothing lost or duplicated; conflicts are settled as without the interruption.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { assertConverged } from '../src/helpers/databases.js';
import { statusDetail, waitFor, type Db } from './support/daemon-world.js';
import { batchConfig, Children, openRun, threeDatabaseWorld, throttleInserts, rewrittenSince, snapshotXmins, writtenBetween } from './support/lifecycle-kit.js';

const server = serverFromInfo(inject('pg'));

const BATCH = 20_000;
/** Rows every database starts with; after the sync is added both sources update all of them (conflicts). */
const SHARED = 2_000;
const FROM_A = 150_000;
const FROM_B = 48_000;
const KEYS = SHARED + FROM_A + FROM_B;
const TRANSACTIONS = KEYS / BATCH;

describe('a run of ten transactions, killed half-way, resumed', () => {
  const setup = threeDatabaseWorld(server, 'rr');
  const { world } = setup;
  let kids: Children;
  let a: Db;
  let b: Db;
  let c: Db;

  beforeAll(async () => {
    ({ kids, a, b, c } = setup);
    for (const db of [a, b, c]) await world.query(db.url, `INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, ${SHARED}) AS i`);
    await world.api.addTables(['t'], { herd: 'rr_h', db: a.name });
    await world.api.addDbGroup('rr_g', [`${a.name}:source`, `${b.name}:source`, `${c.name}:target`]);
    await world.api.addSync('rr', { herd: 'rr_h', dbs: 'rr_g', autokick: 'false' });
    // the backlog: both sources change the shared keys (A first, so B's later change wins), then new keys on each
    await world.query(a.url, "UPDATE t SET v = 'A' || id");
    await world.query(b.url, "UPDATE t SET v = 'B' || id");
    await world.query(a.url, `INSERT INTO t SELECT i, 'a' || i FROM generate_series(100001, ${100_000 + FROM_A}) AS i`);
    await world.query(b.url, `INSERT INTO t SELECT i, 'b' || i FROM generate_series(300001, ${300_000 + FROM_B}) AS i`);
  });

  const running = () => openRun(world, 'rr');

  it('shows its progress, is killed after committing some transactions, and the next run resumes and converges', async () => {
    const config = batchConfig(world, BATCH);
    const kick = () => kids!.spawn('--config', config, '--log-level', 'normal', 'kick', 'rr', '0');
    for (const db of [a, b, c]) await snapshotXmins(world, db.url, 't', 'pre');
    // the target is slowed down (a quarter of a second per table batch) while the first run goes
    const unthrottle = await throttleInserts(world, c.url);

    // 1. the first run commits a transaction or more; status shows which batch it is at
    const first = kick();
    await waitFor('a committed transaction', async () => Number((await running())?.resume?.committed ?? 0) >= 1, 90_000, 10);
    const state = statusDetail(await world.ok('status', 'rr')).get('Current state');
    expect(state).toMatch(new RegExp(`\\(batch \\d+ of ${TRANSACTIONS}, \\d+ of ${KEYS} keys done\\)$`));
    const killed = await kids!.kill(first);
    expect(killed.signal, killed.stdout + killed.stderr).toBe('SIGKILL');
    const interrupted = (await running())!;
    // status tells the killed run from a live one: nobody holds its lock any more (the server drops the
    // dead process's session as soon as it sees the socket closed)
    await waitFor('status to show the interrupted run', async () => statusDetail(await world.ok('status', 'rr')).get('Current state') === 'Interrupted', 10_000, 50);
    const detailAfterKill = statusDetail(await world.ok('status', 'rr'));
    expect(detailAfterKill.get('Interrupted run')).toMatch(/\(.+, ended during .*batch \d+ of \d+.*; the next run resumes it\)$/);
    expect(detailAfterKill.has('Running since')).toBe(false);
    const committed = Number(interrupted.resume!.committed);
    expect(committed).toBeGreaterThanOrEqual(1);
    expect(committed).toBeLessThan(TRANSACTIONS);
    expect(Object.keys(interrupted.resume!.until).sort()).toEqual([a.name, b.name]);
    // the target holds what the committed transactions brought, and no more
    const onC = Number((await world.query(c.url, 'SELECT count(*) AS n FROM t WHERE id > $1', [SHARED]))[0]!.n);
    expect(onC).toBeGreaterThan(0);
    expect(onC).toBeLessThanOrEqual(committed * BATCH);
    await unthrottle();
    for (const db of [a, b, c]) await snapshotXmins(world, db.url, 't', 'mid');
    expect(await writtenBetween(world, c.url, 'pre', 'mid')).toBeGreaterThanOrEqual(onC);

    // 2. a key written after the interruption is not part of the resumed run
    await world.query(a.url, "INSERT INTO t VALUES (900001, 'after the interruption')");
    const second = kick();
    const done = await second.exited;
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout).toMatch(/^Kick rr: \[\d+ s\] DONE!$/m);
    expect(done.stderr).toContain(`Resuming run ${interrupted.id}: ${committed} of ${TRANSACTIONS} transactions were already committed`);
    expect((await world.sql('SELECT outcome, status FROM bucardo.syncrun WHERE id = $1', [interrupted.id]))[0]).toEqual({ outcome: 'bad', status: 'Interrupted' });
    for (const db of [b, c]) expect(await world.query(db.url, 'SELECT id FROM t WHERE id = 900001'), db.name).toEqual([]);
    // every backlog key is everywhere: nothing lost
    await assertConverged([b.url, c.url], { t: 'id' });
    for (const db of [a, b, c]) expect(Number((await world.query(db.url, 'SELECT count(*) AS n FROM t WHERE id < 900000'))[0]!.n), db.name).toBe(KEYS);
    // nothing applied twice: every row the killed run had written keeps its xmin
    for (const db of [a, b, c]) expect(await rewrittenSince(world, db.url, 't', 'mid', { onlyWrittenAfter: 'pre' }), db.name).toEqual([]);

    // 3. the next run brings the later key; conflicts went to the latest change (B)
    expect(await world.ok('kick', 'rr', '0')).toMatch(/DONE!/);
    await assertConverged([a.url, b.url, c.url], { t: 'id' });
    expect(await world.query(c.url, 'SELECT v FROM t WHERE id = 900001')).toEqual([{ v: 'after the interruption' }]);
    expect(await world.query(c.url, "SELECT count(*) AS n FROM t WHERE id <= $1 AND v = 'B' || id", [SHARED])).toEqual([{ n: String(SHARED) }]);
  });
});
