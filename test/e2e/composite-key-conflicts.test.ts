/**
 * Conflicts on a table with a composite key are recorded (the `bucardo` command run as a process, real
 * databases). A composite key travels with NUL between its parts, which a text column refuses: the audit
 * lost every conflict of such a batch (`could not record N conflicts for the audit: invalid byte sequence
 * for encoding "UTF8": 0x00`), one-column keys of the same run included, and `list conflicts` said "No
 * conflicts recorded". Now `key` holds the parts for people to read and `key_parts` the exact ones.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('conflicts on a composite key', () => {
  const world = new DaemonWorld(server, 'ckc');
  let a: Db;
  let b: Db;

  beforeAll(async () => {
    await world.install();
    a = await world.database('ck_A');
    b = await world.database('ck_B');
    for (const db of [a, b]) await world.query(db.url, "CREATE TABLE o (region text, id int, v text, PRIMARY KEY (region, id))");
    await world.api.addTables(['t', 'o'], { herd: 'ck_h', db: a.name });
    await world.api.addDbGroup('ck_g', [`${a.name}:source`, `${b.name}:source`]);
    await world.api.addSync('ck', { herd: 'ck_h', dbs: 'ck_g', autokick: 'false', conflict: 'latest' });
    await world.query(a.url, "INSERT INTO o VALUES ('r1', 1, 'seed'), ('r 2', 2, 'seed'); INSERT INTO t VALUES (7, 'seed')");
    expect(await world.ok('kick', 'ck', '0')).toMatch(/DONE!/);
  });
  afterAll(() => world.dispose());

  it('are recorded with their parts, listed, and the one-column keys of the same run with them', async () => {
    for (const [db, v] of [[a, 'from A'], [b, 'from B']] as const) {
      await world.query(db.url, "UPDATE o SET v = $1 WHERE region = 'r1' AND id = 1", [v]);
      await world.query(db.url, "UPDATE o SET v = $1 WHERE region = 'r 2' AND id = 2", [v]);
      await world.query(db.url, 'UPDATE t SET v = $1 WHERE id = 7', [v]);
    }
    expect(await world.ok('kick', 'ck', '0')).toMatch(/DONE!/);
    // B wrote last: its rows win everywhere
    for (const db of [a, b]) expect(await world.query(db.url, 'SELECT region, id, v FROM o ORDER BY id')).toEqual([{ region: 'r1', id: 1, v: 'from B' }, { region: 'r 2', id: 2, v: 'from B' }]);

    const stored = await world.sql("SELECT tablename, key, key_parts FROM bucardo.conflict_log WHERE sync = 'ck' ORDER BY tablename, key");
    expect(stored).toEqual([
      { tablename: 'public.o', key: '(r 2, 2)', key_parts: ['r 2', '2'] },
      { tablename: 'public.o', key: '(r1, 1)', key_parts: ['r1', '1'] },
      { tablename: 'public.t', key: '7', key_parts: null },
    ]);
    const listed = await world.ok('list', 'conflicts', 'ck', 'table=o');
    const lines = listed.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.some((line) => line.includes(' public.o key (r1, 1)  ') && line.includes('by latest'))).toBe(true);
    expect(lines.some((line) => line.includes(' public.o key (r 2, 2)  '))).toBe(true);
    const status = await world.ok('status', 'ck');
    expect(status).toMatch(/Conflicts recorded\s+: 3\b/);
  });
});
