/**
 * bucardo.config.ts: found by cosmiconfig from the working directory (TypeScript loaded with jiti, so it
 * can import other .ts files), or given with --config; its plugins are used, the standard ones fill in.
 * Every key is checked: an unknown one (a typo: "did you mean …?") or a bad value of any field is
 * CONFIG_INVALID naming the file and the field, before anything runs.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { createDatabase, dropDatabase, uniqueName, withClient } from '../src/helpers/databases.js';
import { bucardoEnv, repoRoot, runBucardo } from '../src/helpers/cli.js';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('cfg_ctl');
const dbs = { a: uniqueName('cfg_a'), b: uniqueName('cfg_b') };
// Inside the repository, so that the config's imports of @bucardo/* resolve like a user's project.
const dir = path.join(repoRoot, 'test', '.tmp', uniqueName('config'));
const env = { ...bucardoEnv(server, 'not_this_one'), BUCARDO_CONTROL_DB: undefined };
const sql = (db: string, text: string) => withClient(server.url(db), (c) => c.query(text));

function write(file: string, text: string): string {
  const full = path.join(dir, file);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, text);
  return full;
}

beforeAll(async () => {
  for (const db of Object.values(dbs)) {
    await createDatabase(server, db);
    await sql(db, 'CREATE TABLE t (id int PRIMARY KEY, v text)');
  }
  // A conflict strategy in its own .ts file, imported by the config: database b always wins.
  write('strategies/prefer-b.ts', `
    import { definePlugin, type ConflictStrategy } from '@bucardo/plugin-sdk';
    const preferB: ConflictStrategy = {
      name: 'prefer-b',
      resolve: ({ conflicts }) => new Map(conflicts.map((c) => [c.key, { winner: 'b' }])),
    };
    export default definePlugin({ name: 'prefer-b', apply: (host) => host.registerConflictStrategy(preferB) });
  `);
  write('bucardo.config.ts', `
    import { defineConfig } from '@bucardo/plugin-sdk';
    import preferB from './strategies/prefer-b.ts';
    export default defineConfig({ plugins: [preferB], control: { dbname: ${JSON.stringify(control)} } });
  `);
  write('broken/bucardo.config.ts', 'export default defineConfig({ plugins: [ ');
  write('missing/bucardo.config.ts', "export default { plugins: ['bucardo-plugin-that-does-not-exist'] };");
  write('duplicate/bucardo.config.ts', `
    import { definePlugin } from '@bucardo/plugin-sdk';
    const twin = () => definePlugin({ name: 'twin', apply() {} });
    export default { plugins: [twin(), twin()] };
  `);
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const db of [...Object.values(dbs), control]) await dropDatabase(server, db);
});

describe('bucardo.config.ts', () => {
  it('is found from the working directory: its control database and plugins are used', async () => {
    const run = (args: string[]) => runBucardo(args, { env, cwd: dir });
    expect((await run(['install'])).stdout).toContain(`database "${control}"`);
    for (const [name, db] of Object.entries(dbs)) expect((await run(['add', 'db', name, `dbname=${db}`])).code).toBe(0);
    expect((await run(['add', 'table', 't', 'herd=h'])).code).toBe(0);
    const added = await run(['add', 'sync', 's', 'herd=h', 'dbs=a:source,b:source', 'autokick=false', 'conflict=prefer-b']);
    expect(added.code, added.stderr).toBe(0);
    await sql(dbs.b, "INSERT INTO t VALUES (1, 'from b')");
    await sql(dbs.a, "INSERT INTO t VALUES (1, 'from a, later')");
    const kicked = await run(['kick', 's', '0']);
    expect(kicked.stdout).toMatch(/Kick s: \[\d+ s\] DONE!/);
    for (const db of Object.values(dbs)) expect((await sql(db, 'SELECT v FROM t')).rows).toEqual([{ v: 'from b' }]);
  });

  it('is taken from --config when given, from any directory', async () => {
    const listed = await runBucardo(['--config', path.join(dir, 'bucardo.config.ts'), 'list', 'syncs'], { env, cwd: repoRoot });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('Sync "s"');
  });

  it('without a config file, the standard plugins are used and a non-standard strategy is unknown', async () => {
    const result = await runBucardo(['add', 'sync', 's2', 'herd=h', 'dbs=a:source,b:target', 'conflict=prefer-b'], {
      env: { ...env, BUCARDO_CONTROL_DB: control }, cwd: repoRoot,
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('[UNKNOWN_STRATEGY]');
    expect(result.stderr).toContain('prefer-b');
  });

  it('that does not parse is an error naming the file', async () => {
    const result = await runBucardo(['list', 'dbs'], { env, cwd: path.join(dir, 'broken') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[CONFIG_INVALID]');
    expect(result.stderr).toContain(path.join(dir, 'broken', 'bucardo.config.ts'));
  });

  it('a JSON config that does not parse: the reason, then where, once', async () => {
    const file = write('broken-json/bucardo.config.json', '{ "logLevel": "verbose", }');
    const result = await runBucardo(['--config', file, 'list', 'dbs'], { env });
    expect(result.stderr).toBe([
      `ERROR: Cannot load the config ${file}: Expected double-quoted property name in JSON at position 25 while parsing '{ "logLevel": "verbose", }'`,
      '',
      '> 1 | { "logLevel": "verbose", }',
      '    |                          ^',
      ' [CONFIG_INVALID]',
      '',
    ].join('\n'));
    expect(result.code).toBe(1);
  });

  it.each([
    ['partitionSize', 0, 'a whole number above 0'],
    ['partitionSize', '1000', 'a whole number above 0'],
    ['batchSize', 2.5, 'a whole number above 0'],
    ['batchSize', -1, 'a whole number above 0'],
    ['refreshAbove', 0, "a number above 0 (a fraction of a table's rows, such as 0.5)"],
    ['refreshAbove', '0.5', "a number above 0 (a fraction of a table's rows, such as 0.5)"],
  ])('that sets %s to %j is refused before anything runs, naming the file and the field', async (field, value, rule) => {
    const file = write(`sizes-${field}-${String(value)}/bucardo.config.json`, JSON.stringify({ control: { dbname: control }, [field]: value }));
    const before = (await sql(control, 'SELECT count(*) AS n FROM bucardo.syncrun')).rows;
    const result = await runBucardo(['--config', file, 'kick', 's', '0'], { env, cwd: repoRoot });
    // kick's "any other error", as Bucardo's kick
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('[CONFIG_INVALID]');
    expect(result.stderr).toContain(`${file} sets ${field} to ${JSON.stringify(value)}: it must be ${rule}`);
    // no run was started
    expect((await sql(control, 'SELECT count(*) AS n FROM bucardo.syncrun')).rows).toEqual(before);
  });

  it.each([
    ['logLevel set to a level the CLI does not have', "{ logLevel: 'shouty' }", 'sets logLevel to "shouty": it must be one of warn, terse, normal, verbose, debug'],
    ['an unknown key', '{ frobnicate: true }',
      'has an unknown field "frobnicate": the known fields are plugins, control, logLevel, logger, loggerOptions, batchSize, partitionSize, refreshAbove, pidDir'],
    ['a misspelt key', '{ refreshabove: 0.5 }', 'has an unknown field "refreshabove": did you mean refreshAbove?'],
    ['a misspelt control key', "{ control: { dbname: 'x', prot: 5433 } }", 'has an unknown field "control.prot": did you mean control.port?'],
    ['a control port that is not a port number', "{ control: { port: '5433' } }", 'sets control.port to "5433": it must be a port number (a whole number from 1 to 65535)'],
    ['a plugin entry of no allowed form', "{ plugins: ['bucardo-plugin-x', true] }", 'sets plugins[1] to true: it must be a plugin object, a package name, or [package name, options object]'],
    ['plugins that are not a list', "{ plugins: 'postgres' }", 'sets plugins to "postgres": it must be a list, each entry a plugin object, a package name, or [package name, options object]'],
    ['an empty logger name', "{ logger: '' }", 'sets logger to "": it must be a logger name (a non-empty string)'],
    ['logger options that are not an object', "{ loggerOptions: 'stderr' }", 'sets loggerOptions to "stderr": it must be an object'],
    ['a pidDir that is not a path', '{ pidDir: 7 }', 'sets pidDir to 7: it must be a directory (a non-empty string)'],
    ['mistakes within control and plugins, said together', "{ control: { port: 99999, dbnme: 'x' }, plugins: [1, 2] }",
      'sets plugins[0] to 1: it must be a plugin object, a package name, or [package name, options object]; also, it sets plugins[1] to 2: it must be a plugin object, a package name, or [package name, options object]; and it has an unknown field "control.dbnme": did you mean control.dbname?; and it sets control.port to 99999: it must be a port number (a whole number from 1 to 65535)'],
    ['two mistakes, said together', "{ logLevel: 'shouty', batchSize: -5, lgoger: 'x' }",
      'has an unknown field "lgoger": did you mean logger?; also, it sets logLevel to "shouty": it must be one of warn, terse, normal, verbose, debug; and it sets batchSize to -5: it must be a whole number above 0'],
  ])('with %s is refused (CONFIG_INVALID, exit 1), naming the file and the field', async (_, body, problem) => {
    const file = write(`fields-${uniqueName('f')}/bucardo.config.ts`, `export default ${body};\n`);
    const result = await runBucardo(['list', 'dbs'], { env, cwd: path.dirname(file) });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`ERROR: The config ${file} ${problem} [CONFIG_INVALID]\n`);
  });

  it('of this repository, and the examples, still load', async () => {
    for (const file of ['bucardo.config.ts', 'examples/bucardo.by-import.config.ts']) {
      const listed = await runBucardo(['--config', path.join(repoRoot, file), 'list', 'syncs'], { env: { ...env, BUCARDO_CONTROL_DB: control }, cwd: repoRoot });
      expect(listed.code, `${file}: ${listed.stderr}`).toBe(0);
      expect(listed.stdout).toContain('Sync "s"');
    }
  });

  it('naming a plugin that is not installed is an error naming the plugin', async () => {
    const result = await runBucardo(['list', 'dbs'], { env, cwd: path.join(dir, 'missing') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[PLUGIN_NOT_FOUND]');
    expect(result.stderr).toContain('bucardo-plugin-that-does-not-exist');
  });

  it('with two plugins of one name is an error naming it', async () => {
    const result = await runBucardo(['list', 'dbs'], { env, cwd: path.join(dir, 'duplicate') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[PLUGIN_DUPLICATE]');
    expect(result.stderr).toContain('"twin"');
  });

  it.each([
    ['a misspelt logger: the registered ones, and the one it meant', "{ logger: 'txt' }", (file: string) =>
      `No plugin registers the logger "txt" named in ${file}: did you mean "text"? (the registered loggers are "text") [PLUGIN_NOT_FOUND]`],
    ['the pino logger without its plugin: the package to add', "{ logger: 'pino' }", (file: string) =>
      `No plugin registers the logger "pino" named in ${file}: the registered loggers are "text"; the package @bucardo/logger-pino registers it: add it to the config's plugins (plugins: ['@bucardo/logger-pino']) [PLUGIN_NOT_FOUND]`],
    ['a misspelt plugin package: one line, with the package it meant', "{ plugins: ['@bucardo/logger-pinoo'], logger: 'pino' }", (file: string) =>
      `Cannot load plugin "@bucardo/logger-pinoo" named in ${file}: no such package or file can be imported from ${path.dirname(file)}; did you mean "@bucardo/logger-pino"? [PLUGIN_NOT_FOUND]`],
    ['a syntax error: one line, with where', "{ plugins: [ 'a' 'b' ] }", (file: string) =>
      `Cannot load the config ${file}: ParseError: Unexpected token, expected "," (${file}:1:32) [CONFIG_INVALID]`],
  ])('with %s is said on one line', async (_, body, expected) => {
    const file = write(`messages-${uniqueName('m')}/bucardo.config.ts`, `export default ${body};\n`);
    const result = await runBucardo(['list', 'dbs'], { env, cwd: path.dirname(file) });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`ERROR: ${expected(file)}\n`);
  });

  it('whose plugin throws as it is imported names the plugin\'s module, imported by the config or named in it', async () => {
    const dir = path.dirname(write(`throws-${uniqueName('t')}/badplugin.ts`, "throw new Error('boom at import of badplugin');\nexport default {};\n"));
    const imported = write(`${path.basename(dir)}/imported/bucardo.config.ts`, "import bad from '../badplugin.ts';\nexport default { plugins: [bad] };\n");
    const byImport = await runBucardo(['list', 'dbs'], { env, cwd: path.dirname(imported) });
    expect(byImport.code).toBe(1);
    expect(byImport.stderr).toBe(`ERROR: Cannot load the config ${imported}: boom at import of badplugin (thrown in ${path.join(dir, 'badplugin.ts')}) [CONFIG_INVALID]\n`);
    // a plugin named by its path is imported by node itself (plain JavaScript)
    write(`${path.basename(dir)}/badplugin.mjs`, "throw new Error('boom at import of badplugin');\n");
    const named = write(`${path.basename(dir)}/named/bucardo.config.ts`, "export default { plugins: ['../badplugin.mjs'] };\n");
    const byName = await runBucardo(['list', 'dbs'], { env, cwd: path.dirname(named) });
    expect(byName.code).toBe(1);
    expect(byName.stderr).toBe(`ERROR: Cannot load plugin "../badplugin.mjs" (${path.join(dir, 'badplugin.mjs')}) named in ${named}: boom at import of badplugin [PLUGIN_ERROR]\n`);
  });

  it('given with --config but missing is an error naming the path', async () => {
    const result = await runBucardo(['--config', path.join(dir, 'nope.config.ts'), 'list', 'dbs'], { env, cwd: repoRoot });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[CONFIG_NOT_FOUND]');
  });
});
