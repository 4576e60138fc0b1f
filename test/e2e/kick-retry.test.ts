/**
 * `bucardo kick SYNC 0 --retry N [--retry-sleep S]`, Bucardo's option for scripts (the command as a
 * process, no daemon: the kick runs the sync itself):
 *
 *  - a run that ends KILLED is kicked again, up to N times, each attempt said; the exit code is the last
 *    attempt's (2 when every one failed), and the rows wait on the source, none lost;
 *  - a cause fixed between attempts (here during `--retry-sleep`) lets the retry end DONE, exit 0;
 *  - without a timeout (nothing to wait for), or with a count that is not a number, it is refused;
 *  - a sync kicked by a pattern whose run ends KILLED and that is paused before its retry (a report tap
 *    of a config's plugin pauses it as the run ends, so no sleep races the kick) was kicked all the same:
 *    no "No sync was kicked", and the exit code is its last attempt's, KILLED (2), not success.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, waitFor, type Pair } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

const killedBlocks = (stdout: string): number => stdout.split('\n').filter((line) => / KILLED!$/.test(line)).length;

describe('bucardo kick --retry', () => {
  const world = new DaemonWorld(server, 'kretry');
  let pair: Pair;
  beforeAll(async () => {
    await world.install();
    pair = await world.pair('kr', { autokick: false });
  });
  afterAll(() => world.dispose());

  it('kicks again while the run ends KILLED, and exits with the last attempt\'s code', async () => {
    await world.query(pair.b.url, 'ALTER TABLE t ADD CONSTRAINT small CHECK (id < 100)');
    await world.insert(pair.a, 500);
    const result = await world.bucardo('kick', 'kr', '0', '--retry', '2');
    expect(result.code).toBe(2);
    expect(killedBlocks(result.stdout)).toBe(3);
    const said = result.stdout.split('\n').filter((line) => line.startsWith('Kick kr: retrying'));
    expect(said).toEqual(['Kick kr: retrying (1 of 2)', 'Kick kr: retrying (2 of 2)']);
    expect(await world.sql("SELECT count(*)::int AS n FROM bucardo.syncrun WHERE sync = 'kr' AND outcome = 'bad'")).toEqual([{ n: 3 }]);
    expect(await world.query(pair.b.url, 'SELECT id FROM t')).toEqual([]);
    expect(await world.query(pair.a.url, 'SELECT id FROM t')).toEqual([{ id: 500 }]);
  });

  it('ends DONE when the cause is fixed between attempts', async () => {
    const before = Number((await world.sql("SELECT count(*)::int AS n FROM bucardo.syncrun WHERE sync = 'kr' AND outcome = 'bad'"))[0]!.n);
    const kicking = world.bucardo('kick', 'kr', '0', '--retry', '3', '--retry-sleep', '2');
    // the first attempt fails on the constraint; it is dropped while the kick sleeps
    await waitFor('the first attempt to fail', async () =>
      Number((await world.sql("SELECT count(*)::int AS n FROM bucardo.syncrun WHERE sync = 'kr' AND outcome = 'bad'"))[0]!.n) > before, 10_000, 50);
    await world.query(pair.b.url, 'ALTER TABLE t DROP CONSTRAINT small');
    const result = await kicking;
    expect(result.code, result.stderr).toBe(0);
    expect(killedBlocks(result.stdout)).toBe(1);
    expect(result.stdout).toContain('Kick kr: retrying (1 of 3) in 2 s\n');
    expect(result.stdout).toMatch(/Kick kr: \[\d+ s\] DONE!\n$/);
    expect(await world.query(pair.b.url, 'SELECT id FROM t')).toEqual([{ id: 500 }]);
  });

  it('a sync paused before its retry was still kicked: KILLED, exit 2', async () => {
    const paused = await world.pair('krp', { autokick: false });
    await world.query(paused.b.url, 'ALTER TABLE t ADD CONSTRAINT small CHECK (id < 100)');
    await world.insert(paused.a, 500);
    const config = path.join(world.tempDir('config'), 'bucardo.config.mjs');
    // \`bucardo pause\` run by the kick's own process as its run ends bad, before the kick looks at the retry
    writeFileSync(config, `import { execFile } from 'node:child_process';
      import { promisify } from 'node:util';
      export default { plugins: [{ name: 'pause-when-killed', apply(host) {
        host.hooks.report.tapPromise('pause', async (report) => {
          if (report.outcome === 'bad') await promisify(execFile)(process.execPath, [process.argv[1], 'pause', report.sync]);
        });
      } }] };
`);
    const result = await world.bucardo('--config', config, 'kick', 'krp*', '0', '--retry', '1');
    expect(result.code, result.stdout + result.stderr).toBe(2);
    expect(result.stderr).not.toContain('No sync was kicked');
    expect(killedBlocks(result.stdout)).toBe(1);
    expect(result.stdout).toMatch(/\nKick krp: retrying \(1 of 1\)\nCannot kick paused sync "krp"\n$/);
    expect(await world.sql("SELECT status FROM bucardo.sync WHERE name = 'krp'")).toEqual([{ status: 'paused' }]);
    expect(await world.sql("SELECT outcome FROM bucardo.syncrun WHERE sync = 'krp'")).toEqual([{ outcome: 'bad' }]);
    expect(await world.query(paused.b.url, 'SELECT id FROM t')).toEqual([]);
    expect(await world.query(paused.a.url, 'SELECT id FROM t')).toEqual([{ id: 500 }]);
  });

  it.each([
    [['kick', 'kr', '--retry', '2'], 'ERROR: --retry needs a kick that waits for the run (bucardo kick SYNC 0 --retry N): without a timeout the kick does not see how the run ends [INVALID_ARGUMENT]\n'],
    [['kick', 'kr', '0', '--retry', 'many'], 'ERROR: --retry takes a whole number, not "many" [INVALID_ARGUMENT]\n'],
  ])('refuses %j', async (args, stderr) => {
    const result = await world.bucardo(...args);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(stderr);
    expect(await world.sql("SELECT count(*)::int AS n FROM bucardo.kick_request WHERE sync = 'kr' AND run_id IS NULL")).toEqual([{ n: 0 }]);
  });
});
