/**
 * The key a table's capture was installed with stays its key while it still is one: a primary key added
 * later, or `REINDEX CONCURRENTLY` turning a tie between two unique indexes the other way (the newest
 * index wins a tie, and a reindexed index is a new one), must not move a sync off the key its trigger and
 * delta table record, nor its columns put in another order. A key replaced outright is described as it
 * is, and the capture, which cannot read the changes by it, says what to do (the lossless way: the old
 * key unique again), naming the database and table. Against the real server.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { silentLogger, type SourceSession, type TableShape, type TargetSession } from '@bucardo/plugin-sdk';
import { createDatabase, dropDatabase, serverFromInfo, uniqueName, withClient } from '@bucardo/test';
import { registeredDriver } from './support/driver.js';

const server = serverFromInfo(inject('pg'));
const driver = registeredDriver();
const keyOf = (shape: TableShape | undefined) => shape && { key: shape.key.map((column) => column.name), keySource: shape.keySource };

describe('the captured key', () => {
  const db = uniqueName('captured_key');
  let url = '';
  let source: SourceSession;
  let target: TargetSession;
  const tie = { schema: 'public', name: 'tie' };
  const later = { schema: 'public', name: 'later' };
  const replaced = { schema: 'public', name: 'replaced' };
  const pair = { schema: 'public', name: 'pair' };
  let checkpoint = '';
  const sql = (text: string) => withClient(url, (client) => client.query(text));

  beforeAll(async () => {
    url = await createDatabase(server, db);
    await sql(`
      CREATE TABLE tie (a int NOT NULL, b int NOT NULL, v text);
      CREATE UNIQUE INDEX tie_a ON tie (a);
      CREATE UNIQUE INDEX tie_b ON tie (b);
      CREATE TABLE later (a int NOT NULL UNIQUE, id int NOT NULL, v text);
      CREATE TABLE replaced (id int PRIMARY KEY, v text NOT NULL);
      CREATE TABLE pair (a int, b int, PRIMARY KEY (a, b));`);
    const spec = { name: 'ck1', type: 'postgres', params: driver.normalizeParams({ url }) };
    source = await driver.source!.open(spec, { log: silentLogger, label: 'captured-key test' });
    target = await driver.target!.open(spec, { log: silentLogger, label: 'captured-key test' });
  });

  afterAll(async () => {
    await source?.close();
    await target?.close();
    await dropDatabase(server, db);
  });

  it('stays the key through a reindex that turns a tie, and a primary key added later', async () => {
    const shapes = (await source.describeTables!([tie, later, replaced, pair])) as TableShape[];
    // newest wins the tie: tie_b
    expect(shapes.map(keyOf)).toEqual([
      { key: ['b'], keySource: 'unique index tie_b' },
      { key: ['a'], keySource: 'unique index later_a_key' },
      { key: ['id'], keySource: 'primary key' },
      { key: ['a', 'b'], keySource: 'primary key' },
    ]);
    checkpoint = await source.installCapture(shapes);

    await sql('REINDEX INDEX CONCURRENTLY tie_a');
    await sql('ALTER TABLE later ADD PRIMARY KEY (id)');
    // tie_a is the newer index now: without capture, the rules alone would choose it, and the primary key
    expect((await withClient(url, (client) => client.query("SELECT 'tie_a'::regclass::oid > 'tie_b'::regclass::oid AS newer"))).rows[0].newer).toBe(true);
    expect((await source.describeTables!([tie, later])).map(keyOf)).toEqual([
      { key: ['b'], keySource: 'unique index tie_b' },
      { key: ['a'], keySource: 'unique index later_a_key' },
    ]);
    // a target session reads the same (a database that is both reads one key)
    expect((await target.describeTables!([tie, later])).map(keyOf)).toEqual([
      { key: ['b'], keySource: 'unique index tie_b' },
      { key: ['a'], keySource: 'unique index later_a_key' },
    ]);
    // and the same tables in a database without capture: the rules alone
    const plain = uniqueName('captured_key_plain');
    const plainUrl = await createDatabase(server, plain);
    try {
      await withClient(plainUrl, (client) => client.query(`
        CREATE TABLE tie (a int NOT NULL, b int NOT NULL, v text);
        CREATE UNIQUE INDEX tie_b ON tie (b);
        CREATE UNIQUE INDEX tie_a ON tie (a);
        CREATE TABLE later (a int NOT NULL UNIQUE, id int PRIMARY KEY, v text);`));
      const bare = await driver.target!.open({ name: 'ck2', type: 'postgres', params: driver.normalizeParams({ url: plainUrl }) }, { log: silentLogger, label: 'captured-key test' });
      expect((await bare.describeTables!([tie, later])).map(keyOf)).toEqual([
        { key: ['a'], keySource: 'unique index tie_a' },
        { key: ['id'], keySource: 'primary key' },
      ]);
      await bare.close();
    } finally {
      await dropDatabase(server, plain);
    }
  });

  it('a key replaced outright: described as it is, and the capture says what to do, naming the database and table', async () => {
    await sql("INSERT INTO replaced VALUES (1, 'a')");
    await sql('ALTER TABLE replaced DROP CONSTRAINT replaced_pkey, ADD PRIMARY KEY (id, v)');
    const [shape] = (await source.describeTables!([replaced])) as TableShape[];
    expect(keyOf(shape)).toEqual({ key: ['id', 'v'], keySource: 'primary key' });
    await expect(source.capture({ tables: [shape!], since: checkpoint, signal: new AbortController().signal })).rejects.toMatchObject({
      code: 'CAPTURE_FAILED',
      message: expect.stringMatching(/^The key of table "public\.replaced" on database "ck1" is now \(id, v\), its primary key, but its capture records changes by another key \(column "v" does not exist\): the key was replaced, or a key column renamed\. To lose nothing, give a renamed column its old name, or make the old key unique again on every database \(CREATE UNIQUE INDEX on its columns, NOT NULL\): the sync goes on by it\. To move to the new key: bucardo remove table public\.replaced --force, then add it again and copy it anew \(onetimecopy=1\); the changes held for it are dropped with its capture, and the copy goes from the first source to the targets only: with several sources, stop the writers and make the sources agree first \(bucardo compare\), or rows only the others have are lost$/),
      subject: { db: 'ck1', table: 'public.replaced' },
    });
    // the lossless way: the old key unique again, and the table is read by it
    await sql('CREATE UNIQUE INDEX replaced_id ON replaced (id)');
    const [kept] = (await source.describeTables!([replaced])) as TableShape[];
    expect(keyOf(kept)).toEqual({ key: ['id'], keySource: 'unique index replaced_id' });
    const changes = await source.capture({ tables: [kept!], since: checkpoint, signal: new AbortController().signal });
    expect([...changes.tables.values()].map((table) => [...table.changes.keys()])).toEqual([['1']]);
  });

  it('the same key columns in another order stay in the captured order', async () => {
    await sql('ALTER TABLE pair DROP CONSTRAINT pair_pkey, ADD PRIMARY KEY (b, a)');
    expect(keyOf(await source.describeTable!(pair))).toEqual({ key: ['a', 'b'], keySource: 'primary key' });
  });
});
