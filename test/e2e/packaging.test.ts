/**
 * The packages as a user gets them: `npm pack` of every publishable package (and of the example
 * third-party plugin), installed together into an empty project in the OS temp directory, far from this
 * repository; a `bucardo.config.ts` there; then the installed `bucardo` bin runs a sync between two
 * databases of the test server and the rows arrive (into a jsonl target from the example package too).
 *
 * Skipped, saying why, only when the npm registry cannot be reached (the tarballs' own dependencies,
 * pg, tapable, cosmiconfig and so on, come from it; npm's cache makes that fast).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { bucardoEnv, repoRoot, type CliResult } from '../src/helpers/cli.js';
import { createDatabase, dropDatabase, uniqueName, withClient } from '../src/helpers/databases.js';

const run = promisify(execFile);

/** Every package that is published, as its folder (the root's workspaces, less the private test package). */
const packages = [
  'plugin-sdk', 'core', 'plugins/postgres', 'plugins/conflict-standard', 'plugins/logger-text', 'plugins/sqlfile',
  'plugins/mongodb', 'plugins/logger-pino', 'cli',
];
const example = 'examples/target-jsonl';

async function registryReachable(): Promise<string | undefined> {
  try {
    await run('npm', ['ping', '--no-audit', '--no-fund'], { timeout: 20_000 });
    return undefined;
  } catch (error) {
    return `the npm registry is unreachable (npm ping: ${(error as Error).message.split('\n')[0]})`;
  }
}

const unreachable = await registryReachable();
if (unreachable) console.warn(`[packaging] skipped: ${unreachable}`);

describe.skipIf(unreachable !== undefined)(`packed tarballs, installed outside the repository${unreachable ? ` (skipped: ${unreachable})` : ''}`, () => {
  const server = serverFromInfo(inject('pg'));
  const control = uniqueName('pack_ctl');
  const dbs = { a: uniqueName('pack_a'), b: uniqueName('pack_b') };
  const root = mkdtempSync(path.join(os.tmpdir(), 'bucardo-packaging-'));
  const packs = path.join(root, 'packs');
  const project = path.join(root, 'project');
  const spool = path.join(root, 'spool');
  let tarballs: Record<string, string> = {};

  beforeAll(async () => {
    for (const db of Object.values(dbs)) {
      await createDatabase(server, db);
      await withClient(server.url(db), (c) => c.query('CREATE TABLE t (id int PRIMARY KEY, v text, b bytea)'));
    }
    mkdirSync(packs);
    mkdirSync(project);
    // one `npm pack` for the workspaces, one for the example (not a workspace); no scripts: dist is built by tsc -b
    const packed = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packs, ...packages.flatMap((dir) => ['-w', dir])], { cwd: repoRoot, maxBuffer: 64 << 20 });
    const packedExample = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packs], { cwd: path.join(repoRoot, example), maxBuffer: 16 << 20 });
    const entries = [...JSON.parse(packed.stdout) as Array<{ name: string; filename: string }>, ...JSON.parse(packedExample.stdout) as Array<{ name: string; filename: string }>];
    tarballs = Object.fromEntries(entries.map((entry) => [entry.name, path.join(packs, entry.filename)]));
    writeFileSync(path.join(project, 'package.json'), `${JSON.stringify({
      name: 'bucardo-packaging-check', private: true, type: 'module',
      dependencies: Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`])),
    }, null, 2)}\n`);
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: project, timeout: 100_000, maxBuffer: 16 << 20 });
    writeFileSync(path.join(project, 'bucardo.config.ts'), [
      "import { defineConfig } from '@bucardo/plugin-sdk';",
      "import { postgres } from '@bucardo/plugin-postgres';",
      '',
      'export default defineConfig({',
      "  plugins: [postgres({ connectTimeout: 10 }), ['bucardo-plugin-jsonl', { fsync: false }]],",
      '});',
      '',
    ].join('\n'));
  }, 110_000);

  afterAll(async () => {
    rmSync(root, { recursive: true, force: true });
    for (const db of [...Object.values(dbs), control]) await dropDatabase(server, db);
  });

  /** Runs the installed bin, from the project folder (so it finds bucardo.config.ts there). */
  function bucardo(...args: string[]): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(path.join(project, 'node_modules', '.bin', 'bucardo'), args, {
        cwd: project, env: { ...process.env, NO_COLOR: '1', ...bucardoEnv(server, control) }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr, timedOut: false }));
    });
  }

  it('every package is a tarball with its dist, types and exports, installed as a copy (not a link into the repository)', () => {
    expect(Object.keys(tarballs).sort()).toEqual([
      '@bucardo/cli', '@bucardo/conflict-standard', '@bucardo/core', '@bucardo/logger-pino', '@bucardo/logger-text',
      '@bucardo/plugin-postgres', '@bucardo/plugin-sdk', '@bucardo/target-mongodb', '@bucardo/target-sqlfile', 'bucardo-plugin-jsonl',
    ]);
    for (const name of Object.keys(tarballs)) {
      const dir = path.join(project, 'node_modules', name);
      expect(realpathSync(dir).startsWith(realpathSync(repoRoot)), `${name} is installed from its tarball`).toBe(false);
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { exports: Record<string, string | Record<string, string>> };
      for (const [subpath, target] of Object.entries(manifest.exports)) {
        if (typeof target === 'string') continue;
        expect(Object.keys(target)[0], `${name} exports ${subpath}: types first`).toBe('types');
        for (const file of Object.values(target)) expect(existsSync(path.join(dir, file)), `${name} exports ${subpath} → ${file}`).toBe(true);
      }
    }
  });

  it('the main entry of every package imports (the SDK without vitest; its testing entry is the only one that needs it)', async () => {
    const names = Object.keys(tarballs);
    const script = `for (const name of ${JSON.stringify(names)}) await import(name); console.log('ok');`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project });
    expect(stdout.trim()).toBe('ok');
    expect(existsSync(path.join(project, 'node_modules', 'vitest')), 'vitest is an optional peer of the SDK, not installed with it').toBe(false);
  });

  it('the installed bucardo bin, with a bucardo.config.ts in the project, runs a sync and the rows arrive', async () => {
    for (const args of [
      ['install'],
      ['add', 'db', 'a', `dbname=${dbs.a}`],
      ['add', 'db', 'b', `dbname=${dbs.b}`],
      ['add', 'db', 'j', 'type=jsonl', `dir=${spool}`],
      ['add', 'table', 't', 'herd=h'],
      ['add', 'dbgroup', 'g', 'a:source', 'b:target', 'j:target'],
      ['add', 'sync', 's', 'herd=h', 'dbs=g', 'autokick=false'],
    ]) {
      const result = await bucardo(...args);
      expect(result.code, `bucardo ${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0);
    }
    await withClient(server.url(dbs.a), (c) => c.query("INSERT INTO t VALUES (1, 'one', '\\x00ff'), (2, E'tab\\there', NULL)"));
    const kicked = await bucardo('kick', 's', '0');
    expect(kicked.stdout, kicked.stderr).toMatch(/Kick s: \[\d+ s\] DONE!/);
    const rows = await withClient(server.url(dbs.b), (c) => c.query("SELECT id, v, encode(b, 'hex') AS b FROM t ORDER BY id"));
    expect(rows.rows).toEqual([{ id: 1, v: 'one', b: '00ff' }, { id: 2, v: 'tab\there', b: null }]);
    const lines = readFileSync(path.join(spool, 'public.t.jsonl'), 'utf8').trim().split('\n');
    expect(lines.filter((line) => line.includes('"op":"write"'))).toHaveLength(2);
  });
});
