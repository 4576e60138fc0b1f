/**
 * Every file the daemon and `bucardo stop` make in the pid directory is their user's alone (0600), as its
 * directories are (0700): the pid file and the stop reason, written with the default mode before, were
 * readable by everyone (0644 under the usual umask 022). The stop reason is caught before the daemon reads
 * and removes it by stopping the daemon (SIGSTOP) around `bucardo stop` with no wait.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { alive, DaemonWorld, waitFor } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'pvf');

const modeOf = (file: string) => (statSync(file).mode & 0o777).toString(8);

/** Runs `work` with the usual umask, which the CLI and the daemon it starts inherit. */
async function withUmask<T>(work: () => Promise<T>): Promise<T> {
  const previous = process.umask(0o022);
  try {
    return await work();
  } finally {
    process.umask(previous);
  }
}

beforeAll(() => world.install());
afterAll(() => world.dispose());

describe('the files in the pid directory', () => {
  it('the pid file and the stop reason are 0600, like the start options and the output file; the directories 0700', async () => {
    const daemon = world.daemon();
    const pid = await withUmask(() => daemon.start('private files'));
    await daemon.registered(pid);
    expect(modeOf(daemon.pidDir)).toBe('700');
    expect(modeOf(daemon.logDir)).toBe('700');
    expect(modeOf(daemon.pidFile)).toBe('600');
    expect(modeOf(daemon.logFile)).toBe('600');
    expect(modeOf(path.join(daemon.pidDir, 'bucardo.mcp.options.json'))).toBe('600');
    expect(modeOf(path.join(daemon.pidDir, 'bucardo.daemon.out'))).toBe('600');

    process.kill(pid, 'SIGSTOP');
    try {
      // no wait: it leaves the reason and the SIGTERM, and says the daemon still runs
      const stop = await withUmask(() => world.bucardoWith({ BUCARDO_STOP_WAIT: '0' }, '--pid-dir', daemon.pidDir, 'stop', 'a private reason'));
      expect(stop.code).toBe(1);
      expect(modeOf(path.join(daemon.pidDir, 'bucardo.stop.reason'))).toBe('600');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor('the daemon to stop', async () => !alive(pid), 15_000, 100);
    expect(daemon.log()).toContain('(reason: a private reason)');
  });
});
