/**
 * `bucardo update dbgroup` (Bucardo's way of adding a database to the syncs of a running cluster), end to
 * end: the `bucardo` command run as a process, real databases.
 *
 *  - a third source and a new target join a two-master sync: capture is installed on the new source, its
 *    changes are sent from then on, the target gets the rows already there with `onetimecopy=2`, and every
 *    database converges;
 *  - a target made a source (its changes sent from then on), a source taken out (what the sync had not
 *    delivered from it said and dropped, its capture removed), a rename (the syncs follow);
 *  - refusals change nothing (members, checkpoints, capture): the last source removed, a database unknown
 *    or not in the dbgroup, a new member lacking a table (the capture installed on a new source in the same
 *    command is removed again), nothing to change;
 *  - a source that cannot be reached is taken out all the same (a dead master), its backlog and capture
 *    said unknown in warnings;
 *  - a daemon running an autokick sync reads a source added while it runs, without a kick.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, waitFor, type Db } from './support/daemon-world.js';
import { createDatabase, dropDatabase, uniqueName } from '../src/helpers/databases.js';

const server = serverFromInfo(inject('pg'));

describe('update dbgroup', () => {
  const world = new DaemonWorld(server, 'udg');
  const made: string[] = [];
  beforeAll(() => world.install());
  afterAll(async () => {
    await world.dispose();
    for (const dbname of made) await dropDatabase(server, dbname);
  });

  /** A database holding t (or nothing), not registered: for `add db` as a process. */
  async function unregistered(name: string, table = true): Promise<Db> {
    const dbname = uniqueName(`udg_${name}`);
    made.push(dbname);
    const url = await createDatabase(server, dbname);
    if (table) await world.query(url, 'CREATE TABLE t (id int PRIMARY KEY, v text)');
    return { name, dbname, url };
  }

  async function kick(sync: string): Promise<void> {
    expect(await world.ok('kick', sync, '0')).toMatch(new RegExp(`^Kick ${sync}: \\[\\d+ s\\] DONE!$`, 'm'));
  }

  async function members(group: string): Promise<string> {
    return world.ok('list', 'dbgroups', group);
  }

  async function captureTriggers(db: Db): Promise<number> {
    return Number((await world.query(db.url, "SELECT count(*) AS n FROM pg_trigger WHERE tgrelid = 'public.t'::regclass AND tgname LIKE 'bucardo_capture%'"))[0]!.n);
  }

  /** The capture triggers' oids: a new install (DROP and CREATE TRIGGER, under the table's exclusive lock) changes them. */
  async function triggerOids(db: Db): Promise<string[]> {
    return (await world.query(db.url, "SELECT oid::text FROM pg_trigger WHERE tgrelid = 'public.t'::regclass AND tgname LIKE 'bucardo_capture%' ORDER BY tgname")).map((row) => String(row.oid));
  }

  async function checkpointed(sync: string): Promise<string[]> {
    return (await world.sql('SELECT db FROM bucardo.checkpoint WHERE sync = $1 ORDER BY db', [sync])).map((row) => String(row.db));
  }

  /** Sources A and B, target T, sync `name` over t (no autokick), with rows 1–3 everywhere. */
  async function cluster(name: string): Promise<{ a: Db; b: Db; t: Db }> {
    const a = await world.database(`${name}_A`);
    const b = await world.database(`${name}_B`);
    const t = await world.database(`${name}_T`);
    await world.api.addTables(['t'], { herd: `${name}_h`, db: a.name });
    await world.api.addDbGroup(`${name}_g`, [`${a.name}:source`, `${b.name}:source`, `${t.name}:target`]);
    await world.api.addSync(name, { herd: `${name}_h`, dbs: `${name}_g`, autokick: 'false' });
    await world.insert(a, 1, 2, 3);
    await kick(name);
    return { a, b, t };
  }

  it('a third source and a new target join; every database converges', async () => {
    const { a, b, t } = await cluster('gr');
    // the new source is loaded from a copy of a source first, as the note says
    const c = await world.database('gr_C');
    await world.insert(c, 1, 2, 3);
    const u = await world.database('gr_U');

    const triggersBefore = [await triggerOids(a), await triggerOids(b)];
    const updated = await world.bucardo('update', 'dbgroup', 'gr_g', 'gr_C:source', 'gr_U');
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stderr).toBe('');
    expect(updated.stdout).toBe([
      'Added database "gr_C" to dbgroup "gr_g" as source',
      'Added database "gr_U" to dbgroup "gr_g" as target',
      'Sync "gr": capture installed on database "gr_C"; its changes from now on are sent',
      'Note: the rows already in the other databases are not copied to "gr_U", only changes from now on; bucardo update sync gr onetimecopy=2 copies them to each target whose table is still empty when its next run starts (onetimecopy=1: every table of the sync, emptied first)',
      'Note: "gr_C" joined as a source with the rows it has: the rows only the other databases have are not copied to it, nor its own to them (onetimecopy copies to targets only); load it from a copy of a source first, or add it as a target, copy with onetimecopy=2, then make it a source',
      '',
    ].join('\n'));
    expect(await members('gr_g')).toBe('dbgroup: gr_g  Members: gr_A:source gr_B:source gr_T:target gr_C:source gr_U:target\n');
    expect(await checkpointed('gr')).toEqual(['gr_A', 'gr_B', 'gr_C']);
    expect(await captureTriggers(c)).toBe(2);
    // the sources it had keep their capture as it was: reinstalling would lock their tables under the application's writes
    expect([await triggerOids(a), await triggerOids(b)]).toEqual(triggersBefore);

    await world.ok('update', 'sync', 'gr', 'onetimecopy=2');
    await world.insert(c, 10);
    await world.insert(a, 11);
    await kick('gr');
    for (const db of [a, b, c, t, u]) expect(await world.ids(db), db.name).toEqual([1, 2, 3, 10, 11]);
  });

  it('a target made a source, a source taken out with what it had not delivered, a rename', async () => {
    const { a, b, t } = await cluster('rl');
    await world.insert(b, 20);

    const promoted = await world.bucardo('update', 'dbgroup', 'rl_g', 'rl_T:source');
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stdout).toBe([
      'Changed role of database "rl_T" in dbgroup "rl_g" from target to source',
      'Sync "rl": capture installed on database "rl_T"; its changes from now on are sent',
      '',
    ].join('\n'));

    const removed = await world.bucardo('update', 'dbgroup', 'rl_g', 'remove', 'rl_B');
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stderr).toBe('');
    expect(removed.stdout).toBe([
      'Removed database "rl_B" from dbgroup "rl_g"',
      '  Dropped 1 change record sync "rl" had not delivered yet (database "rl_B": public.t 1)',
      '  Removed capture of public.t on database "rl_B"',
      '',
    ].join('\n'));
    expect(await members('rl_g')).toBe('dbgroup: rl_g  Members: rl_A:source rl_T:source\n');
    // B's checkpoint stays (a run planned before the change finds it, and installs no capture there again)
    expect(await checkpointed('rl')).toEqual(['rl_A', 'rl_B', 'rl_T']);
    expect(await captureTriggers(b)).toBe(0);

    const renamed = await world.bucardo('update', 'dbgroup', 'rl_g', 'name=rl_g2');
    expect(renamed.code, renamed.stderr).toBe(0);
    expect(renamed.stdout).toBe('Changed dbgroup name from "rl_g" to "rl_g2"\n');
    expect(await world.ok('list', 'syncs', 'rl')).toMatch(/^Sync "rl"\s+Relgroup "rl_h"\s+DB group "rl_g2" rl_A:source rl_T:source/);

    // the promoted target's changes are sent; the removed source's are not, before or after
    await world.insert(t, 30);
    await world.insert(b, 31);
    await kick('rl');
    expect(await world.ids(a)).toEqual([1, 2, 3, 30]);
    expect(await world.ids(t)).toEqual([1, 2, 3, 30]);
    expect(await world.ids(b)).toEqual([1, 2, 3, 20, 31]);

    const same = await world.bucardo('update', 'dbgroup', 'rl_g2', 'rl_A:source');
    expect(same.stdout).toBe('Dbgroup "rl_g2" unchanged\n');
  });

  it('refusals change nothing: members, checkpoints and capture stay as they were', async () => {
    const { a } = await cluster('rf');
    const d = await world.database('rf_D');
    // a database whose table t is missing: the sync's tables are checked on every new member
    const e = await world.database('rf_E');
    await world.query(e.url, 'DROP TABLE t');
    const before = await members('rf_g');

    const refusals: Array<[string[], string]> = [
      [['rf_g', 'remove', 'rf_A', 'rf_B'], 'Sync "rf" would have no source database left in dbgroup "rf_g": a sync needs at least one [SYNC_INVALID]'],
      [['rf_g', 'nosuchdb'], 'There is no database named "nosuchdb" (in dbgroup "rf_g") [DB_NOT_FOUND]'],
      [['rf_g', 'remove', 'rf_D'], 'Database "rf_D" is not in dbgroup "rf_g" [DB_NOT_FOUND]'],
      [['rf_g', 'remove', 'nosuchdb'], 'There is no database named "nosuchdb" (in dbgroup "rf_g") [DB_NOT_FOUND]'],
      [['nosuchgroup', 'rf_D'], 'There is no dbgroup named "nosuchgroup" [DBGROUP_NOT_FOUND]'],
      [['rf_g', 'rf_D:nosuchrole'], 'Unknown role "nosuchrole" for database "rf_D": use source, target or fullcopy [INVALID_ARGUMENT]'],
      [['rf_g', 'rf_D', 'rf_D:source'], 'Database "rf_D" is listed twice in update dbgroup "rf_g" [INVALID_ARGUMENT]'],
      [['rf_g'], 'Nothing to change: bucardo update dbgroup rf_g DB[:ROLE]… | remove DB… | name=NEWNAME [INVALID_ARGUMENT]'],
      [['rf_g', 'name=bad#name'], 'Invalid dbgroup name "bad#name": use a letter, then letters, digits or underscores [INVALID_NAME]'],
      [['rf_g', 'rf_D', 'role=source'], 'update dbgroup can change: its databases, and name= (not "role").'],
    ];
    for (const [args, message] of refusals) {
      const r = await world.bucardo('update', 'dbgroup', ...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toContain(message);
      expect(r.stdout, args.join(' ')).toBe('');
    }

    // a new source and a member lacking the table in one command: the source's capture is removed again
    const missing = await world.bucardo('update', 'dbgroup', 'rf_g', 'rf_D:source', 'rf_E');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('ERROR: Table "public.t" does not exist on database "rf_E" [TABLE_MISSING]\n');
    expect(missing.stdout).toBe('');
    expect(await captureTriggers(d)).toBe(0);
    // a failure after the new source's capture was installed (the new name is taken): removed again
    await world.api.addDbGroup('rf_other', ['rf_D:target']);
    const taken = await world.bucardo('update', 'dbgroup', 'rf_g', 'rf_D:source', 'name=rf_other');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toBe('ERROR: A dbgroup named "rf_other" already exists [DUPLICATE_NAME]\n');
    expect(await captureTriggers(d)).toBe(0);
    expect(await members('rf_g')).toBe(before);
    expect(await checkpointed('rf')).toEqual(['rf_A', 'rf_B']);

    // Bucardo's add dbgroup on an existing one added the databases: here it points at update dbgroup
    const again = await world.bucardo('add', 'dbgroup', 'rf_g', 'rf_D:source');
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('ERROR: A dbgroup named "rf_g" already exists: bucardo update dbgroup rf_g rf_D:source adds databases to it [DUPLICATE_NAME]\n');
    expect(await members('rf_g')).toBe(before);

    // and the sync runs on as before
    await world.insert(a, 40);
    await kick('rf');
    expect(await world.ids(d)).toEqual([]);
  });

  it('a source that cannot be reached is taken out all the same, its count and capture said unknown', async () => {
    const proxy = world.proxy();
    await proxy.open();
    const a = await world.database('ur_A');
    const b = await world.database('ur_B', proxy);
    const t = await world.database('ur_T');
    await world.api.addTables(['t'], { herd: 'ur_h', db: a.name });
    await world.api.addDbGroup('ur_g', [`${a.name}:source`, `${b.name}:source`, `${t.name}:target`]);
    await world.api.addSync('ur', { herd: 'ur_h', dbs: 'ur_g', autokick: 'false' });
    await world.insert(b, 5);
    await proxy.close();

    const removed = await world.bucardo('update', 'dbgroup', 'ur_g', 'remove', 'ur_B');
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe('Removed database "ur_B" from dbgroup "ur_g"\n');
    const why = `Cannot connect to database "ur_B" (dbname=${b.dbname} host=127.0.0.1 port=${proxy.port}): connect ECONNREFUSED 127.0.0.1:${proxy.port}`;
    expect(removed.stderr).toBe([
      `WARNING: Dropped an unknown number of change records sync "ur" had not delivered yet from database "ur_B": ${why}`,
      `WARNING: Could not remove capture on database "ur_B" (it keeps recording changes no sync reads): ${why}`,
      '',
    ].join('\n'));
    expect(await members('ur_g')).toBe('dbgroup: ur_g  Members: ur_A:source ur_T:target\n');
    expect(await checkpointed('ur')).toEqual(['ur_A', 'ur_B']);
    // the sync runs without it
    await world.insert(a, 6);
    await kick('ur');
    expect(await world.ids(t)).toEqual([6]);
  });

  it('add db … dbgroup=G[:ROLE] (Bucardo\'s): makes the dbgroup, or joins one syncs use as update dbgroup does; a refusal adds nothing', async () => {
    const x = await unregistered('aj_X');
    const made1 = await world.bucardo('add', 'db', 'aj_X', `dbname=${x.dbname}`, 'dbgroup=ajx_g');
    expect(made1.code, made1.stderr).toBe(0);
    expect(made1.stdout).toBe('Added database "aj_X"\nCreated dbgroup "ajx_g"\n  Added database "aj_X" to dbgroup "ajx_g" as source\n');

    const { a, t } = await cluster('aj');
    const y = await unregistered('aj_Y');
    const joined = await world.bucardo('add', 'db', 'aj_Y', `dbname=${y.dbname}`, 'dbgroup=aj_g:target');
    expect(joined.code, joined.stderr).toBe(0);
    expect(joined.stdout).toBe([
      'Added database "aj_Y"',
      'Added database "aj_Y" to dbgroup "aj_g" as target',
      'Note: the rows already in the other databases are not copied to "aj_Y", only changes from now on; bucardo update sync aj onetimecopy=2 copies them to each target whose table is still empty when its next run starts (onetimecopy=1: every table of the sync, emptied first)',
      '',
    ].join('\n'));
    await world.insert(a, 50);
    await kick('aj');
    expect(await world.ids(y)).toEqual([50]);
    expect(await world.ids(t)).toEqual([1, 2, 3, 50]);

    // a database lacking the sync's table: refused by the sync's check, and not added either
    const z = await unregistered('aj_Z', false);
    const refused = await world.bucardo('add', 'db', 'aj_Z', `dbname=${z.dbname}`, 'dbgroup=aj_g');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe('ERROR: Table "public.t" does not exist on database "aj_Z"; database "aj_Z" not added either [TABLE_MISSING]\n');
    // two databases, the second unreachable: the first is taken back too
    const w = await unregistered('aj_W');
    const two = await world.bucardo('add', 'db', 'aj_W,aj_V', `dbname=${w.dbname},nosuchdatabase_udg`, 'dbgroup=aj_g:target');
    expect(two.code).toBe(1);
    expect(two.stdout).toBe('');
    expect(two.stderr).toMatch(/^ERROR: Cannot connect to database "aj_V" .*; database "aj_W" not added either \[CONNECTION_FAILED\]\n$/);
    expect((await world.bucardo('list', 'dbs', 'aj_W')).stderr).toBe('ERROR: There is no database named "aj_W" [DB_NOT_FOUND]\n');
    // a dbgroup= that is neither NAME nor NAME:ROLE: nothing added
    const spec = await world.bucardo('add', 'db', 'aj_Z', `dbname=${z.dbname}`, 'dbgroup=aj_g:');
    expect(spec.code).toBe(1);
    expect(spec.stderr).toBe('ERROR: dbgroup= takes NAME or NAME:ROLE, not "aj_g:" [INVALID_ARGUMENT]\n');
    // a misspelt role: nothing added
    const role = await world.bucardo('add', 'db', 'aj_Z', `dbname=${z.dbname}`, 'dbgroup=aj_g:boss');
    expect(role.code).toBe(1);
    expect(role.stderr).toBe('ERROR: Unknown role "boss" for database "aj_Z": use source, target or fullcopy [INVALID_ARGUMENT]\n');
    expect((await world.bucardo('list', 'dbs', 'aj_Z')).stderr).toBe('ERROR: There is no database named "aj_Z" [DB_NOT_FOUND]\n');
    expect(await members('aj_g')).toBe('dbgroup: aj_g  Members: aj_A:source aj_B:source aj_T:target aj_Y:target\n');
  });

  it('a sync made a fullcopy sync loses its capture; given a target again, it captures again', async () => {
    const a = await world.database('fc_A');
    const b = await world.database('fc_B');
    const f = await world.database('fc_F');
    await world.api.addTables(['t'], { herd: 'fc_h', db: a.name });
    await world.api.addDbGroup('fc_g', [`${a.name}:source`, `${b.name}:target`, `${f.name}:fullcopy`]);
    await world.api.addSync('fc', { herd: 'fc_h', dbs: 'fc_g', autokick: 'false' });
    await world.insert(a, 1);
    await kick('fc');

    const removed = await world.bucardo('update', 'dbgroup', 'fc_g', 'remove', 'fc_B');
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe('Removed database "fc_B" from dbgroup "fc_g"\n  Removed capture of public.t on database "fc_A"\n');
    expect(await captureTriggers(a)).toBe(0);
    await world.insert(a, 2);
    await kick('fc');
    expect(await world.ids(f)).toEqual([1, 2]);

    const back = await world.bucardo('update', 'dbgroup', 'fc_g', 'fc_B');
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toBe([
      'Added database "fc_B" to dbgroup "fc_g" as target',
      'Sync "fc": capture installed on database "fc_A"; its changes from now on are sent',
      'Note: the rows already in the other databases are not copied to "fc_B", only changes from now on; bucardo update sync fc onetimecopy=2 copies them to each target whose table is still empty when its next run starts (onetimecopy=1: every table of the sync, emptied first)',
      '',
    ].join('\n'));
    expect(await captureTriggers(a)).toBe(2);
    await world.insert(a, 3);
    await kick('fc');
    expect(await world.ids(b)).toEqual([1, 3]);
    expect(await world.ids(f)).toEqual([1, 2, 3]);
  });

  it('add sync waits for an update of its dbgroup under way, and refuses when it changed the members', async () => {
    const a = await world.database('as_A');
    const b = await world.database('as_B');
    await world.api.addTables(['t'], { herd: 'as_h', db: a.name });
    await world.api.addDbGroup('as_g', [`${a.name}:source`, `${b.name}:target`]);
    const holder = await world.connect(world.controlServer.url(world.control));
    try {
      // an update dbgroup under way, as the command holds the dbgroup
      await holder.query('BEGIN');
      await holder.query("SELECT 1 FROM bucardo.dbgroup WHERE name = 'as_g' FOR NO KEY UPDATE");
      const adding = world.bucardo('add', 'sync', 'as', 'herd=as_h', 'dbs=as_g', 'autokick=false');
      await waitFor('add sync to wait for the dbgroup', async () => (await world.sql(
        "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FOR SHARE%'")).length > 0, 20_000, 20);
      await holder.query("UPDATE bucardo.dbgroup_member SET role = 'source' WHERE dbgroup = 'as_g' AND db = 'as_B'");
      await holder.query('COMMIT');
      const added = await adding;
      expect(added.code).toBe(1);
      expect(added.stdout).toBe('');
      expect(added.stderr).toBe('ERROR: Dbgroup "as_g" changed while sync "as" was added (bucardo update dbgroup): nothing was added; run the command again [SYNC_INVALID]\n');
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
    expect(await world.sql("SELECT name FROM bucardo.sync WHERE name = 'as'")).toEqual([]);
    expect(await captureTriggers(a)).toBe(0);
  });

  it('a daemon reads a source added while it runs, without a kick', async () => {
    const a = await world.database('dm_A');
    const b = await world.database('dm_B');
    await world.api.addTables(['t'], { herd: 'dm_h', db: a.name });
    await world.api.addDbGroup('dm_g', [`${a.name}:source`, `${b.name}:target`]);
    await world.api.addSync('dm', { herd: 'dm_h', dbs: 'dm_g' });
    const daemon = world.daemon();
    const pid = await daemon.start();
    await world.owned(pid, ['dm']);
    await world.insert(a, 1);
    await world.arrives(b, [1]);

    const c = await world.database('dm_C');
    await world.insert(c, 1);
    expect((await world.bucardo('update', 'dbgroup', 'dm_g', 'dm_C:source')).code).toBe(0);
    await world.insert(c, 2);
    await world.arrives(a, [1, 2]);
    await world.arrives(b, [1, 2]);
    await daemon.kill();
  });
});
