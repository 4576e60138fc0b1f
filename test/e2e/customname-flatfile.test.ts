/**
 * A custom name on a flat file target (`type=flatfile`): the plugin knows nothing of custom names, and
 * the file it writes addresses the table by the name it has on the database the file is replayed into.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('customname on a flat file target', () => {
  const world = new DaemonWorld(server, 'cnf');
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

  it('the file writes the rows into the renamed table', async () => {
    expect(await world.ok('add', 'customname', 't', 'archive.t_log', 'db=F')).toBe('Transformed public.t to archive.t_log (database "F")\n');
    await world.query(a.url, "INSERT INTO t VALUES (1, 'one'), (2, 'two')");
    expect(await world.ok('kick', 'cf', '0')).toMatch(/^Kick cf: \[\d+ s\] DONE!$/m);
    const files = readdirSync(dir).filter((name) => name.endsWith('.sql'));
    expect(files).toHaveLength(1);
    const text = readFileSync(path.join(dir, files[0]!), 'utf8');
    // the statements, without the header (run time) and the transaction's token
    const statements = text.split('\n').filter((line) => /^(DELETE|INSERT|\(|-- archive|-- public)/.test(line));
    expect(statements).toEqual([
      '-- archive.t_log: 2 keys deleted, 2 rows written',
      `DELETE FROM "archive"."t_log" WHERE "id" IN ('1'::integer, '2'::integer);`,
      'INSERT INTO "archive"."t_log" ("id", "v") OVERRIDING SYSTEM VALUE VALUES',
      "('1'::integer, 'one'::text),",
      "('2'::integer, 'two'::text);",
    ]);
    expect(text).not.toContain('"public"."t"');
  });
});
