/**
 * `BUCARDO_STOP_WAIT` (how many seconds `bucardo stop` and `restart` wait for the daemon) that is not a
 * whole number is refused before anything is done, naming the variable and the value, with exit code 1
 * as any bad input: the daemon gets no SIGTERM and no stop reason, and runs on.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { alive, DaemonWorld, sleep, waitFor } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'swe');

beforeAll(() => world.install());
afterAll(() => world.dispose());

describe('BUCARDO_STOP_WAIT', () => {
  it('a value that is not a whole number of seconds is refused by stop and restart, and the daemon runs on', async () => {
    const daemon = world.daemon();
    const pid = await daemon.start('stop wait');
    await daemon.registered(pid);
    for (const value of ['abc', '1.5', '-1', ' 5']) {
      for (const verb of ['stop', 'restart']) {
        const refused = await world.bucardoWith({ BUCARDO_STOP_WAIT: value }, '--pid-dir', daemon.pidDir, verb);
        expect(refused.code, `${verb} ${value}`).toBe(1);
        expect(refused.stdout).toBe('');
        expect(refused.stderr).toBe(`ERROR: BUCARDO_STOP_WAIT must be a whole number of seconds, not "${value}" [INVALID_ARGUMENT]\n`);
      }
    }
    await sleep(200); // a SIGTERM would have ended it by now
    expect(alive(pid)).toBe(true);
    expect(daemon.pid()).toBe(pid);
    expect(existsSync(path.join(daemon.pidDir, 'bucardo.stop.reason'))).toBe(false);
    expect(daemon.log()).not.toMatch(/Received SIGTERM|stopped/);

    // unset or empty: the default wait
    const stopped = await world.bucardoWith({ BUCARDO_STOP_WAIT: '' }, '--pid-dir', daemon.pidDir, 'stop');
    expect(stopped.code, stopped.stdout + stopped.stderr).toBe(0);
    await waitFor('the daemon to stop', async () => !alive(pid));
  });
});
