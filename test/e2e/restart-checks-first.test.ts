/**
 * `bucardo restart` checks what `start` checks before it stops the running daemon, with the options the
 * next daemon would use (the recorded ones: here `--config`, not given to restart), end to end (the
 * `bucardo` command and the daemon as processes, a real control database):
 *
 *  - the config made unloadable (an unknown key) while the daemon runs: restart refuses with the config's
 *    error (CONFIG_INVALID), says the running daemon keeps running, exit 1; the same PID runs and
 *    answers `ping`; once the config is fixed, restart works;
 *  - the control schema made older (a table of this version dropped): the same with CONTROL_NOT_INSTALLED;
 *    after `bucardo install`, restart works.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { alive, DaemonWorld, type DaemonHandle } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('restart checks it can start before it stops', () => {
  const world = new DaemonWorld(server, 'rcf');
  beforeAll(() => world.install());
  afterAll(() => world.dispose());

  /** A daemon started with `--config` (recorded for restart), registered; its pid. */
  async function running(d: DaemonHandle, config: string): Promise<number> {
    const pid = await d.start('--config', config);
    await d.registered(pid);
    return pid;
  }

  /** Restart was refused: exit 1, `error` then the keeps-running line, and the same daemon runs and answers. */
  async function refused(d: DaemonHandle, pid: number, error: string): Promise<void> {
    const restart = await d.launch('restart', 'new build');
    expect(restart.code, restart.stderr + restart.stdout).toBe(1);
    expect(restart.stdout).toBe('');
    expect(restart.stderr).toBe(`ERROR: ${error}\nBucardo (PID ${pid}) keeps running: it was not stopped, as the next daemon could not start\n`);
    expect(d.pid()).toBe(pid);
    expect(alive(pid)).toBe(true);
    const ping = await d.cli('ping');
    expect(ping.stdout).toBe(`OK: Got response from PID ${pid}\n`);
    expect(ping.code).toBe(0);
    expect(d.log()).not.toContain('Received SIGTERM');
  }

  /** Restart works now: a new daemon, with the recorded config. */
  async function restarts(d: DaemonHandle, pid: number, config: string): Promise<void> {
    const restart = await d.launch('restart');
    expect(restart.code, restart.stderr + restart.stdout).toBe(0);
    const next = d.pid()!;
    expect(next).not.toBe(pid);
    expect(restart.stdout).toContain(`Stopping Bucardo (PID ${pid}) ... Done\nUsing the options PID ${pid} was started with: --config ${config}`);
    expect(restart.stdout).toContain(`Starting Bucardo (PID ${next})\n`);
    expect(alive(pid)).toBe(false);
    await d.registered(next);
    expect((await d.cli('stop')).code).toBe(0);
  }

  it('a config that no longer loads: restart refuses and leaves the daemon running; fixed, it restarts', async () => {
    const config = path.join(world.tempDir('cfg'), 'bucardo.config.json');
    writeFileSync(config, '{ "logLevel": "normal" }\n');
    const d = world.daemon();
    const pid = await running(d, config);

    writeFileSync(config, '{ "logLevel": "normal", "pidDri": "/nowhere" }\n');
    await refused(d, pid, `The config ${config} has an unknown field "pidDri": did you mean pidDir? [CONFIG_INVALID]`);

    writeFileSync(config, '{ "logLevel": "normal" }\n');
    await restarts(d, pid, config);
  });

  it('a control schema older than this version: restart refuses and leaves the daemon running; after install, it restarts', async () => {
    const config = path.join(world.tempDir('cfg'), 'bucardo.config.json');
    writeFileSync(config, '{ "logLevel": "normal" }\n');
    const d = world.daemon();
    const pid = await running(d, config);

    await world.sql('DROP TABLE bucardo.reload_request');
    await refused(d, pid, `The Bucardo schema in control database "${world.control}" is older than this version (it lacks bucardo.reload_request): run "bucardo install" to bring it up to date; its data is kept [CONTROL_NOT_INSTALLED]`);

    expect((await world.bucardo('install')).code).toBe(0);
    await restarts(d, pid, config);
  });
});
