/**
 * `update sync S onetimecopy=1 db=T`, end to end: one stale target is copied anew, the others left alone.
 * Source A, targets B and C, in step; C is changed by hand (rows deleted and changed), then:
 *
 *  - refusals (a source named, an unknown database, db= without onetimecopy=) say why, exit 1, and leave
 *    the sync's row as it was;
 *  - `update sync … onetimecopy=1 db=C` says so, and status shows `Yes (to C)`;
 *  - the kick copies to C only: C equals A again, and not one of B's rows is rewritten (xmin unchanged);
 *  - onetimecopy is 0 again and copy_targets NULL; `onetimecopy=` without db= asks for every target.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { assertConverged } from '../src/helpers/databases.js';
import { statusDetail, type Db } from './support/daemon-world.js';
import { rewrittenSince, snapshotXmins, threeDatabaseWorld } from './support/lifecycle-kit.js';

const server = serverFromInfo(inject('pg'));

describe('onetimecopy=1 db=T: an initial copy to one target only', () => {
  const setup = threeDatabaseWorld(server, 'oct');
  const { world } = setup;
  let a: Db;
  let b: Db;
  let c: Db;
  const syncRow = async () => (await world.sql("SELECT onetimecopy, copy_targets, copy_request::text AS request FROM bucardo.sync WHERE name = 'oct'"))[0];
  const refused = async (args: string[], message: string) => {
    const before = await syncRow();
    const result = await world.bucardo('update', 'sync', 'oct', ...args);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`ERROR: ${message}\n`);
    expect(await syncRow()).toEqual(before);
  };

  beforeAll(async () => {
    ({ a, b, c } = setup);
    await world.query(a.url, "INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 2000) AS i");
    await world.api.addTables(['t'], { herd: 'oct_h', db: a.name });
    await world.api.addDbGroup('oct_g', [`${a.name}:source`, `${b.name}:target`, `${c.name}:target`]);
    expect(await world.ok('add', 'sync', 'oct', 'herd=oct_h', 'dbs=oct_g', 'autokick=false', 'onetimecopy=1')).toContain('Added sync "oct"');
    expect(await world.ok('kick', 'oct', '0')).toMatch(/^Kick oct: \[\d+ s\] DONE!$/m);
    await assertConverged([a.url, b.url, c.url], { t: 'id' });
    expect(await syncRow()).toMatchObject({ onetimecopy: 0, copy_targets: null });
  });

  it('refuses a source, an unknown database and db= alone, changing nothing', async () => {
    await refused(['onetimecopy=1', 'db=oct_A'], 'Database "oct_A" is a source of sync "oct", not a target: onetimecopy copies to the sync\'s targets only [INVALID_ARGUMENT]');
    await refused(['onetimecopy=1', 'db=oct_C,nosuch'], 'There is no database named "nosuch" (db= of sync "oct") [DB_NOT_FOUND]');
    await refused(['db=oct_C'], 'db= says which targets an initial copy goes to: give it with onetimecopy=1|2 (bucardo update sync oct onetimecopy=1 db=oct_C) [INVALID_ARGUMENT]');
    await refused(['onetimecopy=0', 'db=oct_C'], 'db= says which targets an initial copy goes to: onetimecopy=0 asks for none [INVALID_ARGUMENT]');
  });

  it('copies to the chosen target only, then forgets the choice', async () => {
    // C drifted: rows gone, rows changed, a row of its own
    await world.query(c.url, 'DELETE FROM t WHERE id <= 100');
    await world.query(c.url, "UPDATE t SET v = 'drifted' WHERE id BETWEEN 500 AND 599");
    await world.query(c.url, "INSERT INTO t VALUES (9999, 'only on C')");
    expect(await snapshotXmins(world, b.url, 't', 'before')).toBe(2000);

    expect(await world.ok('update', 'sync', 'oct', 'onetimecopy=1', 'db=oct_C')).toBe('Set onetimecopy to 1 (database "oct_C")\n');
    expect(await syncRow()).toMatchObject({ onetimecopy: 1, copy_targets: ['oct_C'] });
    expect(statusDetail(await world.ok('status', 'oct')).get('Onetimecopy')).toBe('Yes (to oct_C)');

    const kick = await world.bucardo('--log-level', 'normal', 'kick', 'oct', '0');
    expect(kick.code, kick.stdout + kick.stderr).toBe(0);
    expect(kick.stderr).toContain('Initial copy of public.t from oct_A to oct_C\n');
    expect(kick.stderr).not.toContain('to oct_B');

    await assertConverged([a.url, b.url, c.url], { t: 'id' });
    expect(await rewrittenSince(world, b.url, 't', 'before')).toEqual([]);
    expect(await syncRow()).toMatchObject({ onetimecopy: 0, copy_targets: null });
    expect(statusDetail(await world.ok('status', 'oct')).get('Onetimecopy')).toBe('No');
  });

  it('onetimecopy= without db= asks for every target again', async () => {
    expect(await world.ok('update', 'sync', 'oct', 'onetimecopy=2', 'db=oct_B,oct_C')).toBe('Set onetimecopy to 2 (databases "oct_B", "oct_C")\n');
    expect(await syncRow()).toMatchObject({ onetimecopy: 2, copy_targets: ['oct_B', 'oct_C'] });
    expect(await world.ok('update', 'sync', 'oct', 'onetimecopy=2')).toBe('Set onetimecopy to 2\n');
    expect(await syncRow()).toMatchObject({ onetimecopy: 2, copy_targets: null });
    expect(statusDetail(await world.ok('status', 'oct')).get('Onetimecopy')).toBe('Yes');
  });
});

describe('onetimecopy db= on a control schema without copy_targets', () => {
  const setup = threeDatabaseWorld(server, 'oco');
  const { world } = setup;

  it('update sync and status say to bring the schema up to date; upgrade adds the column', async () => {
    await world.api.addTables(['t'], { herd: 'oco_h', db: setup.a.name });
    await world.api.addDbGroup('oco_g', [`${setup.a.name}:source`, `${setup.b.name}:target`, `${setup.c.name}:target`]);
    await world.ok('add', 'sync', 'oco', 'herd=oco_h', 'dbs=oco_g', 'autokick=false');
    await world.sql('ALTER TABLE bucardo.sync DROP COLUMN copy_targets');
    for (const args of [['update', 'sync', 'oco', 'onetimecopy=1', 'db=oco_C'], ['status', 'oco']]) {
      const result = await world.bucardo(...args);
      expect(result.code, result.stdout + result.stderr).toBe(1);
      expect(result.stderr).toBe(`ERROR: The Bucardo schema in control database "${world.control}" is older than this version (column "copy_targets" does not exist): run "bucardo install" to bring it up to date; its data is kept [CONTROL_NOT_INSTALLED]\n`);
    }
    expect(await world.ok('upgrade')).toBe(`Brought the Bucardo schema in database "${world.control}" up to date, its data kept: added bucardo.sync.copy_targets\n`);
    expect(await world.ok('update', 'sync', 'oco', 'onetimecopy=1', 'db=oco_C')).toBe('Set onetimecopy to 1 (database "oco_C")\n');
  });
});
