/**
 * A target without truncate() stops every run after a source's TRUNCATE (DB_ROLE_UNSUPPORTED, the way out
 * named). The commands that put such a database in a sync say so before it happens, as warnings, the
 * command's exit code unchanged: `add sync`, `validate`, `update dbgroup` and `add db … dbgroup=` (for the
 * database that joins only). A fullcopy member, emptied at every run, is refused. The target is a plugin
 * loaded from a config file, as a plugin author's is.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'trw');
let config: string;
let a: Db;
let b: Db;

/** A target type `memory` with no truncate(): capabilities `{ transactions: true }`, as the walk-through's HTTP target had. */
const plugin = `{ name: 'memory-target', apply(host) { host.registerDatabase({
  type: 'memory', normalizeParams: (params) => params, describe: () => 'memory', ping: async () => undefined,
  target: { capabilities: { transactions: true }, open: async () => ({
    begin: async () => undefined, apply: async (batch) => ({ inserted: 0, deleted: 0, skipped: [] }),
    commit: async () => undefined, rollback: async () => undefined, close: async () => undefined,
  }) },
}); } }`;

const bucardo = (...args: string[]) => world.bucardo('--config', config, ...args);

/** The same type with truncate(): the config a dbgroup or sync was made under before the plugin lost it. */
const withTruncate = plugin
  .replace('capabilities: { transactions: true }', 'capabilities: { transactions: true, truncate: true }')
  .replace('commit: async () => undefined,', 'commit: async () => undefined, truncate: async () => undefined,');
let configWithTruncate: string;

/** The warning for a database `db` of type memory in sync `sync`, whose other sources are `on`. */
const warning = (db: string, sync: string, on: string) => `Database "${db}" (type memory) cannot empty a table: a TRUNCATE on ${on} will stop the runs of sync "${sync}" until its plugin has truncate() or "${db}" leaves the sync [DB_ROLE_UNSUPPORTED]`;

beforeAll(async () => {
  await world.install();
  const dir = world.tempDir('config');
  config = path.join(dir, 'bucardo.config.ts');
  writeFileSync(config, `export default { plugins: [${plugin}] };\n`);
  configWithTruncate = path.join(dir, 'bucardo.truncating.config.ts');
  writeFileSync(configWithTruncate, `export default { plugins: [${withTruncate}] };\n`);
  a = await world.database('A');
  b = await world.database('B');
  await world.api.addTables(['t'], { herd: 'h', db: 'A' });
  for (const name of ['m1', 'm2', 'm3']) expect(await world.ok('--config', config, 'add', 'db', name, 'type=memory')).toBe(`Added database "${name}"\n`);
});
afterAll(() => world.dispose());

