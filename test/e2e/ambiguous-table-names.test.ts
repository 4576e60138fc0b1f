/**
 * A bare table name that fits tables in two schemas is refused wherever a command takes an added table by
 * name (`add herd`, `update table`, `remove table`, `compare`): exit 1, naming both and asking for the
 * schema, and nothing changes; with the schema, the same commands work. The `bucardo` command is run as a
 * process against real databases.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('a table name that fits two schemas', () => {
  const world = new DaemonWorld(server, 'amb');
  let a: Db;
  const ambiguous = 'ERROR: Table name "t" matches public.t and other.t: add the schema [INVALID_ARGUMENT]\n';

  beforeAll(async () => {
    await world.install();
    a = await world.database('am_A');
    const b = await world.database('am_B');
    for (const db of [a, b]) await world.query(db.url, 'CREATE SCHEMA other; CREATE TABLE other.t (id int PRIMARY KEY, v text)');
    await world.api.addTables(['public.t', 'other.t'], { herd: 'am_h', db: a.name });
    await world.api.addDbGroup('am_g', [`${a.name}:source`, `${b.name}:target`]);
    await world.api.addSync('am', { herd: 'am_h', dbs: 'am_g', autokick: 'false' });
  });
  afterAll(() => world.dispose());

  it.each([
    ['add herd', ['add', 'herd', 'am_h2', 't']],
    ['update table', ['update', 'table', 't', 'additive=']],
    ['remove table', ['remove', 'table', 't', '--force']],
    ['compare', ['compare', 'am', 't']],
  ])('%s: refused, naming both, and nothing changes', async (_, args) => {
    const result = await world.bucardo(...args);
    expect(result.stderr).toBe(ambiguous);
    expect(result.code).toBe(1);
    expect(await world.sql("SELECT count(*)::int AS n FROM bucardo.herd WHERE name = 'am_h2'")).toEqual([{ n: 0 }]);
    expect((await world.sql('SELECT id FROM bucardo.relation')).length).toBe(2);
  });

  it('with the schema, the same commands work', async () => {
    expect(await world.ok('add', 'herd', 'am_h2', 'other.t')).toContain('am_h2');
    const compared = await world.bucardo('compare', 'am', 'public.t');
    expect(compared.stdout).toContain('Comparing sync "am" against database "am_A", its first source: 1 table on 2 databases\npublic.t: same on am_A, am_B (0 rows)\n');
    expect(compared.code).toBe(0);
  });
});
