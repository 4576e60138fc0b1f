/**
 * `bucardo remove sync` says what it drops, end to end (the `bucardo` command run as a process, real
 * databases): the changes a sync had captured and not delivered are never delivered once it is gone.
 *
 *  - a sync with a backlog on two sources: `Dropped N change records sync "S" had not delivered yet
 *    (database "A": public.t 1000, public.u 234; database "B": public.t 5)`, counted from the sync's own
 *    checkpoint on each source (what an earlier run delivered is not counted);
 *  - a sync with nothing pending: no such line;
 *  - a source that cannot be reached: the count is unknown for it, and says so naming it and why, its
 *    capture stays (said too), and the sync is removed all the same, exit 0;
 *  - `remove db --force` says the same under each sync it takes along, and `update sync S remove table T` and
 *    `remove table T --force` of the tables they take out of a sync.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('remove sync says what it had not delivered', () => {
  const world = new DaemonWorld(server, 'rsb');
  beforeAll(() => world.install());
  afterAll(() => world.dispose());

  /** `bucardo kick S 0`, expecting DONE!. */
  async function kick(sync: string): Promise<void> {
    expect(await world.ok('kick', sync, '0')).toMatch(new RegExp(`^Kick ${sync}: \\[\\d+ s\\] DONE!$`, 'm'));
  }

  async function syncExists(sync: string): Promise<boolean> {
    return (await world.sql('SELECT 1 FROM bucardo.sync WHERE name = $1', [sync])).length > 0;
  }

  it('counts, per source and table, the change records after the sync\'s checkpoint', async () => {
    const a = await world.database('bk_A');
    const b = await world.database('bk_B');
    const c = await world.database('bk_C');
    for (const db of [a, b, c]) await world.query(db.url, 'CREATE TABLE u (id int PRIMARY KEY, v text)');
    await world.api.addTables(['t', 'u'], { herd: 'bk_h', db: a.name });
    await world.api.addDbGroup('bk_g', [`${a.name}:source`, `${b.name}:source`, `${c.name}:target`]);
    await world.api.addSync('bk', { herd: 'bk_h', dbs: 'bk_g', autokick: 'false' });

    // delivered by a run: not counted
    await world.insert(a, ...range(100_001, 100_050));
    await kick('bk');
    // not delivered: 1000 inserts of t and 200 inserts plus 34 updates of u on A, 5 inserts of t on B
    await world.insert(a, ...range(1, 1000));
    await world.query(a.url, "INSERT INTO u SELECT i, 'v' FROM generate_series(1, 200) AS i; UPDATE u SET v = 'w' WHERE id <= 34");
    await world.insert(b, ...range(2001, 2005));

    const removed = await world.bucardo('remove', 'sync', 'bk');
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stderr).toBe('');
    expect(removed.stdout).toBe([
      'Removed sync "bk"',
      '  Dropped 1239 change records sync "bk" had not delivered yet (database "bk_A": public.t 1000, public.u 234; database "bk_B": public.t 5)',
      '  Removed capture of public.t, public.u on database "bk_A"',
      '  Removed capture of public.t, public.u on database "bk_B"',
      '',
    ].join('\n'));
    expect(await syncExists('bk')).toBe(false);
  });

  it('says nothing of undelivered changes when the sync had delivered everything', async () => {
    const pair = await world.pair('nd', { autokick: false });
    await world.insert(pair.a, 1, 2, 3);
    await kick('nd');

    const removed = await world.bucardo('remove', 'sync', 'nd');
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe('Removed sync "nd"\n  Removed capture of public.t on database "nd_A"\n');
    expect(removed.stderr).toBe('');
  });

  it('removes the sync when a source cannot be reached, saying its count is unknown and its capture stays', async () => {
    const proxy = world.proxy();
    await proxy.open();
    const a = await world.database('gone_A', proxy);
    const b = await world.database('gone_B');
    await world.api.addTables(['t'], { herd: 'gone_h', db: a.name });
    await world.api.addDbGroup('gone_g', [`${a.name}:source`, `${b.name}:target`]);
    await world.api.addSync('gone', { herd: 'gone_h', dbs: 'gone_g', autokick: 'false' });
    await world.insert(a, 1, 2, 3);
    await proxy.close();

    const removed = await world.bucardo('remove', 'sync', 'gone');
    expect(removed.code, removed.stderr).toBe(0);
    const why = cannotConnect(a, proxy.port);
    expect(removed.stdout).toBe('Removed sync "gone"\n');
    // what needs a look is a warning on stderr, which --quiet does not silence
    const warnings = [
      `WARNING: Dropped an unknown number of change records sync "gone" had not delivered yet from database "gone_A": ${why}`,
      `WARNING: Could not remove capture on database "gone_A" (it keeps recording changes no sync reads): ${why}`,
      '',
    ].join('\n');
    expect(removed.stderr).toBe(warnings);
    expect(await syncExists('gone')).toBe(false);
    expect(await world.sql("SELECT * FROM bucardo.checkpoint WHERE sync = 'gone'")).toEqual([]);
  });

  it('--quiet silences the report, not the warnings of a source that could not be counted or cleaned', async () => {
    const proxy = world.proxy();
    await proxy.open();
    const a = await world.database('qu_A', proxy);
    const b = await world.database('qu_B');
    await world.api.addTables(['t'], { herd: 'qu_h', db: a.name });
    await world.api.addDbGroup('qu_g', [`${a.name}:source`, `${b.name}:target`]);
    await world.api.addSync('qu', { herd: 'qu_h', dbs: 'qu_g', autokick: 'false' });
    await proxy.close();

    const removed = await world.bucardo('--quiet', 'remove', 'sync', 'qu');
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe('');
    const why = cannotConnect(a, proxy.port);
    expect(removed.stderr).toBe([
      `WARNING: Dropped an unknown number of change records sync "qu" had not delivered yet from database "qu_A": ${why}`,
      `WARNING: Could not remove capture on database "qu_A" (it keeps recording changes no sync reads): ${why}`,
      '',
    ].join('\n'));
    expect(await syncExists('qu')).toBe(false);
  });

  it('remove db --force says the same of each sync it takes along', async () => {
    const pair = await world.pair('fd', { autokick: false });
    await world.insert(pair.a, 1, 2, 3);

    const removed = await world.bucardo('remove', 'db', 'fd_B', '--force');
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe([
      'Removed sync "fd", which used database "fd_B"',
      '  Dropped 3 change records sync "fd" had not delivered yet (database "fd_A": public.t 3)',
      '  Removed capture of public.t on database "fd_A"',
      'Removed database "fd_B" from dbgroup "fd_g"',
      'Removed database "fd_B"',
      '',
    ].join('\n'));
    expect(await syncExists('fd')).toBe(false);
  });

  it('update sync S remove table T and remove table T --force say the same of the tables they take out', async () => {
    const a = await world.database('rt_A');
    const b = await world.database('rt_B');
    for (const db of [a, b]) await world.query(db.url, 'CREATE TABLE u (id int PRIMARY KEY, v text); CREATE TABLE w (id int PRIMARY KEY, v text)');
    await world.api.addTables(['t', 'u', 'w'], { herd: 'rt_h', db: a.name });
    await world.api.addDbGroup('rt_g', [`${a.name}:source`, `${b.name}:target`]);
    await world.api.addSync('rt', { herd: 'rt_h', dbs: 'rt_g', autokick: 'false' });
    await world.query(a.url, "INSERT INTO u SELECT i, 'v' FROM generate_series(1, 4) i; INSERT INTO w SELECT i, 'v' FROM generate_series(1, 2) i");
    await world.insert(a, 1);

    const fromSync = await world.bucardo('update', 'sync', 'rt', 'remove', 'table', 'u');
    expect(fromSync.code, fromSync.stderr).toBe(0);
    expect(fromSync.stdout).toBe('Removed from sync "rt": public.u\n  Dropped 4 change records sync "rt" had not delivered yet (database "rt_A": public.u 4)\n');
    const forced = await world.bucardo('remove', 'table', 'w', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toBe('Removed the following tables:\n  public.w\n  Dropped 2 change records sync "rt" had not delivered yet (database "rt_A": public.w 2)\n');
    // t's change is still the sync's, and delivered
    expect(await world.ok('kick', 'rt', '0')).toMatch(/DONE!/);
    expect(await world.ids(b)).toEqual([1]);
    expect(await world.query(b.url, 'SELECT count(*)::int AS n FROM u')).toEqual([{ n: 0 }]);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** The postgres plugin's message for a database whose port (the closed proxy's) refuses connections. */
function cannotConnect(db: Db, port: number): string {
  return `Cannot connect to database "${db.name}" (dbname=${db.dbname} host=127.0.0.1 port=${port}): connect ECONNREFUSED 127.0.0.1:${port}`;
}
