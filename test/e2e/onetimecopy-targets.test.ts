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
import { writeFileSync } from 'node:fs';
import path from 'node:path';
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

/**
 * The paths of `onetimecopy=N db=T` beside the plain repair: source A, targets B and C, fullcopy member F.
 *
 *  - onetimecopy=2 copies only into empty tables, db= or not: C chosen but not empty is left as it is, and
 *    B, empty but not chosen, is not copied to either; the run says no target needs it;
 *  - a fullcopy member is no copy target (it is copied whole every run anyway): refused, the setting and
 *    the Onetimecopy line of status as they were.
 */
describe('onetimecopy=2 db=T with T not empty, and db= naming a fullcopy member', () => {
  const setup = threeDatabaseWorld(server, 'ocm');
  const { world } = setup;
  let a: Db;
  let b: Db;
  let c: Db;
  let f: Db;
  const syncRow = async () => (await world.sql("SELECT onetimecopy, copy_targets, copy_request::text AS request FROM bucardo.sync WHERE name = 'ocm'"))[0];
  const ids = async (db: Db) => (await world.query(db.url, 'SELECT id, v FROM t ORDER BY id')).map((row) => `${row.id}:${row.v}`);

  beforeAll(async () => {
    ({ a, b, c } = setup);
    f = await world.database('ocm_F');
    await world.query(a.url, "INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 50) AS i");
    await world.api.addTables(['t'], { herd: 'ocm_h', db: a.name });
    await world.api.addDbGroup('ocm_g', [`${a.name}:source`, `${b.name}:target`, `${c.name}:target`, `${f.name}:fullcopy`]);
    expect(await world.ok('add', 'sync', 'ocm', 'herd=ocm_h', 'dbs=ocm_g', 'autokick=false', 'onetimecopy=1')).toContain('Added sync "ocm"');
    expect(await world.ok('kick', 'ocm', '0')).toMatch(/^Kick ocm: \[\d+ s\] DONE!$/m);
    await assertConverged([a.url, b.url, c.url, f.url], { t: 'id' });
  });

  it('onetimecopy=2 db=C leaves C, not empty, as it is, and B, empty but not chosen, empty', async () => {
    await world.query(b.url, 'DELETE FROM t');
    await world.query(c.url, 'DELETE FROM t WHERE id > 10');
    await world.query(c.url, "UPDATE t SET v = 'drifted' WHERE id = 1");
    const before = await ids(a);
    const onC = await ids(c);

    expect(await world.ok('update', 'sync', 'ocm', 'onetimecopy=2', 'db=ocm_C')).toBe('Set onetimecopy to 2 (database "ocm_C")\n');
    expect(statusDetail(await world.ok('status', 'ocm')).get('Onetimecopy')).toBe('Yes (to ocm_C)');
    const kick = await world.bucardo('--log-level', 'normal', 'kick', 'ocm', '0');
    expect(kick.code, kick.stdout + kick.stderr).toBe(0);
    expect(kick.stdout).toMatch(/^Kick ocm: \[\d+ s\] DONE!$/m);
    expect(kick.stderr).toContain('Initial copy of public.t: no target needs it\n');
    expect(kick.stderr).not.toContain('Initial copy of public.t from');

    expect(await ids(a)).toEqual(before);
    expect(await ids(b)).toEqual([]);
    expect(await ids(c)).toEqual(onC);
    expect(await ids(f)).toEqual(before);
    expect(await syncRow()).toMatchObject({ onetimecopy: 0, copy_targets: null });
    expect(statusDetail(await world.ok('status', 'ocm')).get('Onetimecopy')).toBe('No');
  });

  it('refuses a fullcopy member as a copy target, changing nothing', async () => {
    expect(await world.ok('update', 'sync', 'ocm', 'onetimecopy=2', 'db=ocm_B')).toBe('Set onetimecopy to 2 (database "ocm_B")\n');
    const row = await syncRow();
    expect(row).toMatchObject({ onetimecopy: 2, copy_targets: ['ocm_B'] });
    for (const args of [['onetimecopy=1', 'db=ocm_F'], ['onetimecopy=2', 'db=ocm_B,ocm_F']]) {
      const result = await world.bucardo('update', 'sync', 'ocm', ...args);
      expect(result.code, result.stdout + result.stderr).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe('ERROR: Database "ocm_F" is a fullcopy of sync "ocm", not a target: onetimecopy copies to the sync\'s targets only [INVALID_ARGUMENT]\n');
      expect(await syncRow()).toEqual(row);
      expect(statusDetail(await world.ok('status', 'ocm')).get('Onetimecopy')).toBe('Yes (to ocm_B)');
    }
  });
});

