/**
 * makedelta's settings, the commands run as processes: a `makedelta=` naming no database is refused,
 * naming it, with exit 1 and nothing changed (nor by an `update table` whose other change is refused); and
 * makedelta turned on for a table whose capture was installed before (an existing sync's, from before
 * makedelta: no `bucardo.made_delta`), after which the cascade carries the new rows on and the writing
 * sync reads none of them back; and, under a daemon, its change probe names the sync on the database it
 * now records into (after the next run), where it kept the plan it was opened with.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { repoRoot } from '../src/helpers/cli.js';
import { uniqueName } from '../src/helpers/databases.js';
import { DaemonWorld, waitFor, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('makedelta naming a database that does not exist', () => {
  const world = new DaemonWorld(server, 'mkn');
  const stored = async () => world.sql("SELECT tablename, makedelta, additive_columns AS additive FROM bucardo.relation ORDER BY tablename");
  beforeAll(async () => {
    await world.install();
    await world.database('mn_A');
  });
  afterAll(() => world.dispose());

  it('add table … makedelta=nosuchdb is refused naming the database; nothing is stored', async () => {
    const r = await world.bucardo('add', 'table', 't', 'db=mn_A', 'makedelta=mn_A,nosuchdb');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('makedelta=mn_A,nosuchdb: there is no database named "nosuchdb" (makedelta takes on, off, or database names)');
    expect(r.stderr).toContain('[DB_NOT_FOUND]');
    expect(r.stdout).toBe('');
    expect(await stored()).toEqual([]);
  });

  it('update table … makedelta=nosuchdb is refused the same way, and a refused additive= leaves a valid makedelta= unstored', async () => {
    await world.ok('add', 'table', 't', 'db=mn_A');
    const r = await world.bucardo('update', 'table', 't', 'makedelta=nosuchdb');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('makedelta=nosuchdb: there is no database named "nosuchdb"');
    expect(r.stderr).toContain('[DB_NOT_FOUND]');
    expect(await stored()).toEqual([{ tablename: 't', makedelta: null, additive: [] }]);
    const both = await world.bucardo('update', 'table', 't', 'makedelta=on', 'additive=nosuchcolumn');
    expect(both.code).toBe(1);
    expect(both.stdout).toBe('');
    expect(await stored()).toEqual([{ tablename: 't', makedelta: null, additive: [] }]);
    expect(await world.ok('list', 'tables')).not.toContain('makedelta');
  });
});

describe('makedelta turned on where an existing sync\'s capture was installed before it: A⇄B, B→C', () => {
  const world = new DaemonWorld(server, 'mko');
  let a: Db;
  let b: Db;
  let c: Db;
  const rows = async (db: Db) => (await world.query(db.url, "SELECT id || ':' || v AS r FROM t ORDER BY id")).map((row) => row.r as string);
  beforeAll(async () => {
    await world.install();
    [a, b, c] = [await world.database('mo_A'), await world.database('mo_B'), await world.database('mo_C')];
    await world.api.addTables(['t'], { herd: 'mo_h', db: 'mo_A' });
    await world.api.addDbGroup('mo_g1', ['mo_A:source', 'mo_B:source']);
    await world.api.addDbGroup('mo_g2', ['mo_B:source', 'mo_C:target']);
    await world.api.addSync('s1', { herd: 'mo_h', dbs: 'mo_g1', autokick: 'false' });
    await world.api.addSync('s2', { herd: 'mo_h', dbs: 'mo_g2', autokick: 'false' });
    // B's capture as one made before makedelta existed: without the marks table
    await world.query(b.url, 'DROP TABLE bucardo.made_delta');
  });
  afterAll(() => world.dispose());

  it('without makedelta, A\'s row stops at B', async () => {
    await world.query(a.url, "INSERT INTO t VALUES (1, 'before')");
    expect((await world.api.runSync('s1')).outcome).toBe('good');
    expect((await world.api.runSync('s2')).outcome).toBe('empty');
    expect(await rows(b)).toEqual(['1:before']);
    expect(await rows(c)).toEqual([]);
  });

  it('update table t makedelta=on: the next row reaches C, s1 reads none of its records back', async () => {
    expect(await world.ok('update', 'table', 't', 'makedelta=on')).toBe('Set makedelta of public.t to on\n');
    await world.query(a.url, "INSERT INTO t VALUES (2, 'after')");
    expect((await world.api.runSync('s1')).outcome).toBe('good');
    expect(await world.query(b.url, "SELECT d.id, (SELECT m.sync FROM bucardo.made_delta m WHERE m.tablename = 't' AND m.bucardo_txid = d.bucardo_txid) AS sync FROM bucardo.delta_public_t d WHERE d.id = 2"))
      .toEqual([{ id: '2', sync: 's1' }]);
    expect((await world.api.runSync('s1')).outcome).toBe('empty');
    expect((await world.api.runSync('s2')).outcome).toBe('good');
    // the row s1 wrote before makedelta was on was not recorded: it needs a copy of its own
    expect(await rows(c)).toEqual(['2:after']);
    expect((await world.api.runSync('s2')).outcome).toBe('empty');
  });
});

describe('makedelta turned on while a daemon runs the sync: its change probe learns it', () => {
  const world = new DaemonWorld(server, 'mkp');
  const dir = path.join(repoRoot, 'test', '.tmp', uniqueName('makedelta_probe'));
  const probes = path.join(dir, 'probes.log');
  const config = path.join(dir, 'bucardo.config.mjs');
  let a: Db;
  let b: Db;
  beforeAll(async () => {
    await world.install();
    [a, b] = [await world.database('mp_A'), await world.database('mp_B')];
    await world.api.addTables(['t'], { herd: 'mp_h', db: 'mp_A' });
    await world.api.addDbGroup('mp_g', ['mp_A:source', 'mp_B:source']);
    await world.api.addSync('p1', { herd: 'mp_h', dbs: 'mp_g' });
    mkdirSync(dir, { recursive: true });
    writeFileSync(probes, '');
    // the postgres plugin, its probe sessions writing down which sync each probe names (CaptureArgs.sync):
    // a source that filters its probe by it (postgres does not) would read the sync's own records as changes
    writeFileSync(config, `import { appendFileSync } from 'node:fs';
      import { definePlugin } from '@bucardo/plugin-sdk';
      import { postgres } from '@bucardo/plugin-postgres';
      const inner = postgres();
      const bound = (target, name) => (typeof target[name] === 'function' ? target[name].bind(target) : target[name]);
      const watched = (session, db) => new Proxy(session, { get: (target, name) => (name === 'hasChanges'
        ? (args) => { appendFileSync(${JSON.stringify(probes)}, db + ' ' + (args.sync ?? '-') + '\\n'); return target.hasChanges(args); }
        : bound(target, name)) });
      const wrap = (driver) => ({ ...driver, source: { capabilities: driver.source.capabilities,
        open: async (spec, context) => watched(await driver.source.open(spec, context), spec.name) } });
      export default { plugins: [definePlugin({ name: 'postgres', apply: (host) => inner.apply({ ...host, registerDatabase: (driver) => host.registerDatabase(wrap(driver)) }) })] };
`);
  });
  afterAll(async () => {
    await world.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('after update table makedelta=on and the next run, the probe of B names the sync', async () => {
    const daemon = world.daemon();
    await daemon.registered(await daemon.start('--config', config));
    try {
      await world.query(a.url, "INSERT INTO t VALUES (1, 'before')");
      await waitFor('the row on B', async () => (await world.query(b.url, 'SELECT 1 FROM t WHERE id = 1')).length > 0, 15_000, 50);
      const lines = () => readFileSync(probes, 'utf8').split('\n').filter((line) => line.startsWith('mp_B '));
      await waitFor('a probe of B', async () => lines().length > 0);
      expect(new Set(lines())).toEqual(new Set(['mp_B -']));
      expect(await world.ok('update', 'table', 't', 'makedelta=on')).toBe('Set makedelta of public.t to on\n');
      await world.query(a.url, "INSERT INTO t VALUES (2, 'after')");
      await waitFor('the second row on B', async () => (await world.query(b.url, 'SELECT 1 FROM t WHERE id = 2')).length > 0, 15_000, 50);
      await waitFor('a probe of B naming p1', async () => lines().includes('mp_B p1'), 10_000);
    } finally {
      await daemon.kill();
    }
  });
});
