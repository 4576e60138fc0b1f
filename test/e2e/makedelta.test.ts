/**
 * makedelta (Bucardo's scenario 10-makedelta), the commands run as processes: tables t1 and t2 with
 * makedelta=on, t4 off; sync s1 A:source,B:source and sync s2 B:source → C:target. What s1 writes into B
 * is recorded there as B's changes, so s2 carries it on to C (t1, t2), except for t4; what s2 finds on B
 * comes from either side; s1 never reads its own records back (no echo); a truncate is passed on too. A
 * star: a hub with makedelta=on (the database's flag) and a two-source sync per leaf. Under a daemon the
 * autokick runs stop; a bulk update that refreshAbove would copy whole is applied key by key, recorded; an
 * additive column's records carry new - old. A flat-file database cannot
 * have makedelta: refused, naming it, nothing stored. `list tables`/`list dbs` show the flag.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, sleep, waitFor, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'mkd');
const TABLES = ['t1', 't2', 't4'];
let a: Db;
let b: Db;
let c: Db;

/** SQL: the sync whose makedelta mark the record `d` of table `table` carries (NULL: the application's). */
const MARKED_BY = (table: string) => `(SELECT m.sync FROM bucardo.made_delta m WHERE m.tablename = '${table}' AND m.bucardo_txid = d.bucardo_txid)`;

async function rows(db: Db, table: string): Promise<string[]> {
  return (await world.query(db.url, `SELECT id || ':' || v AS r FROM ${table} ORDER BY id`)).map((row) => row.r as string);
}

async function kick(sync: string): Promise<void> {
  expect(await world.ok('kick', sync, '0')).toMatch(new RegExp(`^Kick ${sync}: \\[\\d+ s\\] DONE!$`, 'm'));
}

describe('makedelta: a cascade A⇄B, B→C', () => {
  beforeAll(async () => {
    await world.install();
    [a, b, c] = [await world.database('md_A'), await world.database('md_B'), await world.database('md_C')];
    for (const db of [a, b, c]) await world.query(db.url, TABLES.map((t) => `CREATE TABLE ${t} (id int PRIMARY KEY, v text);`).join(''));
    expect(await world.ok('add', 'table', 't1', 't2', 'herd=md_h', 'db=md_A', 'makedelta=on')).toContain('public.t1 (DB: md_A)');
    await world.ok('add', 'table', 't4', 'herd=md_h', 'db=md_A');
    expect(await world.ok('update', 'table', 't4', 'makedelta=off')).toBe('Set makedelta of public.t4 to off\n');
    await world.api.addDbGroup('md_g1', ['md_A:source', 'md_B:source']);
    await world.api.addDbGroup('md_g2', ['md_B:source', 'md_C:target']);
    await world.api.addSync('s1', { herd: 'md_h', dbs: 'md_g1', autokick: 'false' });
    await world.api.addSync('s2', { herd: 'md_h', dbs: 'md_g2', autokick: 'false' });
  });
  afterAll(() => world.dispose());

  it('list tables shows each table\'s makedelta', async () => {
    const listed = await world.ok('list', 'tables');
    expect(listed).toMatch(/Table: public\.t1 .*\(makedelta:on\)\n/);
    expect(listed).toMatch(/Table: public\.t2 .*\(makedelta:on\)\n/);
    expect(listed).toMatch(/Table: public\.t4 .*\(makedelta:off\)\n/);
  });

  it('rows s1 writes into B reach C through s2 for t1 and t2, never for t4; s1 reads none of them back', async () => {
    await world.query(a.url, "INSERT INTO t1 VALUES (1, 'A one'); INSERT INTO t4 VALUES (4, 'A four')");
    await world.query(b.url, "INSERT INTO t2 VALUES (2, 'B two')");
    await kick('s1');
    expect(await rows(b, 't1')).toEqual(['1:A one']);
    expect(await rows(a, 't2')).toEqual(['2:B two']);
    expect(await rows(b, 't4')).toEqual(['4:A four']);
    // recorded on B as B's change, its transaction marked as s1's: t1's row only (t2's is B's own, t4 is off);
    // an insert, since B did not have the key
    expect(await world.query(b.url, `SELECT id, bucardo_op AS op, ${MARKED_BY('t1')} AS sync FROM bucardo.delta_public_t1 d`)).toEqual([{ id: '1', op: 'I', sync: 's1' }]);
    expect(await world.query(b.url, 'SELECT count(*)::int AS n FROM bucardo.delta_public_t4')).toEqual([{ n: 0 }]);
    expect(await world.query(b.url, 'SELECT tablename, sync FROM bucardo.made_delta ORDER BY tablename')).toEqual([{ tablename: 't1', sync: 's1' }]);
    // no echo: s1's next run finds nothing on either side
    expect((await world.api.runSync('s1')).outcome).toBe('empty');
    await kick('s2');
    expect(await rows(c, 't1')).toEqual(['1:A one']);
    expect(await rows(c, 't2')).toEqual(['2:B two']);
    expect(await rows(c, 't4')).toEqual([]);
    expect((await world.api.runSync('s2')).outcome).toBe('empty');
  });

  it('updates and deletes made on A cascade to C too, recorded on B as U where B had the key, I where not, D', async () => {
    await world.query(a.url, "UPDATE t1 SET v = 'A one, again' WHERE id = 1; DELETE FROM t2 WHERE id = 2; INSERT INTO t1 VALUES (3, 'A three')");
    await kick('s1');
    // B's records of the run that just wrote there (its transaction's)
    const lastRun = (table: string) => world.query(b.url, `SELECT id, bucardo_op AS op, ${MARKED_BY(table)} AS sync FROM bucardo.delta_public_${table} d
      WHERE bucardo_txid = (SELECT bucardo_txid FROM bucardo.delta_public_${table} ORDER BY bucardo_txid DESC LIMIT 1) ORDER BY id`);
    expect(await lastRun('t1')).toEqual([{ id: '1', op: 'U', sync: 's1' }, { id: '3', op: 'I', sync: 's1' }]);
    expect(await lastRun('t2')).toEqual([{ id: '2', op: 'D', sync: 's1' }]);
    expect((await world.api.runSync('s1')).outcome).toBe('empty');
    await kick('s2');
    for (const db of [a, b, c]) {
      expect(await rows(db, 't1')).toEqual(['1:A one, again', '3:A three']);
      expect(await rows(db, 't2')).toEqual([]);
    }
    expect(await rows(c, 't4')).toEqual([]);
  });

  it('a truncate on A is passed on: s1 empties B and records the truncate there, s2 empties C', async () => {
    await world.query(c.url, "INSERT INTO t1 VALUES (9, 'only on C')");
    await world.query(a.url, "TRUNCATE t1; INSERT INTO t1 VALUES (5, 'after the truncate')");
    await kick('s1');
    expect(await world.query(b.url, `SELECT tablename, ${MARKED_BY('t1')} AS sync FROM bucardo.truncate_log d`)).toEqual([{ tablename: 't1', sync: 's1' }]);
    expect((await world.api.runSync('s1')).outcome).toBe('empty');
    await kick('s2');
    for (const db of [a, b, c]) expect(await rows(db, 't1')).toEqual(['5:after the truncate']);
  });
});

