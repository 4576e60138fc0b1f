/**
 * A table's columns changed while a daemon keeps its sessions (and the shapes it checked) between runs.
 * A run reads the tables its capture found changes for again on the first source, so:
 *
 *  - a column added on the target and then on the source is carried by the next change, and the daemon
 *    says it checked the tables again (before, the kept shape left the column out of every row sent until
 *    a run failed: the target kept NULL);
 *  - a column added on the source alone fails the runs, naming the target and the column, and moves no
 *    checkpoint; once the target has it, the change arrives with the column's value;
 *  - a key replaced on the source fails the runs with what to do, not with a column missing from the
 *    capture's delta table, and the lossless way it gives (the old key unique again) delivers what was held;
 *  - in a run cut into key partitions, a table whose changes are all in a later partition is checked too;
 *  - a later source whose own key differs from the first source's is read and written by the first's;
 *  - a column a target requires (NOT NULL, no default) and the source lacks fails validate and the runs up
 *    front, naming it, instead of a constraint error per run;
 *  - `validate` warns (exit 0) about a column only a later source has: its values stay there, and every row
 *    the sync writes on that source gets the column's default.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, waitFor, type DaemonHandle, type Db, type Pair } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('a table changed under a running daemon', () => {
  const world = new DaemonWorld(server, 'shc');
  let sc: Pair;
  let d: DaemonHandle;
  const logLines = (text: string): string[] => d.log().split('\n').filter((line) => line.includes(text));
  const row = async (db: Db, id: number) => (await world.query(db.url, 'SELECT * FROM t WHERE id = $1', [id]))[0];
  const checkpoints = () => world.sql("SELECT db, position FROM bucardo.checkpoint WHERE sync = 'sc' ORDER BY db");

  beforeAll(async () => {
    await world.install();
    sc = await world.pair('sc');
    d = world.daemon();
    const pid = await d.start();
    await world.owned(pid, ['sc']);
    await world.insert(sc.a, 1);
    await world.arrives(sc.b, [1]);
  });
  afterAll(() => world.dispose());

  it('a column added on the target, then on the source: the next change carries it', async () => {
    await world.query(sc.b.url, 'ALTER TABLE t ADD COLUMN w text');
    await world.query(sc.a.url, 'ALTER TABLE t ADD COLUMN w text');
    await world.query(sc.a.url, "UPDATE t SET w = 'w1' WHERE id = 1");
    await world.query(sc.a.url, "INSERT INTO t (id, v, w) VALUES (2, 'v2', 'w2')");
    await waitFor('row 2 on sc_B', async () => (await row(sc.b, 2)) !== undefined);
    expect(await row(sc.b, 1)).toEqual({ id: 1, v: 'v1', w: 'w1' });
    expect(await row(sc.b, 2)).toEqual({ id: 2, v: 'v2', w: 'w2' });
    expect(logLines('since it was checked')).toHaveLength(1);
    expect(logLines('since it was checked')[0]).toContain(
      `Table "public.t" on database "sc_A" gained column "w" since it was checked: checking the sync's tables on every database again`);
  });

  it('a column added on the source alone: runs fail naming the target and the column, and the change arrives once the target has it', async () => {
    const before = await checkpoints();
    await world.query(sc.a.url, 'ALTER TABLE t ADD COLUMN x integer');
    await world.query(sc.a.url, 'UPDATE t SET x = 5 WHERE id = 1');
    const [refused] = await waitFor('a refused run', async () => {
      const rows = await world.sql("SELECT error->>'code' AS code, error->>'message' AS message FROM bucardo.syncrun WHERE sync = 'sc' AND outcome = 'bad' ORDER BY id DESC LIMIT 1");
      return rows.length > 0 ? rows : undefined;
    });
    expect(refused).toEqual({ code: 'TABLE_COLUMNS_MISMATCH', message: 'Table "public.t" on database "sc_B" has no column "x"' });
    expect(await checkpoints()).toEqual(before);
    expect(await row(sc.b, 1)).toEqual({ id: 1, v: 'v1', w: 'w1' });

    await world.query(sc.b.url, 'ALTER TABLE t ADD COLUMN x integer');
    await waitFor('x on sc_B', async () => (await row(sc.b, 1))?.x === 5, 30_000);
    expect(await row(sc.b, 1)).toEqual({ id: 1, v: 'v1', w: 'w1', x: 5 });
    expect(await checkpoints()).not.toEqual(before);
  });

  it('a key replaced on the source: runs fail saying so, naming the database and table, and move no checkpoint', async () => {
    const before = await checkpoints();
    const lastRun = Number((await world.sql("SELECT max(id) AS id FROM bucardo.syncrun WHERE sync = 'sc'"))[0]!.id);
    for (const db of [sc.a, sc.b]) await world.query(db.url, 'ALTER TABLE t DROP CONSTRAINT t_pkey, ADD PRIMARY KEY (id, v)');
    await world.insert(sc.a, 3);
    const [refused] = await waitFor('a refused run', async () => {
      const rows = await world.sql("SELECT error->>'code' AS code, error->>'message' AS message, error->>'db' AS db FROM bucardo.syncrun WHERE sync = 'sc' AND outcome = 'bad' AND id > $1 ORDER BY id DESC LIMIT 1", [lastRun]);
      return rows.length > 0 ? rows : undefined;
    });
    expect(refused).toEqual({
      code: 'CAPTURE_FAILED',
      db: 'sc_A',
      message: 'The key of table "public.t" on database "sc_A" is now (id, v), its primary key, but its capture records changes by another key (column "v" does not exist): the key was replaced, or a key column renamed. '
        + 'To lose nothing, give a renamed column its old name, or make the old key unique again on every database (CREATE UNIQUE INDEX on its columns, NOT NULL): the sync goes on by it. '
        + 'To move to the new key: bucardo remove table public.t --force, then add it again and copy it anew (onetimecopy=1); the changes held for it are dropped with its capture, '
        + 'and the copy goes from the first source to the targets only: with several sources, stop the writers and make the sources agree first (bucardo compare), or rows only the others have are lost',
    });
    expect(await checkpoints()).toEqual(before);
    expect(await row(sc.b, 3)).toBeUndefined();
    // the backlog held meanwhile can still be looked at
    const backlog = await world.bucardo('delta', 'sc_A');
    expect(backlog.code, backlog.stderr).toBe(0);
    expect(backlog.stdout).toMatch(/^ {2}Total deltas for database sc_A: [1-9]\d*$/m);
    // and validate says so (it said OK while every run failed)
    const validated = await world.bucardo('validate', 'sc');
    expect(validated.code).toBe(1);
    expect(validated.stdout).toContain('Validating sync sc ... FAILED\n'
      + '  The key of table "public.t" is now (id, v), its primary key on the first source, but its capture on database "sc_A" records changes by (id): every run fails reading its changes. '
      + 'To lose nothing, give a renamed column its old name, or make the old key unique again on every database (CREATE UNIQUE INDEX on its columns, NOT NULL). '
      + 'To move to the new key: bucardo remove table public.t --force, then add it again and copy it anew (onetimecopy=1); the changes held for it are dropped with its capture [CAPTURE_FAILED]\n');

    // the lossless way out: the old key unique again, and the held change arrives
    for (const db of [sc.a, sc.b]) await world.query(db.url, 'CREATE UNIQUE INDEX t_id ON t (id)');
    await waitFor('row 3 on sc_B', async () => (await row(sc.b, 3)) !== undefined, 30_000);
    expect(await row(sc.b, 3)).toEqual({ id: 3, v: 'v3', w: null, x: null });
    expect(await checkpoints()).not.toEqual(before);
    expect(await world.ok('validate', 'sc')).toBe('Validating sync sc ... OK\n');
  });
});

describe('a table changed under a daemon that captures in key partitions', () => {
  const world = new DaemonWorld(server, 'shp');
  let a: Db;
  let b: Db;
  let d: DaemonHandle;

  beforeAll(async () => {
    await world.install();
    a = await world.database('pa_A');
    b = await world.database('pa_B');
    for (const db of [a, b]) await world.query(db.url, 'CREATE TABLE u (id int PRIMARY KEY, v text)');
    await world.api.addTables(['t', 'u'], { herd: 'pa_h', db: a.name });
    await world.api.addDbGroup('pa_g', [`${a.name}:source`, `${b.name}:target`]);
    await world.api.addSync('pa', { herd: 'pa_h', dbs: 'pa_g', autokick: 'false' });
    const config = path.join(world.tempDir('cfg'), 'bucardo.config.ts');
    writeFileSync(config, 'export default { partitionSize: 2 };\n');
    d = world.daemon();
    const pid = await d.start('--config', config);
    await world.owned(pid, ['pa']);
    await world.insert(a, 2);
    expect(await world.ok('kick', 'pa', '0')).toMatch(/DONE!/);
  });
  afterAll(() => world.dispose());

  it('a table with changes only in a later partition is checked too', async () => {
    for (const db of [b, a]) await world.query(db.url, 'ALTER TABLE u ADD COLUMN w text');
    // t's key 2 is in the first of two partitions, u's keys 1 and 3 in the second
    await world.query(a.url, "UPDATE t SET v = 'x' WHERE id = 2; INSERT INTO u VALUES (1, 'a', 'w1'), (3, 'c', 'w3')");
    expect(await world.ok('kick', 'pa', '0')).toMatch(/DONE!/);
    expect(d.log()).toContain('capturing them in 2 key partitions');
    expect(d.log()).toContain('Table "public.u" on database "pa_A" gained column "w" since it was checked');
    expect(await world.query(b.url, 'SELECT * FROM u ORDER BY id')).toEqual([{ id: 1, v: 'a', w: 'w1' }, { id: 3, v: 'c', w: 'w3' }]);
    expect(await world.query(b.url, 'SELECT * FROM t ORDER BY id')).toEqual([{ id: 2, v: 'x' }]);
  });
});

describe('a later source whose own key is another one', () => {
  const world = new DaemonWorld(server, 'shk');

  beforeAll(() => world.install());
  afterAll(() => world.dispose());

  it('is written and read by the first source\'s key: the sync runs, both ways', async () => {
    const a = await world.database('kk_A');
    const b = await world.database('kk_B');
    await world.query(a.url, 'CREATE TABLE k2 (a int, b int, v text, PRIMARY KEY (a, b))');
    await world.query(b.url, 'CREATE TABLE k2 (a int PRIMARY KEY, b int NOT NULL, v text)');
    await world.api.addTables(['k2'], { herd: 'kk_h', db: a.name });
    await world.api.addDbGroup('kk_g', [`${a.name}:source`, `${b.name}:source`]);
    await world.api.addSync('kk', { herd: 'kk_h', dbs: 'kk_g', autokick: 'false' });
    await world.query(a.url, "INSERT INTO k2 VALUES (1, 10, 'from A')");
    await world.query(b.url, "INSERT INTO k2 VALUES (2, 20, 'from B')");
    expect(await world.ok('kick', 'kk', '0')).toMatch(/DONE!/);
    await world.query(b.url, "UPDATE k2 SET v = 'B again' WHERE a = 1");
    expect(await world.ok('kick', 'kk', '0')).toMatch(/DONE!/);
    for (const db of [a, b]) expect(await world.query(db.url, 'SELECT a, b, v FROM k2 ORDER BY a')).toEqual([{ a: 1, b: 10, v: 'B again' }, { a: 2, b: 20, v: 'from B' }]);
    expect(await world.ok('validate', 'kk')).toBe('Validating sync kk ... OK\n');
  });
});

describe('a column a target requires and the source lacks', () => {
  const world = new DaemonWorld(server, 'shn');
  let nn: Pair;

  beforeAll(async () => {
    await world.install();
    nn = await world.pair('nn', { autokick: false });
  });
  afterAll(() => world.dispose());

  it('fails validate and the runs up front, naming the database, table and column, until it has a default', async () => {
    await world.query(nn.b.url, 'ALTER TABLE t ADD COLUMN must int NOT NULL DEFAULT 0; ALTER TABLE t ALTER COLUMN must DROP DEFAULT');
    const problem = 'Table "public.t" on database "nn_B" has column "must" NOT NULL without a default, which the first source "nn_A" lacks: every row the sync writes there would fail (give it a default, drop NOT NULL, or add it on the sources)';
    const validated = await world.bucardo('validate', 'nn');
    expect(validated.code).toBe(1);
    expect(validated.stdout).toBe(`Validating sync nn ... FAILED\n  ${problem} [TABLE_COLUMNS_MISMATCH]\n`);
    await world.insert(nn.a, 1);
    const kicked = await world.bucardo('kick', 'nn', '0');
    expect(kicked.code).toBe(2);
    expect(kicked.stdout).toContain(`${problem} [TABLE_COLUMNS_MISMATCH]`);
    expect(await world.ids(nn.b)).toEqual([]);

    await world.query(nn.b.url, 'ALTER TABLE t ALTER COLUMN must SET DEFAULT 7');
    expect(await world.ok('validate', 'nn')).toBe('Validating sync nn ... OK\n');
    expect(await world.ok('kick', 'nn', '0')).toMatch(/DONE!/);
    expect(await world.query(nn.b.url, 'SELECT id, v, must FROM t')).toEqual([{ id: 1, v: 'v1', must: 7 }]);
  });
});

describe('validate: a column only a later source has', () => {
  const world = new DaemonWorld(server, 'shv');
  let a: Db;
  let c: Db;

  beforeAll(async () => {
    await world.install();
    a = await world.database('mm_A');
    c = await world.database('mm_C');
    await world.api.addTables(['t'], { herd: 'mm_h', db: a.name });
    await world.api.addDbGroup('mm_g', [`${a.name}:source`, `${c.name}:source`]);
    await world.api.addSync('mm', { herd: 'mm_h', dbs: 'mm_g', autokick: 'false' });
  });
  afterAll(() => world.dispose());

  it('is OK with a warning naming the database, table and column, and exits 0', async () => {
    expect(await world.ok('validate', 'mm')).toBe('Validating sync mm ... OK\n');
    await world.query(c.url, 'ALTER TABLE t ADD COLUMN note text');
    const r = await world.bucardo('validate', 'mm');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe([
      'Validating sync mm ... OK',
      '  Warning: Table "public.t" on source database "mm_C" has column "note", which the first source "mm_A" lacks: its values are not replicated, and each row the sync writes on "mm_C" gets the column\'s default [TABLE_COLUMNS_MISMATCH]',
      '',
    ].join('\n'));
  });

  it('a column widened on one database first (int to bigint) is a warning, and the sync runs', async () => {
    await world.query(c.url, 'ALTER TABLE t ALTER COLUMN id TYPE bigint');
    const r = await world.bucardo('validate', 'mm');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toContain('  Warning: Column "id" of table "public.t" is bigint on database "mm_C" and integer on the first source "mm_A": allowed, as it holds every value of it; a value only bigint holds, written on "mm_C", fails the runs until the others hold it too [TABLE_COLUMNS_MISMATCH]');
    // text and an unbounded varchar hold the same values: no value only one of them holds to warn of
    await world.query(c.url, 'ALTER TABLE t ALTER COLUMN v TYPE varchar');
    const widened = (await world.bucardo('validate', 'mm')).stdout;
    expect(widened.split('\n')).toContain('  Warning: Column "v" of table "public.t" is character varying on database "mm_C" and text on the first source "mm_A": allowed, as it holds every value of it [TABLE_COLUMNS_MISMATCH]');
    await world.query(c.url, 'ALTER TABLE t ALTER COLUMN v TYPE text');
    await world.insert(a, 41);
    await world.insert(c, 42);
    expect(await world.ok('kick', 'mm', '0')).toMatch(/DONE!/);
    for (const db of [a, c]) expect(await world.ids(db)).toEqual([41, 42]);
  });

  it('a key column widened everywhere (int to bigint) goes on being captured, values beyond int included', async () => {
    for (const db of [a, c]) await world.query(db.url, 'ALTER TABLE t ALTER COLUMN id TYPE bigint');
    // the application's write of a value only bigint holds: its capture must not fail it. On a new
    // connection: one whose PL/pgSQL triggers already ran keeps their plans for int until it reconnects
    // ("type of parameter … does not match that when preparing the plan"), with any PL/pgSQL trigger
    const app = await world.connect(a.url);
    try {
      await app.query("INSERT INTO t VALUES (3000000000, 'big')");
    } finally {
      await app.end();
    }
    expect(await world.ok('kick', 'mm', '0')).toMatch(/DONE!/);
    expect(await world.query(c.url, 'SELECT id::text, v FROM t WHERE id > 100')).toEqual([{ id: '3000000000', v: 'big' }]);
  });
});

describe('a key dropped under a running daemon', () => {
  const world = new DaemonWorld(server, 'shk');
  let sk: Pair;
  let d: DaemonHandle;

  beforeAll(async () => {
    await world.install();
    sk = await world.pair('sk');
    d = world.daemon();
    const pid = await d.start();
    await world.owned(pid, ['sk']);
    await world.insert(sk.a, 1);
    await world.arrives(sk.b, [1]);
  });
  afterAll(() => world.dispose());

  it('the log says the table lost its key (not "a new key (none, none)"), runs fail with TABLE_NO_KEY, and the change arrives once the key is back', async () => {
    await world.query(sk.a.url, 'ALTER TABLE t DROP CONSTRAINT t_pkey');
    await world.query(sk.a.url, "UPDATE t SET v = 'changed' WHERE id = 1");
    const [refused] = await waitFor('a refused run', async () => {
      const rows = await world.sql("SELECT error->>'code' AS code FROM bucardo.syncrun WHERE sync = 'sk' AND outcome = 'bad' ORDER BY id DESC LIMIT 1");
      return rows.length > 0 ? rows : undefined;
    });
    expect(refused).toEqual({ code: 'TABLE_NO_KEY' });
    expect(d.log()).toContain(`Table "public.t" on database "sk_A" lost its key (id, primary key) since it was checked`);
    expect((await world.query(sk.b.url, 'SELECT v FROM t WHERE id = 1'))[0]).toEqual({ v: 'v1' });

    await world.query(sk.a.url, 'ALTER TABLE t ADD PRIMARY KEY (id)');
    await waitFor('the change on sk_B', async () => (await world.query(sk.b.url, 'SELECT v FROM t WHERE id = 1'))[0]?.v === 'changed', 30_000);
  });
});
