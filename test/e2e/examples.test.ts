/**
 * The example configs in examples/, run with the real `bucardo` command and `--config`: one selects the
 * example third-party target (examples/target-jsonl, package bucardo-plugin-jsonl) by importing its
 * TypeScript source, the other by package name next to `['@bucardo/logger-pino', { … }]`. With each, a
 * `jsonl` database can be added and a sync from PostgreSQL writes lines into its directory. Without a
 * config, the type is unknown.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { bucardoEnv, repoRoot, runBucardo } from '../src/helpers/cli.js';
import { createDatabase, dropDatabase, uniqueName, withClient } from '../src/helpers/databases.js';

const server = serverFromInfo(inject('pg'));
const dbs = {
  import: { source: uniqueName('ex_src_i'), control: uniqueName('ex_ctl_i') },
  name: { source: uniqueName('ex_src_n'), control: uniqueName('ex_ctl_n') },
};
const spool = mkdtempSync(path.join(os.tmpdir(), 'bucardo-examples-'));
const examples = path.join(repoRoot, 'examples');

beforeAll(async () => {
  for (const { source } of Object.values(dbs)) {
    await createDatabase(server, source);
    await withClient(server.url(source), (c) => c.query("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'one'), (2, E'two\\ttab')"));
  }
  // what `npm install bucardo-plugin-jsonl` would give the by-name config: the package where it resolves
  const link = path.join(examples, 'node_modules', 'bucardo-plugin-jsonl');
  if (!existsSync(link)) {
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(path.join('..', 'target-jsonl'), link, 'dir');
  }
});

afterAll(async () => {
  for (const db of Object.values(dbs).flatMap(({ source, control }) => [source, control])) await dropDatabase(server, db);
  rmSync(spool, { recursive: true, force: true });
});

describe.each([
  ['by import', 'bucardo.by-import.config.ts', dbs.import],
  ['by package name', 'bucardo.by-name.config.ts', dbs.name],
] as const)('the example config selecting the jsonl target %s', (_, file, { source, control }) => {
  const config = path.join(examples, file);
  const dir = path.join(spool, file);
  const bucardo = (...args: string[]) => runBucardo(['--config', config, ...args], { env: bucardoEnv(server, control), cwd: os.tmpdir() });

  it('adds a jsonl database and syncs into it', async () => {
    for (const args of [
      ['install'],
      ['add', 'db', 'a', `dbname=${source}`],
      ['add', 'db', 'j1', 'type=jsonl', `dir=${dir}`],
      ['add', 'table', 't', 'herd=h'],
      ['add', 'dbgroup', 'g', 'a:source', 'j1:target'],
      ['add', 'sync', 's', 'herd=h', 'dbs=g', 'autokick=false'],
    ]) {
      const result = await bucardo(...args);
      expect(result.code, `bucardo ${args.join(' ')}\n${result.stderr}`).toBe(0);
    }
    expect((await bucardo('list', 'dbs')).stdout).toContain(`Dir: ${dir} (JSON lines)`);
    await withClient(server.url(source), (c) => c.query("UPDATE t SET v = 'uno' WHERE id = 1; INSERT INTO t VALUES (3, NULL)"));
    const kicked = await bucardo('kick', 's', '0');
    expect(kicked.code, kicked.stdout + kicked.stderr).toBe(0);
    expect(kicked.stdout, kicked.stderr).toMatch(/DONE!/);
    const lines = readFileSync(path.join(dir, 'public.t.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((line) => line.op === 'write').map((line) => line.row)).toEqual(expect.arrayContaining([
      { id: '1', v: 'uno' }, { id: '3', v: null },
    ]));
    expect(lines.every((line) => line.sync === 's')).toBe(true);

    // a source's TRUNCATE reaches the file as a line, and the rows written after it follow
    await withClient(server.url(source), (c) => c.query("TRUNCATE t; INSERT INTO t VALUES (7, 'after')"));
    const again = await bucardo('kick', 's', '0');
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const after = readFileSync(path.join(dir, 'public.t.jsonl'), 'utf8').trim().split('\n').slice(lines.length).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(after.map((line) => line.op)).toEqual(['truncate', 'write']);
    expect(after[1]!.row).toEqual({ id: '7', v: 'after' });
  });
});

it('without a config naming it, type jsonl is unknown', async () => {
  const result = await runBucardo(['add', 'db', 'j9', 'type=jsonl', `dir=${spool}`], { env: bucardoEnv(server, dbs.import.control), cwd: os.tmpdir() });
  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain('[UNKNOWN_DB_TYPE]');
});
