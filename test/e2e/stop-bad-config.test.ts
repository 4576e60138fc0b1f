/**
 * `bucardo stop` with a config it cannot read (an unknown key: CONFIG_INVALID), end to end: the daemon
 * runs on the config it read at start and must still be stoppable. stop says the config is bad (a warning
 * on stderr, and where it looks for the pid file without it), finds the daemon by --pid-dir and stops it,
 * exit 0; a command that needs the config is still refused. ping finds the daemon too, and says in one
 * WARNING line (exit 1) that its heartbeat could not be checked.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { alive, DaemonWorld } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('bucardo stop with a broken config', () => {
  const world = new DaemonWorld(server, 'sbc');
  beforeAll(() => world.install());
  afterAll(() => world.dispose());

  it('warns that the config is bad and stops the daemon, exit 0', async () => {
    const config = path.join(world.tempDir('cfg'), 'bucardo.config.ts');
    writeFileSync(config, "export default { logLevel: 'normal' };\n");
    const d = world.daemon();
    const pid = await d.start('--config', config);
    await d.registered(pid);

    writeFileSync(config, "export default { logLevel: 'normal', pidDri: '/nowhere' };\n");
    const problem = `The config ${config} has an unknown field "pidDri": did you mean pidDir?`;
    const status = await d.cli('--config', config, 'status');
    expect(status.code).toBe(1);
    expect(status.stderr).toBe(`ERROR: ${problem} [CONFIG_INVALID]\n`);

    // ping still finds the daemon, and says in one line what it could not check
    const ping = await d.cli('--config', config, 'ping');
    expect(ping.code).toBe(1);
    expect(ping.stdout).toBe(`WARNING: Bucardo runs (PID ${pid}), but its heartbeat cannot be checked without the config\n`);
    expect(ping.stderr).toBe(`WARNING: ${problem} [CONFIG_INVALID]\nWARNING: Without the config, Bucardo's pid file is looked for in ${d.pidDir}\n`);

    const stop = await d.cli('--config', config, 'stop', 'config broken');
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toBe(`Stopping Bucardo (PID ${pid}) ... Done\n`);
    expect(stop.stderr).toBe(`WARNING: ${problem} [CONFIG_INVALID]\nWARNING: Without the config, Bucardo's pid file is looked for in ${d.pidDir}\n`);
    expect(alive(pid)).toBe(false);
    expect(existsSync(d.pidFile)).toBe(false);
    expect(d.log()).toContain('Received SIGTERM (reason: config broken)');
  });
});
