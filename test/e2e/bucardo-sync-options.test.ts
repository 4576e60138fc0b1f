/**
 * Bucardo's sync options that mean nothing here (its process model, its Nagios script's thresholds, …),
 * as a Bucardo user's scripts pass them (the command as a process): `add sync … stayalive=0 kidsalive=0`
 * adds the sync and says, per option, that it was left out and why; `update sync` the same; an option
 * neither knows is still refused, naming the command it was given to; an unknown sync is still an error.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, type Pair } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

const PROCESS = 'here the daemon runs each sync in a worker of its own for as long as it runs';

describe('Bucardo-only sync options', () => {
  const world = new DaemonWorld(server, 'bso');
  let pair: Pair;
  beforeAll(async () => {
    await world.install();
    pair = await world.pair('bso_seed', { autokick: false });
  });
  afterAll(() => world.dispose());

  it('add sync takes the sync and leaves them out, saying why', async () => {
    const result = await world.bucardo('add', 'sync', 'bs', 'herd=bso_seed_h', 'dbs=bso_seed_g', 'autokick=false', 'stayalive=0', 'kidsalive=0');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('Added sync "bs"\n');
    expect(result.stderr).toBe([
      `WARNING: stayalive=0 is one of Bucardo's sync options with no effect here (Bucardo's controller process per sync; ${PROCESS}): left out`,
      `WARNING: kidsalive=0 is one of Bucardo's sync options with no effect here (Bucardo's kid process per sync; ${PROCESS}): left out`,
      '',
    ].join('\n'));
    await world.insert(pair.a, 1);
    expect(await world.ok('kick', 'bs', '0')).toMatch(/DONE!/);
    expect(await world.query(pair.b.url, 'SELECT id FROM t')).toEqual([{ id: 1 }]);
  });

  it('update sync leaves them out too, and changes what it knows', async () => {
    const result = await world.bucardo('update', 'sync', 'bs', 'priority=5', 'checktime=10 minutes');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('Set checktime to 00:10:00\n');
    expect(result.stderr).toBe('WARNING: priority=5 is one of Bucardo\'s sync options with no effect here (display only in Bucardo): left out\n');
    const only = await world.bucardo('update', 'sync', 'bs', 'maxkicks=10');
    expect(only.code, only.stderr).toBe(0);
    expect(only.stdout).toBe('');
    expect(only.stderr).toMatch(/^WARNING: maxkicks=10 is one of Bucardo's sync options with no effect here \(.*\): left out\n$/);
  });

  it('an option neither knows is refused naming the command; an unknown sync is an error', async () => {
    const bogus = await world.bucardo('update', 'sync', 'bs', 'bogus=1');
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toMatch(/^ERROR: Unknown option "bogus" for update sync \(known: herd, .*\) \[INVALID_ARGUMENT\]\n$/);
    const missing = await world.bucardo('update', 'sync', 'nosuch', 'stayalive=0');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('ERROR: There is no sync named "nosuch" [SYNC_NOT_FOUND]\n');
  });
});
