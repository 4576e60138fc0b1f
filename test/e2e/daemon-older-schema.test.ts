/**
 * A control database installed by an older version (a column or a table of this one missing), end to end
 * (the `bucardo` command and the daemon as processes):
 *
 *  - `bucardo start` refuses, CONTROL_NOT_INSTALLED naming what is missing and saying to run
 *    `bucardo install`, exit 1, and no daemon is left running;
 *  - the daemon process itself started on it (as `start` launches it) logs that once and exits 1, rather
 *    than failing on every round without a word of install;
 *  - after `bucardo install`, start works and the daemon takes the sync.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { alive, DaemonWorld } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('a control schema older than this version', () => {
  const world = new DaemonWorld(server, 'dos');
  beforeAll(async () => {
    await world.install();
    await world.pair('os', { autokick: false });
  });
  afterAll(() => world.dispose());

  it.each([
    ['a column (daemon.lease_ms)', 'ALTER TABLE bucardo.daemon DROP COLUMN lease_ms', 'bucardo.daemon.lease_ms'],
    ['a column (sync.copy_targets)', 'ALTER TABLE bucardo.sync DROP COLUMN copy_targets', 'bucardo.sync.copy_targets'],
    ['a table (reload_request)', 'DROP TABLE bucardo.reload_request', 'bucardo.reload_request'],
    ['a table (customname)', 'DROP TABLE bucardo.customname', 'bucardo.customname'],
    ['a table (customcols)', 'DROP TABLE bucardo.customcols', 'bucardo.customcols'],
  ])('without %s: start and the daemon refuse, saying to run bucardo install; after install, start works', async (_, older, missing) => {
    await world.sql(older);
    const d = world.daemon();
    const refusal = `The Bucardo schema in control database "${world.control}" is older than this version (it lacks ${missing}): run "bucardo install" to bring it up to date; its data is kept`;

    const start = await d.launch('start');
    expect(start.code).toBe(1);
    expect(start.stdout).toBe('Checking for existing processes\n');
    expect(start.stderr).toBe(`ERROR: ${refusal} [CONTROL_NOT_INSTALLED]\n`);
    expect(d.pid()).toBeUndefined();
    expect([...d.pids].filter(alive)).toEqual([]);

    // the daemon process, as start would have launched it: it says so once and ends
    const daemon = await d.cli('--log-destination', d.logDir, '__daemon');
    expect(daemon.timedOut).toBe(false);
    expect(daemon.code).toBe(1);
    expect(daemon.stderr).toBe(`ERROR: ${refusal} [CONTROL_NOT_INSTALLED]\n`);
    const said = d.log().split('\n').filter((line) => line.includes(refusal));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/ WARN DAEMON Cannot register in the control database, stopping: /);
    expect(d.log()).not.toContain('Daemon round failed');
    expect(d.pid()).toBeUndefined();
    expect(await world.sql('SELECT id FROM bucardo.daemon')).toEqual([]);

    const install = await world.bucardo('install');
    expect(install.code, install.stderr).toBe(0);
    const pid = await d.start();
    await world.owned(pid, ['os']);
    const stop = await d.cli('stop');
    expect(stop.code, stop.stderr).toBe(0);
  });
});