describe('makedelta: a star around a hub with makedelta=on', () => {
  const star = new DaemonWorld(server, 'mks');
  const leaves: Db[] = [];
  let hub: Db;
  beforeAll(async () => {
    await star.install();
    hub = await star.database('hub');
    for (const name of ['leaf1', 'leaf2', 'leaf3']) leaves.push(await star.database(name));
    expect(await star.ok('update', 'db', 'hub', 'makedelta=on')).toMatch(/^Changed database "hub": makedelta\n/);
    await star.api.addTables(['t'], { herd: 'star', db: 'hub' });
    for (const [index, leaf] of leaves.entries()) {
      await star.api.addDbGroup(`g${index + 1}`, ['hub:source', `${leaf.name}:source`]);
      await star.api.addSync(`h${index + 1}`, { herd: 'star', dbs: `g${index + 1}`, autokick: 'false' });
    }
  });
  afterAll(() => star.dispose());

  it('a row inserted on one leaf reaches every leaf through the hub, and no sync reads its own rows back', async () => {
    await star.query(leaves[0]!.url, "INSERT INTO t VALUES (1, 'from leaf1')");
    await star.query(leaves[2]!.url, "INSERT INTO t VALUES (3, 'from leaf3')");
    for (const sync of ['h1', 'h3', 'h2']) expect(await star.ok('kick', sync, '0')).toMatch(/DONE!/);
    // h1 ran before h3 wrote leaf3's row into the hub: it takes it now
    expect(await star.ok('kick', 'h1', '0')).toMatch(/DONE!/);
    for (const db of [hub, ...leaves]) {
      expect((await star.query(db.url, "SELECT id || ':' || v AS r FROM t ORDER BY id")).map((row) => row.r)).toEqual(['1:from leaf1', '3:from leaf3']);
    }
    for (const sync of ['h1', 'h2', 'h3']) expect((await star.api.runSync(sync)).outcome).toBe('empty');
  });
});