/**
 * onetimecopy=1 empties the tables of the targets it copies to, so each of them needs a writer that can
 * (TargetCapabilities.truncate; every shipped target has it): a plugin loaded from a config file registers
 * a target without it. db= naming only a PostgreSQL target is taken; naming that target, or no db= at all
 * (every target), is refused naming it, with onetimecopy=2 suggested (its sessions tell an empty table).
 */
describe('onetimecopy=1 db=T where T cannot empty a table', () => {
  const setup = threeDatabaseWorld(server, 'ocn');
  const { world } = setup;
  let config: string;
  const cli = (...args: string[]) => world.bucardo('--config', config, ...args);
  const syncRow = async () => (await world.sql("SELECT onetimecopy, copy_targets, copy_request::text AS request FROM bucardo.sync WHERE name = 'ocn'"))[0];

  beforeAll(async () => {
    config = path.join(world.tempDir('config'), 'bucardo.config.mjs');
    // a target that keeps nothing and cannot empty a table: no truncate capability, no truncate()
    writeFileSync(config, `const session = () => ({
        begin: async () => undefined, commit: async () => undefined, rollback: async () => undefined, close: async () => undefined,
        apply: async (batch) => ({ inserted: batch.rows.reduce((sum, rows) => sum + rows.rowCount, 0), deleted: batch.deletes.length, skipped: [] }),
        isEmpty: async () => true,
      });
      export default { plugins: [{ name: 'notrunc-target', apply(host) {
        host.registerDatabase({ type: 'notrunc', normalizeParams: (params) => params, describe: () => 'notrunc', ping: async () => undefined,
          target: { capabilities: { transactions: true }, open: async () => session() } });
      } }] };
`);
    await world.api.addTables(['t'], { herd: 'ocn_h', db: setup.a.name });
    for (const args of [
      ['add', 'db', 'ocn_M', 'type=notrunc'],
      ['add', 'dbgroup', 'ocn_g', `${setup.a.name}:source`, `${setup.b.name}:target`, 'ocn_M:target'],
      ['add', 'sync', 'ocn', 'herd=ocn_h', 'dbs=ocn_g', 'autokick=false'],
    ]) {
      const result = await cli(...args);
      expect(result.code, `${args.join(' ')}\n${result.stdout}${result.stderr}`).toBe(0);
    }
  });

  it('takes db= naming a target that can, and refuses the one that cannot, naming it', async () => {
    const taken = await cli('update', 'sync', 'ocn', 'onetimecopy=1', `db=${setup.b.name}`);
    expect(taken.code, taken.stdout + taken.stderr).toBe(0);
    expect(taken.stdout).toBe('Set onetimecopy to 1 (database "ocn_B")\n');
    const row = await syncRow();
    expect(row).toMatchObject({ onetimecopy: 1, copy_targets: ['ocn_B'] });
    for (const args of [['onetimecopy=1', 'db=ocn_M'], ['onetimecopy=1', 'db=ocn_B,ocn_M'], ['onetimecopy=1']]) {
      const result = await cli('update', 'sync', 'ocn', ...args);
      expect(result.code, result.stdout + result.stderr).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe('ERROR: Sync "ocn" cannot use onetimecopy=1: database "ocn_M" (type notrunc) cannot empty a table for a copy; onetimecopy=2 copies to it without emptying its tables [DB_ROLE_UNSUPPORTED]\n');
      expect(await syncRow()).toEqual(row);
      const status = await cli('status', 'ocn');
      expect(statusDetail(status.stdout).get('Onetimecopy')).toBe('Yes (to ocn_B)');
    }
  });
});
