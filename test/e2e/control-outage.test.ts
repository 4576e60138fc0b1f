/**
 * The control database's server stopped under a running daemon, and started again: what the operator
 * sees meanwhile, and that the daemon carries on by itself. The control database lives on an embedded
 * cluster of this file's own, which is halted for 8 s (fast shutdown: every session cut); the replicated
 * databases stay up on the shared test server.
 *
 * Found in a failure walk-through: the daemon logged `Daemon round failed: …` once a second for as long
 * as the outage lasted (3,600 lines an hour) and never said it was over; a worker's check said
 * `could not check sync "s": read ECONNRESET`, naming no database; `bucardo ping` printed nothing on
 * stdout (an ERROR on stderr), where a monitor reads its one line; a run cut off from the control
 * database in the middle was recorded as interrupted because `its process ended`, while it ran on.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmbeddedPostgres, type RestartablePgServer } from '../src/fixtures/embedded-postgres.js';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { withClient } from '../src/helpers/databases.js';
import { DaemonWorld, sleep, waitFor, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
let controlServer: RestartablePgServer | undefined;
let world: DaemonWorld | undefined;

beforeAll(async () => {
  controlServer = await startEmbeddedPostgres();
  world = new DaemonWorld(server, 'cto', controlServer);
  await world.install();
});
afterAll(async () => {
  if (controlServer && !controlServer.running) await controlServer.resume().catch(() => undefined);
  await world?.dispose(); // stops the daemon first
  await controlServer?.stop();
});

/** On a connection of its own: the world's kept connections do not outlive a restart. */
async function ids(db: Db): Promise<number[]> {
  return withClient(db.url, async (c) => (await c.query<{ id: number }>('SELECT id FROM t ORDER BY id')).rows.map((row) => row.id));
}

async function insert(db: Db, ...list: number[]): Promise<void> {
  await withClient(db.url, (c) => c.query("INSERT INTO t SELECT i, 'v' || i FROM unnest($1::int[]) AS i", [list]));
}

describe('the control database restarted under a running daemon', () => {
  it('is said once with a reminder, not every second; ping says CRITICAL; the daemon carries on by itself', async () => {
    const w = world!;
    const { sync, a, b } = await w.pair('cto'); // autokick
    const daemon = w.daemon();
    const pid = await daemon.start('control outage');
    await w.owned(pid, [sync]);
    await insert(a, 1, 2);
    await waitFor('rows 1 and 2 on B', async () => JSON.stringify(await ids(b)) === '[1,2]', 10_000, 50);
    const before = daemon.log().length;

    await controlServer!.halt();
    const outageStarted = Date.now();
    try {
      await sleep(2000);
      const ping = await daemon.cli('ping');
      expect(ping.code).toBe(1);
      expect(ping.stdout).toMatch(new RegExp(
        `^CRITICAL: Bucardo runs \\(PID ${pid}\\), but its control database cannot be reached, so no sync runs: `
        + `Cannot connect to the control database "${w.control}": .+\\n$`,
      ));
      expect(ping.stderr).toBe('');
      await insert(a, 3); // written during the outage: delivered once it is over
      await sleep(8000 - (Date.now() - outageStarted));
    } finally {
      await controlServer!.resume();
    }
    await waitFor('row 3 on B', async () => JSON.stringify(await ids(b)) === '[1,2,3]', 15_000, 100);
    await waitFor('the line saying the rounds work again', async () => daemon.log().includes('Daemon rounds work again'), 5_000, 100);

    const lines = daemon.log().slice(before).split('\n').filter(Boolean);
    const failed = lines.filter((line) => line.includes('Daemon round failed'));
    // one line for an outage of 8 s, where there was one a second
    expect(failed, lines.join('\n')).toHaveLength(1);
    expect(failed[0]).toMatch(new RegExp(
      `WARN DAEMON Daemon round failed: Cannot connect to the control database "${w.control}": .+ `
      + `\\(retrying every second; said again in 10 s if it goes on\\) \\[CONNECTION_FAILED\\]$`,
    ));
    // the first reminder is due after 10 s: none in 8
    expect(lines.filter((line) => line.includes('still failing'))).toEqual([]);
    expect(lines.filter((line) => line.includes('Daemon rounds work again'))).toEqual([
      expect.stringMatching(/ DAEMON Daemon rounds work again after \d+ failed round\(s\) in \d+ s$/),
    ]);
    // every warning names what was lost: the control database, by name (a worker's check in the middle
    // of its queries said `could not check sync "cto": Connection terminated unexpectedly`)
    for (const line of lines.filter((l) => l.includes(' WARN '))) {
      expect(line).toMatch(new RegExp(`control database( "${w.control}"| connection)`));
    }
    // and only the daemon says it: a worker whose check failed on the same lost connection keeps quiet
    // (it said `Sync "cto" could not be checked: Lost the connection to the control database …; retrying in 1 s`)
    expect(lines.filter((line) => line.includes('could not be checked')), lines.join('\n')).toEqual([]);
    expect(await ids(a)).toEqual([1, 2, 3]);
    expect(await ids(b)).toEqual([1, 2, 3]);
    const ping = await waitFor('ping OK again', async () => {
      const r = await daemon.cli('ping');
      return r.code === 0 ? r : undefined;
    });
    expect(ping.stdout).toBe(`OK: Got response from PID ${pid}\n`);
    expect((await daemon.cli('stop')).code).toBe(0); // the next test's sync is for its own daemon
  }, 60_000);

  it('a run in progress is shown interrupted for what it was (the control database lost, not its process), and the next run delivers', async () => {
    const w = world!;
    await w.reconnect(); // the first test's restart broke the world's connections
    const { sync, a, b } = await w.pair('cti'); // autokick
    const daemon = w.daemon();
    const pid = await daemon.start('control outage mid-run');
    await w.owned(pid, [sync]);
    const holder = await w.connect(b.url);
    let run: string | undefined;
    try {
      await holder.query('BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
      await insert(a, 1);
      await waitFor('the run waiting on the lock', async () =>
        (await w.query(b.url, "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")).length > 0, 15_000);
      run = await withClient(controlServer!.url(w.control), async (c) =>
        (await c.query<{ id: string }>('SELECT id FROM bucardo.syncrun WHERE sync = $1 AND ended IS NULL', [sync])).rows[0]?.id);
      expect(run).toBeDefined();
      await controlServer!.halt();
      await sleep(3000);
      await controlServer!.resume();
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    await waitFor('row 1 on B', async () => JSON.stringify(await ids(b)) === '[1]', 15_000, 100);
    const [row] = await withClient(controlServer!.url(w.control), async (c) =>
      (await c.query<{ status: string; error: { code: string; message: string } }>('SELECT status, error FROM bucardo.syncrun WHERE id = $1', [run])).rows);
    expect(row!.status).toBe('Interrupted');
    // the daemon's process ran on all along: its run was cut off from the control database
    expect(row!.error).toMatchObject({
      code: 'RUN_ABORTED', message: 'The run was interrupted (its process ended, or lost the control database, before it finished)',
    });
  }, 60_000);
});