describe('makedelta under a daemon: autokick syncs A⇄B (makedelta on A and B) and B→C', () => {
  const live = new DaemonWorld(server, 'mkl');
  let la: Db;
  let lc: Db;
  beforeAll(async () => {
    await live.install();
    la = await live.database('ml_A');
    await live.database('ml_B');
    lc = await live.database('ml_C');
    await live.api.updateDatabase('ml_A', { makedelta: 'on' }, { force: true });
    await live.api.updateDatabase('ml_B', { makedelta: 'on' }, { force: true });
    await live.api.addTables(['t'], { herd: 'ml_h', db: 'ml_A' });
    await live.api.addDbGroup('ml_g1', ['ml_A:source', 'ml_B:source']);
    await live.api.addDbGroup('ml_g2', ['ml_B:source', 'ml_C:target']);
    await live.api.addSync('l1', { herd: 'ml_h', dbs: 'ml_g1' });
    await live.api.addSync('l2', { herd: 'ml_h', dbs: 'ml_g2' });
  });
  afterAll(() => live.dispose());

  it('a row inserted on A reaches C, and the runs stop: no sync keeps reading its own records back', async () => {
    const daemon = live.daemon();
    await daemon.registered(await daemon.start());
    try {
      await live.query(la.url, "INSERT INTO t VALUES (1, 'from A')");
      await waitFor('the row on C', async () => (await live.query(lc.url, 'SELECT v FROM t WHERE id = 1')).length > 0, 15_000, 50);
      const runs = async () => Number((await live.sql("SELECT count(*)::int AS n FROM bucardo.syncrun WHERE sync = 'l1'"))[0]!.n);
      // l1 runs once more after writing into B, empty, which moves its checkpoint past its own records
      await sleep(2_000);
      const settled = await runs();
      await sleep(2_000);
      expect(await runs()).toBe(settled);
      expect(settled).toBeLessThanOrEqual(3);
    } finally {
      await daemon.kill();
    }
  });
});

describe('makedelta and refreshAbove: A→B copying whole, B→C', () => {
  const bulk = new DaemonWorld(server, 'mkr');
  let ra: Db;
  let rb: Db;
  let rc: Db;
  beforeAll(async () => {
    await bulk.install();
    ra = await bulk.database('mr_A');
    rb = await bulk.database('mr_B');
    rc = await bulk.database('mr_C');
    await bulk.api.addTables(['t'], { herd: 'mr_h', db: 'mr_A', makedelta: 'mr_B' });
    await bulk.api.addDbGroup('mr_g1', ['mr_A:source', 'mr_B:target']);
    await bulk.api.addDbGroup('mr_g2', ['mr_B:source', 'mr_C:target']);
    await bulk.api.addSync('r1', { herd: 'mr_h', dbs: 'mr_g1', autokick: 'false', refreshabove: '0.5' });
    await bulk.api.addSync('r2', { herd: 'mr_h', dbs: 'mr_g2', autokick: 'false' });
  });
  afterAll(() => bulk.dispose());

  it('a bulk update that r1 would copy whole is applied key by key where makedelta records it, so it reaches C', async () => {
    await bulk.query(ra.url, "INSERT INTO t SELECT i, 'first' FROM generate_series(1, 100000) i");
    expect((await bulk.api.runSync('r1')).outcome).toBe('good');
    // B only a target of r1 (no local-change guard): the rows it had not are recorded as inserts
    const ops = () => bulk.query(rb.url, 'SELECT bucardo_op AS op, count(*)::int AS n FROM bucardo.delta_public_t GROUP BY 1 ORDER BY 1');
    expect(await ops()).toEqual([{ op: 'I', n: 100000 }]);
    expect((await bulk.api.runSync('r2')).outcome).toBe('good');
    await bulk.query(ra.url, 'ANALYZE t');
    await bulk.query(ra.url, "UPDATE t SET v = 'second'");
    expect((await bulk.api.runSync('r1')).outcome).toBe('good');
    expect(await ops()).toEqual([{ op: 'I', n: 100000 }, { op: 'U', n: 100000 }]);
    expect((await bulk.api.runSync('r2')).outcome).toBe('good');
    expect(await bulk.query(rc.url, 'SELECT v, count(*)::int AS n FROM t GROUP BY v')).toEqual([{ v: 'second', n: 100000 }]);
  });
});

