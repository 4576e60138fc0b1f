/**
 * Plugin errors end to end. A logger that throws on every call and report taps that throw never fail a
 * sync: the run is good and the rows arrive. Through the `bucardo` command, a config with a plugin that
 * has no apply() or was built for another SDK major fails at once with the code and the plugin's name.
 * (Duplicate names and missing packages: config.test.ts; a throwing capture/fetch/resolve/apply tap:
 * capture-traps.test.ts; every case at the engine: core/test/plugin-errors.test.ts.)
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { Bucardo } from '@bucardo/core';
import { standardPlugins } from '@bucardo/cli';
import { definePlugin, type Logger } from '@bucardo/plugin-sdk';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { createDatabase, dropDatabase, uniqueName, withClient } from '../src/helpers/databases.js';
import { controlOn, dbParamsOn } from '../src/helpers/connection-specs.js';
import { bucardoEnv, repoRoot, runBucardo } from '../src/helpers/cli.js';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('perr_ctl');
const dbs = { a: uniqueName('perr_a'), b: uniqueName('perr_b') };
const dir = path.join(repoRoot, 'test', '.tmp', uniqueName('plugin_errors'));
const sql = (db: string, text: string) => withClient(server.url(db), (c) => c.query(text));

beforeAll(async () => {
  for (const db of Object.values(dbs)) {
    await createDatabase(server, db);
    await sql(db, 'CREATE TABLE t (id int PRIMARY KEY, v text)');
  }
  await sql(dbs.a, "INSERT INTO t VALUES (1, 'one'), (2, 'two')");
  mkdirSync(dir, { recursive: true });
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const db of [...Object.values(dbs), control]) await dropDatabase(server, db);
});

describe('a sync with a logger and report taps that throw', () => {
  it('is good, and the rows arrive', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let logCalls = 0;
    const explosive: Logger = {
      log() { logCalls++; throw new Error('the log disk is full'); },
      child() { return explosive; },
      flush: async () => { throw new Error('cannot flush'); },
    };
    let reports = 0;
    const plugins = [
      definePlugin({ name: 'explosive-logger', apply: (host) => host.registerLogger({ name: 'explosive', create: () => explosive }) }),
      definePlugin({ name: 'flaky-metrics', apply: (host) => {
        host.hooks.report.tap('metrics', () => { reports++; throw new Error('metrics endpoint down'); });
        host.hooks.report.tapPromise('metrics-async', async () => { throw new TypeError('undefined is not a function'); });
      } }),
      ...standardPlugins(),
    ];
    const bucardo = await Bucardo.open({
      plugins, logger: 'explosive', logLevel: 'debug',
      control: controlOn(server, control),
    });
    try {
      await bucardo.install();
      for (const [name, db] of Object.entries(dbs)) await bucardo.addDatabase(name, dbParamsOn(server, db));
      await bucardo.addTables(['t'], { herd: 'h', db: 'a' });
      await bucardo.addDbGroup('g', ['a:source', 'b:target']);
      await bucardo.addSync('s', { herd: 'h', dbs: 'g', autokick: 'false' });
      await sql(dbs.a, "UPDATE t SET v = 'uno' WHERE id = 1; INSERT INTO t VALUES (3, 'three')");
      const report = await bucardo.runSync('s');
      expect(report.outcome, JSON.stringify(report.error ?? null)).toBe('good');
      expect((await sql(dbs.b, 'SELECT id, v FROM t ORDER BY id')).rows).toEqual([{ id: 1, v: 'uno' }, { id: 3, v: 'three' }]);
      expect(logCalls).toBeGreaterThan(0);
      expect(reports).toBe(1);
      const [status] = await bucardo.status(['s']);
      expect(status?.state).toBe('Good');
    } finally {
      await bucardo.close();
      stderr.mockRestore();
    }
  });
});

describe('a config with a broken plugin', () => {
  const configWith = (name: string, plugin: string): string => {
    const file = path.join(dir, name, 'bucardo.config.ts');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `export default { plugins: [${plugin}] };\n`);
    return file;
  };
  const env = bucardoEnv(server, control);

  it('a plugin without apply(): PLUGIN_INVALID naming it, exit 1', async () => {
    const result = await runBucardo(['--config', configWith('no-apply', "{ name: 'half-done' }"), 'list', 'dbs'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[PLUGIN_INVALID]');
    expect(result.stderr).toContain('"half-done"');
  });

  it('a plugin without a name: PLUGIN_INVALID naming its position', async () => {
    const result = await runBucardo(['--config', configWith('no-name', 'null, { apply() {} }'), 'list', 'dbs'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[PLUGIN_INVALID]');
    expect(result.stderr).toContain('at position 1');
  });

  it('a plugin built for another SDK major: PLUGIN_SDK_MISMATCH naming it', async () => {
    const result = await runBucardo(['--config', configWith('old-sdk', "{ name: 'ancient', sdk: 0, apply() {} }"), 'list', 'dbs'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[PLUGIN_SDK_MISMATCH]');
    expect(result.stderr).toContain('"ancient"');
  });

  // what a plugin registers is checked when it registers it, not when a command first calls it
  it.each([
    ['a database type without type', "{ name: 'p-notype', apply(host) { host.registerDatabase({ normalizeParams: (p) => p, describe: () => '', ping: async () => {}, target: { capabilities: {}, open: async () => ({}) } }); } }",
      '[p-notype] A database type needs type (a non-empty string; it has none)'],
    ['a database type without normalizeParams', "{ name: 'p-nonorm', apply(host) { host.registerDatabase({ type: 'nonorm', describe: () => '', ping: async () => {}, target: { capabilities: {}, open: async () => ({}) } }); } }",
      '[p-nonorm] A database type "nonorm" needs normalizeParams (a function; it has none)'],
    ['a target without open', "{ name: 'p-noopen', apply(host) { host.registerDatabase({ type: 'noopen', normalizeParams: (p) => p, describe: () => '', ping: async () => {}, target: { capabilities: {} } }); } }",
      '[p-noopen] A database type "noopen"\'s target needs open (a function; it has none)'],
    ['a conflict strategy without resolve', "{ name: 'p-nores', apply(host) { host.registerConflictStrategy({ name: 'nores' }); } }",
      '[p-nores] A conflict strategy "nores" needs resolve (a function; it has none)'],
    ['a logger without create', "{ name: 'p-nolog', apply(host) { host.registerLogger({ name: 'nolog' }); } }",
      '[p-nolog] A logger "nolog" needs create (a function; it has none)'],
  ])('%s: PLUGIN_INVALID naming the plugin and the field, exit 1', async (_, plugin, message) => {
    const result = await runBucardo(['--config', configWith(uniqueName('reg'), plugin), 'list', 'dbs'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`ERROR: ${message} [PLUGIN_INVALID]\n`);
  });

  it('a database type whose normalizeParams breaks: add db fails with PLUGIN_ERROR naming the database, the type and the plugin; nothing stored', async () => {
    const plugin = "{ name: 'p-broken', apply(host) { host.registerDatabase({ type: 'broken', normalizeParams: (p) => p.dir.trim(), describe: () => '', ping: async () => {}, target: { capabilities: {}, open: async () => ({}) } }); } }";
    const config = configWith(uniqueName('norm'), plugin);
    const result = await runBucardo(['--config', config, 'add', 'db', 'j1', 'type=broken'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ERROR: Database "j1": type broken \(plugin p-broken\) failed to read its parameters: Cannot read properties of undefined \(reading 'trim'\) \[PLUGIN_ERROR\]/);
    const listed = await runBucardo(['--config', config, 'list', 'dbs'], { env });
    // the names only: a database's connection line holds a random suffix that may spell j1
    expect(listed.stdout.match(/^Database: \S+/gm)).toEqual(['Database: a', 'Database: b']);
  });

  it('a plugin whose apply() throws: PLUGIN_ERROR naming it and the hook', async () => {
    const result = await runBucardo(['--config', configWith('throws', "{ name: 'boom', apply() { throw new Error('kaboom'); } }"), 'list', 'dbs'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[PLUGIN_ERROR]');
    expect(result.stderr).toContain('[boom] apply failed: kaboom');
  });

  it('a target whose apply ignores its stop signal: kick with a timeout still gives up, exit 1, saying the run did not stop; the process ends it', async () => {
    const plugin = "{ name: 'p-hang', apply(host) { host.registerDatabase({ type: 'hang', normalizeParams: (p) => p, describe: () => 'hang', ping: async () => {}, "
      + "target: { capabilities: { transactions: true }, open: async () => ({ begin: async () => {}, apply: () => new Promise(() => { setInterval(() => {}, 1000); }), "
      + 'commit: async () => {}, rollback: async () => {}, close: async () => {} }) } }); } }';
    const config = configWith(uniqueName('hang'), plugin);
    for (const args of [['add', 'db', 'hg', 'type=hang'], ['add', 'dbgroup', 'hg_g', 'a:source', 'hg:target'], ['add', 'sync', 'hs', 'herd=h', 'dbs=hg_g', 'autokick=false']]) {
      const added = await runBucardo(['--config', config, ...args], { env });
      expect(added.code, added.stdout + added.stderr).toBe(0);
    }
    await sql(dbs.a, "UPDATE t SET v = 'for the hanging target' WHERE id = 1");
    const started = Date.now();
    const kicked = await runBucardo(['--config', config, 'kick', 'hs', '1'], { env });
    expect(kicked.code, kicked.stdout + kicked.stderr).toBe(1);
    expect(kicked.stdout).toMatch(/^Kick hs: \[\d+ s\] $/);
    expect(kicked.stderr).toBe('Timed out!\nThe run of sync "hs" did not stop when asked (a plugin that does not heed its signal): this process ends it; the next run resumes from its last committed transaction\n');
    // the timeout and the grace of five seconds, not for ever
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
