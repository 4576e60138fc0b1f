/**
 * A source's connections cut under an idle daemon (`pg_terminate_backend` of every Bucardo session on
 * it, as a server restart or an administrator's cleanup does): the autokick probe is the first to find
 * out. Found in a failure walk-through: the probe's loss was a failed attempt of its own, logged as
 * `Sync "s" could not check sync "s": Client has encountered a connection error and is not queryable`
 * (no database named), and the run after the backoff failed again on the run's kept connections, which
 * the same cut had broken: two warnings and 3 s of backoff for a database that was up all along.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, statusRow, waitFor } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'prl');
beforeAll(() => world.install());
afterAll(() => world.dispose());

describe('the sessions of an idle autokick sync cut on its source', () => {
  it('the probe names the database and runs the sync on new connections: no failed attempt, the next row arrives', async () => {
    const { sync, a, b } = await world.pair('prl'); // autokick
    const daemon = world.daemon();
    const pid = await daemon.start('probe lost');
    await world.owned(pid, [sync]);
    await world.insert(a, 1);
    await world.arrives(b, [1]);
    await waitFor('the sync idle', async () => (await world.workers()).get(sync)?.state === 'idle');
    const before = daemon.log().length;

    const cut = await world.query(server.url('postgres'),
      // materialized first: the server may otherwise call pg_terminate_backend before the other conditions
      `WITH ours AS MATERIALIZED (SELECT pid, application_name FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'bucardo %')
       SELECT application_name FROM ours WHERE pg_terminate_backend(pid)`,
      [a.dbname]);
    // the probe's session and the run's kept ones
    expect(new Set(cut.map((row) => row.application_name))).toEqual(new Set([`bucardo ${sync}`, `bucardo probe ${sync}`]));
    const said = await waitFor('the probe to say it lost the source', async () =>
      daemon.log().slice(before).split('\n').find((line) => line.includes('the change probe failed')), 5_000, 50);
    expect(said).toMatch(new RegExp(
      ` DAEMON sync=${sync} Sync "${sync}": the change probe failed \\(Lost the connection to database "${a.name}": `
      + 'terminating connection due to administrator command( \\(the connection was lost before this statement\\))?\\); '
      + 'running the sync on new connections \\[CAPTURE_FAILED\\]$',
    ));
    await world.insert(a, 2);
    await world.arrives(b, [1, 2], 5_000);

    const lines = daemon.log().slice(before).split('\n').filter(Boolean);
    expect(lines.filter((line) => line.includes(' WARN ')), lines.join('\n')).toEqual([]);
    // the run that delivered row 2 may still be recording itself: idle once it has
    await waitFor('the sync idle again', async () => (await world.workers()).get(sync)?.state === 'idle');
    expect((await world.workers()).get(sync)).toMatchObject({ state: 'idle', failures: 0 });
    const status = await daemon.cli('status');
    expect(statusRow(status.stdout, sync)?.[1]).toBe('Good');
    expect(statusRow(status.stdout, sync)?.[5]).toBe('none'); // no bad run
    expect(await world.ids(a)).toEqual([1, 2]);
    expect(await world.ids(b)).toEqual([1, 2]);
  }, 30_000);
});
