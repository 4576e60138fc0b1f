/**
 * customcols on a flat file target (`type=flatfile`): the plugin knows nothing of customcols, and the file
 * holds the select list's columns, typed as the source plans them (a column the source lacks included).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('customcols on a flat file target', () => {
  const world = new DaemonWorld(server, 'ccf');
  let a: Db;
  let dir = '';

  beforeAll(async () => {
    await world.install();
    a = await world.database('A');
    dir = world.tempDir('out');
    await world.api.addDatabase('F', { type: 'flatfile', dir });
    await world.api.addTables(['t'], { herd: 'h', db: a.name });
    await world.api.addDbGroup('g', ['A:source', 'F:target']);
    await world.api.addSync('cf', { herd: 'h', dbs: 'g', autokick: 'false' });
  });
  afterAll(() => world.dispose());

  it('the file writes the rows as the select list reads them', async () => {
    expect(await world.ok('add', 'customcols', 't', 'SELECT id, upper(v) AS v, length(v) AS n', 'db=F')).toBe('New columns for public.t: "SELECT id, upper(v) AS v, length(v) AS n" (database "F")\n');
    await world.query(a.url, "INSERT INTO t VALUES (1, 'one'), (2, 'three')");
    expect(await world.ok('kick', 'cf', '0')).toMatch(/^Kick cf: \[\d+ s\] DONE!$/m);
    const files = readdirSync(dir).filter((name) => name.endsWith('.sql'));
    expect(files).toHaveLength(1);
    const text = readFileSync(path.join(dir, files[0]!), 'utf8');
    const statements = text.split('\n').filter((line) => /^(DELETE|INSERT|\(|-- public)/.test(line));
    expect(statements).toEqual([
      '-- public.t: 2 keys deleted, 2 rows written',
      `DELETE FROM "public"."t" WHERE "id" IN ('1'::integer, '2'::integer);`,
      'INSERT INTO "public"."t" ("id", "v", "n") OVERRIDING SYSTEM VALUE VALUES',
      "('1'::integer, 'ONE'::text, '3'::integer),",
      "('2'::integer, 'THREE'::text, '5'::integer);",
    ]);
  });
});