describe('a receiver whose target has no truncate()', () => {
  it('add sync and validate warn, naming the database, its type and what a TRUNCATE does; exit codes unchanged', async () => {
    const added = await bucardo('add', 'sync', 's1', 'herd=h', 'dbs=A:source,B:source,m1:target', 'autokick=false');
    expect(added.code, added.stdout + added.stderr).toBe(0);
    expect(added.stdout).toBe('Added sync "s1"\nCreated a new dbgroup named "s1"\n');
    expect(added.stderr).toBe(`WARNING: ${warning('m1', 's1', 'source "A" or "B"')}\n`);

    const validated = await bucardo('validate', 's1');
    expect(validated.code, validated.stdout + validated.stderr).toBe(0);
    expect(validated.stdout).toBe(`Validating sync s1 ... OK\n  Warning: ${warning('m1', 's1', 'source "A" or "B"')}\n`);
  });

  it('update dbgroup and add db … dbgroup= warn for the database that joins, not again for the one already there', async () => {
    const updated = await bucardo('update', 'dbgroup', 's1', 'm2:target');
    expect(updated.code, updated.stdout + updated.stderr).toBe(0);
    expect(updated.stdout).toContain('Added database "m2" to dbgroup "s1" as target\n');
    expect(updated.stderr).toBe(`WARNING: ${warning('m2', 's1', 'source "A" or "B"')}\n`);

    const joined = await bucardo('add', 'db', 'm4', 'type=memory', 'dbgroup=s1:target');
    expect(joined.code, joined.stdout + joined.stderr).toBe(0);
    expect(joined.stdout).toContain('Added database "m4" to dbgroup "s1" as target\n');
    expect(joined.stderr).toBe(`WARNING: ${warning('m4', 's1', 'source "A" or "B"')}\n`);
  });

  it('a sync whose sources receive truncates only from each other, with targets that can empty tables, gets no warning', async () => {
    const added = await bucardo('add', 'sync', 's2', 'herd=h', 'dbs=A:source,B:source', 'autokick=false');
    expect(added.code, added.stdout + added.stderr).toBe(0);
    expect(added.stderr).toBe('');
    const validated = await bucardo('validate', 's2');
    expect(validated.stdout).toBe('Validating sync s2 ... OK\n');
  });

  it('a fullcopy member without truncate() is refused, as every run would empty it: add sync, add dbgroup, update dbgroup; nothing made', async () => {
    const refusal = (label: string) => `ERROR: Database "m3" (type memory) cannot be a fullcopy member of ${label}: a fullcopy run empties its tables, and its target has no truncate(). Make it a target, or give its plugin truncate() [DB_ROLE_UNSUPPORTED]\n`;
    const added = await bucardo('add', 'sync', 's3', 'herd=h', 'dbs=A:source,m3:fullcopy', 'autokick=false');
    expect(added.code).toBe(1);
    expect(added.stderr).toBe(refusal('sync "s3"'));
    const grouped = await bucardo('add', 'dbgroup', 'g3', 'A:source', 'm3:fullcopy');
    expect(grouped.code).toBe(1);
    expect(grouped.stderr).toBe(refusal('dbgroup "g3"'));
    const updated = await bucardo('update', 'dbgroup', 's1', 'm3:fullcopy');
    expect(updated.code).toBe(1);
    expect(updated.stderr).toBe(refusal('dbgroup "s1"'));
    expect(await world.sql("SELECT name FROM bucardo.sync WHERE name = 's3' UNION ALL SELECT name FROM bucardo.dbgroup WHERE name IN ('s3', 'g3')")).toEqual([]);
    expect(await world.sql("SELECT db FROM bucardo.dbgroup_member WHERE dbgroup = 's1' AND db = 'm3'")).toEqual([]);
  });

  it('a fullcopy member that joined while its plugin had truncate(): add sync on that dbgroup is refused, validate fails the sync that has it', async () => {
    const before = (...args: string[]) => world.bucardo('--config', configWithTruncate, ...args);
    expect(await world.ok('--config', configWithTruncate, 'add', 'db', 'm5', 'type=memory')).toBe('Added database "m5"\n');
    expect((await before('add', 'dbgroup', 'g5', 'A:source', 'm5:fullcopy')).code).toBe(0);
    expect((await before('add', 'sync', 's5', 'herd=h', 'dbs=g5', 'autokick=false')).code).toBe(0);
    const refusal = (sync: string) => `Database "m5" (type memory) cannot be a fullcopy member of sync "${sync}": a fullcopy run empties its tables, and its target has no truncate(). Make it a target, or give its plugin truncate() [DB_ROLE_UNSUPPORTED]`;

    const added = await bucardo('add', 'sync', 's6', 'herd=h', 'dbs=g5', 'autokick=false');
    expect(added.code).toBe(1);
    expect(added.stderr).toBe(`ERROR: ${refusal('s6')}\n`);
    expect(await world.sql("SELECT name FROM bucardo.sync WHERE name = 's6'")).toEqual([]);

    const validated = await bucardo('validate', 's5');
    expect(validated.code).toBe(1);
    expect(validated.stdout).toContain(refusal('s5'));
  });

  it('the warning is what happens: after a TRUNCATE on B, the run stops on a memory target, naming the way out; nothing is written', async () => {
    await world.query(b.url, "TRUNCATE t; INSERT INTO t VALUES (2, 'after')");
    const kicked = await bucardo('kick', 's1', '0');
    expect(kicked.code, kicked.stdout + kicked.stderr).toBe(2);
    expect(kicked.stdout).toMatch(/Database "(m1|m2|m4)" cannot empty table "public\.t" for the truncate on B: its target has no truncate\(\)\. Give its plugin truncate\(\), or take "\1" out of the sync; until then every run stops here \[DB_ROLE_UNSUPPORTED\]/);
    expect(await world.query(a.url, 'SELECT id FROM t')).toEqual([]);
    expect(await world.query(b.url, 'SELECT id FROM t')).toEqual([{ id: 2 }]);
  });
});
