/**
 * `bucardo restart` starts the next daemon with the options the running one was started with (Bucardo's
 * restart is stop + start with the same arguments), the `bucardo` command run as processes against a
 * real control database:
 *
 *  - a plain restart keeps --config, --log-level, -d and --log-destination, says so, and the log goes on
 *    in the same file (it used to move to the default /var/log/bucardo);
 *  - options given to restart win, and the old daemon's log says where the next one logs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { alive, daemonId, DaemonWorld, LOG_FILE, waitFor } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

/** The command line a process runs with (Linux). */
function argvOf(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
}

/** `flag value` appears in `argv`, in that order. */
function hasOption(argv: readonly string[], flag: string, value: string): boolean {
  return argv.some((arg, i) => arg === flag && argv[i + 1] === value);
}

describe('restart keeps the start options', () => {
  const world = new DaemonWorld(server, 'drso');
  beforeAll(() => world.install());
  afterAll(() => world.dispose());

  it('a plain restart starts the next daemon with the running one\'s config, log level, control database and log; the log goes on', async () => {
    const configFile = path.join(world.tempDir('cfg'), 'bucardo.config.json');
    writeFileSync(configFile, '{ "logLevel": "normal" }\n');
    // the commands' own default control database does not exist: only the recorded -d reaches it
    const d = world.daemon({ BUCARDO_CONTROL_DB: 'drso_no_such_db' });
    const first = await d.launch('start', '--config', configFile, '--log-level', 'verbose', '-d', world.control, 'first');
    expect(first.code, first.stderr).toBe(0);
    const pid1 = d.pid()!;
    await d.registered(pid1);

    const restart = await d.cli('restart', 'new build');
    expect(restart.code, restart.stderr + restart.stdout).toBe(0);
    const pid2 = d.pid()!;
    expect(pid2).not.toBe(pid1);
    expect(restart.stdout).toBe(`Stopping Bucardo (PID ${pid1}) ... Done
Using the options PID ${pid1} was started with: --config ${configFile} --log-level verbose --db-name ${world.control} --log-destination ${d.logDir}
Checking for existing processes
Starting Bucardo (PID ${pid2})
`);
    expect(alive(pid1)).toBe(false);
    const argv = argvOf(pid2);
    expect(hasOption(argv, '--config', configFile)).toBe(true);
    expect(hasOption(argv, '--log-level', 'verbose')).toBe(true);
    expect(hasOption(argv, '--db-name', world.control)).toBe(true);
    expect(hasOption(argv, '--log-destination', d.logDir)).toBe(true);

    // the log the user watches goes on: the first daemon's last line, then the next daemon's first
    await d.registered(pid2);
    const log = await waitFor('the next daemon in the same log', async () => {
      const text = d.log();
      return text.includes(`Daemon ${daemonId(pid2)} started (reason: new build)`) ? text : undefined;
    });
    expect(log.indexOf(`Daemon ${daemonId(pid1)} stopped`)).toBeGreaterThan(-1);
    expect(log.indexOf(`Daemon ${daemonId(pid1)} stopped`)).toBeLessThan(log.indexOf(`Daemon ${daemonId(pid2)} started`));

    // the next daemon recorded them in turn: a second restart keeps them too
    const again = await d.cli('restart');
    expect(again.code, again.stderr + again.stdout).toBe(0);
    const pid3 = d.pid()!;
    expect(again.stdout).toContain(`Using the options PID ${pid2} was started with: --config ${configFile} --log-level verbose --db-name ${world.control} --log-destination ${d.logDir}\n`);
    await waitFor('the third daemon in the same log', async () => d.log().includes(`Daemon ${daemonId(pid3)} started`));
    // no reason given: the second daemon's last line says it was a restart
    expect(d.log()).toContain('DAEMON Received SIGTERM (reason: restart): stopping after the runs in progress\n');

    expect((await d.cli('stop')).code).toBe(0);
  });

  it('options given to restart win; the old log says where the next daemon logs', async () => {
    const d = world.daemon();
    const first = await d.launch('start', '--log-level', 'verbose');
    expect(first.code, first.stderr).toBe(0);
    const pid1 = d.pid()!;
    await d.registered(pid1);
    const otherLog = world.tempDir('log2');

    const restart = await d.cli('restart', '--log-destination', otherLog, '--log-level', 'terse');
    expect(restart.code, restart.stderr + restart.stdout).toBe(0);
    const pid2 = d.pid()!;
    // nothing was taken from the first daemon's options: no line about them
    expect(restart.stdout).toBe(`Stopping Bucardo (PID ${pid1}) ... Done\nChecking for existing processes\nStarting Bucardo (PID ${pid2})\n`);
    const argv = argvOf(pid2);
    expect(hasOption(argv, '--log-level', 'terse')).toBe(true);
    expect(argv).not.toContain('verbose');
    expect(hasOption(argv, '--log-destination', otherLog)).toBe(true);
    expect(argv).not.toContain(d.logDir);

    expect(d.log()).toContain(`DAEMON Received SIGTERM (reason: restart; the next daemon logs to ${otherLog}): stopping after the runs in progress\n`);
    await waitFor('the next daemon in its own log', async () => {
      try {
        return readFileSync(path.join(otherLog, LOG_FILE), 'utf8').includes(`Daemon ${daemonId(pid2)} started`);
      } catch {
        return false;
      }
    });
    expect(d.log()).not.toContain(`(${pid2})`);

    expect((await d.cli('stop')).code).toBe(0);
  });
});