describe('makedelta with an additive column: A⇄B, B⇄C', () => {
  const adds = new DaemonWorld(server, 'mka');
  let x: Db;
  let y: Db;
  let z: Db;
  const balances = async (db: Db) => (await adds.query(db.url, 'SELECT id, bal FROM acc ORDER BY id')).map((row) => `${row.id}:${row.bal}`);
  beforeAll(async () => {
    await adds.install();
    [x, y, z] = [await adds.database('ma_A'), await adds.database('ma_B'), await adds.database('ma_C')];
    for (const db of [x, y, z]) await adds.query(db.url, 'CREATE TABLE acc (id int PRIMARY KEY, bal int); INSERT INTO acc VALUES (1, 100)');
    await adds.api.addTables(['acc'], { herd: 'ma_h', db: 'ma_A', additive: ['bal'], makedelta: 'on' });
    await adds.api.addDbGroup('ma_g1', ['ma_A:source', 'ma_B:source']);
    await adds.api.addDbGroup('ma_g2', ['ma_B:source', 'ma_C:source']);
    await adds.api.addSync('a1', { herd: 'ma_h', dbs: 'ma_g1', autokick: 'false' });
    await adds.api.addSync('a2', { herd: 'ma_h', dbs: 'ma_g2', autokick: 'false' });
  });
  afterAll(() => adds.dispose());

  it('a relayed change carries its new - old, so a conflict further on adds every source\'s change once', async () => {
    await adds.query(x.url, 'UPDATE acc SET bal = bal + 50 WHERE id = 1');
    await adds.query(z.url, 'UPDATE acc SET bal = bal + 7 WHERE id = 1');
    expect((await adds.api.runSync('a1')).outcome).toBe('good');
    // recorded on B as the trigger would have: +50, marked as a1's
    expect(await adds.query(y.url, `SELECT id, bucardo_op AS op, bucardo_add_bal::int AS delta, ${MARKED_BY('acc')} AS sync FROM bucardo.delta_public_acc d`)).toEqual([{ id: '1', op: 'U', delta: 50, sync: 'a1' }]);
    // B's +50 (relayed) and C's +7 meet in a2: 100 + 50 + 7
    const second = await adds.api.runSync('a2');
    expect(second.outcome).toBe('good');
    expect(second.conflicts).toBe(1);
    expect(await balances(y)).toEqual(['1:157']);
    expect(await balances(z)).toEqual(['1:157']);
    // a2 wrote 157 into B (+7 there), which a1 carries back to A
    expect((await adds.api.runSync('a1')).outcome).toBe('good');
    for (const db of [x, y, z]) expect(await balances(db)).toEqual(['1:157']);
    expect((await adds.api.runSync('a1')).outcome).toBe('empty');
    expect((await adds.api.runSync('a2')).outcome).toBe('empty');
  });
});

describe('makedelta: databases that cannot record changes', () => {
  const refusals = new DaemonWorld(server, 'mkdf');
  beforeAll(async () => {
    await refusals.install();
    await refusals.database('mf_A');
  });
  afterAll(() => refusals.dispose());

  it('add db of a flat file with makedelta=on is refused, naming it; nothing is stored', async () => {
    const dir = refusals.tempDir('flat');
    const r = await refusals.bucardo('add', 'db', 'mf_F', 'type=flatfile', `dir=${dir}`, 'makedelta=on');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Database "mf_F" (type flatfile) cannot have makedelta (makedelta=on)');
    expect(r.stderr).toContain('[DB_ROLE_UNSUPPORTED]');
    expect(await refusals.sql("SELECT name FROM bucardo.db WHERE name = 'mf_F'")).toEqual([]);
  });

  it('a table\'s makedelta naming a flat file is refused; a postgres database and update db makedelta=on are taken and listed', async () => {
    await refusals.ok('add', 'db', 'mf_F', 'type=flatfile', `dir=${refusals.tempDir('flat')}`);
    const r = await refusals.bucardo('add', 'table', 't', 'db=mf_A', 'makedelta=mf_A,mf_F');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Database "mf_F" (type flatfile) cannot have makedelta (makedelta=mf_A,mf_F)');
    expect(r.stderr).toContain('[DB_ROLE_UNSUPPORTED]');
    expect(await refusals.sql('SELECT count(*)::int AS n FROM bucardo.relation')).toEqual([{ n: 0 }]);
    expect(await refusals.ok('add', 'table', 't', 'db=mf_A', 'makedelta=mf_A')).toContain('public.t (DB: mf_A)');
    expect(await refusals.ok('list', 'tables')).toMatch(/Table: public\.t .*\(makedelta:mf_A\)\n/);
    const refusedUpdate = await refusals.bucardo('update', 'db', 'mf_F', 'makedelta=on');
    expect(refusedUpdate.stderr).toContain('[DB_ROLE_UNSUPPORTED]');
    expect(await refusals.ok('update', 'db', 'mf_A', 'makedelta=on')).toBe(`Changed database "mf_A": makedelta\n  Conn: ${(await refusals.api.listDatabases()).find((db) => db.name === 'mf_A')!.connection}\n`);
    expect(await refusals.ok('list', 'dbs')).toMatch(/Database: mf_A .* \(makedelta on\)\n/);
  });
});
