/**
 * The applyFailed hook for a failure found at commit: before any database commits, each checks the
 * transaction (`prepareCommit`: `SET CONSTRAINTS ALL IMMEDIATE` on PostgreSQL), and a DEFERRABLE INITIALLY
 * DEFERRED unique constraint refuses it there, not while the batch is written. Two sources give one email
 * (a deferred unique column, not the key) to different customers:
 *  - without a plugin, the run fails with the server's words and the sync stalls, nothing committed;
 *  - with examples/bucardo.unique-rename.config.ts, the kick ends DONE and every database converges;
 *  - a tap that answers retry without fixing anything is asked twice, with the constraint's table (named
 *    by the server, not the transaction's first table), its keys and every batch of the transaction,
 *    then the run fails naming the table, the database, the hook and that it was found at commit;
 *  - a constraint trigger whose error names no table: the hook is asked about the whole transaction, and
 *    its two attempts are counted against every table of it.
 * Nothing is committed anywhere when the run fails.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { repoRoot } from '../src/helpers/cli.js';
import { assertConverged } from '../src/helpers/databases.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'afc');
const exampleConfig = path.join(repoRoot, 'examples', 'bucardo.unique-rename.config.ts');
let dir: string;

beforeAll(async () => {
  await world.install();
  dir = world.tempDir('configs');
});
afterAll(() => world.dispose());

/** A config file holding one plugin, written as a user would: its source is the plugin object. */
function configWith(name: string, plugin: string): string {
  const file = path.join(dir, name, 'bucardo.config.ts');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `import { appendFileSync } from 'node:fs';\nexport default { plugins: [${plugin}] };\n`);
  return file;
}

/** A plugin that records every call of the hook (one JSON line each) in `file`, and answers retry without fixing anything. */
const recorder = (file: string) => `{ name: 'retry-blindly', apply(host) { host.hooks.applyFailed.tapPromise('retry-blindly', async (args) => {
  appendFileSync(${JSON.stringify(file)}, JSON.stringify({ db: args.db, table: args.table, attempt: args.attempt, phase: args.phase, whole: args.wholeTransaction,
    code: args.error.code, sqlstate: args.error.sqlstate, constraint: args.constraint, detail: args.detail, keys: Object.fromEntries(args.keys),
    batches: args.batches?.map((entry) => ({ table: entry.batch.shape.table.name, keys: Object.fromEntries(entry.keys) })) }) + '\\n');
  return { retry: true };
}); } }`;

const calls = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) : []);

const customers = async (db: Db) => (await world.query(db.url, 'SELECT id, email FROM customer ORDER BY id')).map((row) => `${String(row.id)}:${String(row.email)}`);
const notes = async (db: Db) => (await world.query(db.url, 'SELECT id, v FROM note ORDER BY id')).map((row) => `${String(row.id)}:${String(row.v)}`);

/**
 * Sources A and B (and target C) over tables note(id, v) and customer(id, email unique, deferred), in that
 * herd order: one transaction writes note's batch, then customer's. A has a customer and a note, B a
 * customer of the same email.
 */
async function collision(prefix: string, constraint = 'UNIQUE DEFERRABLE INITIALLY DEFERRED'): Promise<{ sync: string; a: Db; b: Db; c: Db }> {
  const a = await world.database(`${prefix}_A`);
  const b = await world.database(`${prefix}_B`);
  const c = await world.database(`${prefix}_C`);
  for (const db of [a, b, c]) {
    await world.query(db.url, `CREATE TABLE note (id int PRIMARY KEY, v text); CREATE TABLE customer (id int PRIMARY KEY, email text NOT NULL ${constraint})`);
  }
  await world.api.addTables(['note', 'customer'], { herd: `${prefix}_h`, db: a.name });
  await world.api.addDbGroup(`${prefix}_g`, [`${a.name}:source`, `${b.name}:source`, `${c.name}:target`]);
  await world.api.addSync(prefix, { herd: `${prefix}_h`, dbs: `${prefix}_g`, autokick: 'false' });
  await world.query(a.url, "INSERT INTO customer VALUES (1, 'ann@example.com'); INSERT INTO note VALUES (10, 'from A')");
  await world.query(b.url, "INSERT INTO customer VALUES (2, 'ann@example.com')");
  return { sync: prefix, a, b, c };
}

/** Nothing of the run's transaction is on any database: each has only its own rows. */
async function nothingCommitted({ a, b, c }: { a: Db; b: Db; c: Db }): Promise<void> {
  expect(await customers(a)).toEqual(['1:ann@example.com']);
  expect(await customers(b)).toEqual(['2:ann@example.com']);
  expect(await customers(c)).toEqual([]);
  expect(await notes(a)).toEqual(['10:from A']);
  expect(await notes(b)).toEqual([]);
  expect(await notes(c)).toEqual([]);
}

/** What a run says of the collision found at commit on database `db`, as it says it without any plugin (the same words as at apply). */
const collided = (db: string) => 'duplicate key value violates unique constraint "customer_email_key" (Key (email)=(ann@example.com) already exists.): '
  + `another row on database "${db}" holds this value. Where two sources gave it to different rows, this is a conflict between rows that no strategy settles: `
  + 'change the value on one source and the next run goes through. Where one transaction moved it from row to row and this run was cut into transactions '
  + '(batchSize, 100,000 keys by default) or key partitions (partitionSize), the row that held it is written later: raise them above the keys that transaction changed';

describe('one email given to different customers on two sources, under a deferred unique constraint', () => {
  it('without a plugin the sync stalls; with the example unique-rename config the kick ends DONE and every database converges', async () => {
    const dbs = await collision('ex');
    const { sync, a, b, c } = dbs;
    for (let run = 0; run < 2; run++) {
      const failed = await world.bucardo('kick', sync, '0');
      expect(failed.code, failed.stdout + failed.stderr).toBe(2);
      expect(failed.stdout).toContain(`\n    ${collided(a.name)} [APPLY_FAILED] (db ${a.name}, table public.customer, sync ${sync}, sqlstate 23505)\n`);
      await nothingCommitted(dbs);
    }

    const kicked = await world.bucardo('--config', exampleConfig, '--log-level', 'normal', 'kick', sync, '0');
    expect(kicked.code, kicked.stdout + kicked.stderr).toBe(0);
    expect(kicked.stdout).toMatch(/DONE!/);
    expect(kicked.stdout + kicked.stderr).toContain(`unique-rename: public.customer.email = "ann@example.com" is kept by the row from "${a.name}"; renamed to "ann@example.com#2" on "${b.name}" (key 2)`);
    expect(kicked.stdout + kicked.stderr).toContain(`Database "${a.name}" refused table public.customer when it checked the transaction before committing (${collided(a.name)}); `
      + 'the applyFailed hook (plugin unique-rename) asked to try the transaction again (1 of 2)');
    for (const db of [a, b, c]) {
      expect(await customers(db), db.name).toEqual(['1:ann@example.com', '2:ann@example.com#2']);
      expect(await notes(db), db.name).toEqual(['10:from A']);
    }
    expect(await world.ok('--config', exampleConfig, 'kick', sync, '0')).toMatch(/DONE!/);
    await assertConverged([a.url, b.url, c.url], { customer: 'id', note: 'id' });
  });

  it('a tap that answers retry without fixing anything is asked twice about the constraint\'s table, then the run fails naming it, the database and the hook', async () => {
    const dbs = await collision('rb');
    const { sync, a, b } = dbs;
    const file = path.join(dir, 'retry-blindly.jsonl');
    const failed = await world.bucardo('--config', configWith('retry-blindly', recorder(file)), 'kick', sync, '0');
    expect(failed.code, failed.stdout + failed.stderr).toBe(2);
    expect(failed.stdout).toContain(`\n    ${collided(a.name)}; the applyFailed hook (plugin retry-blindly) had the transaction tried again 2 times for table "public.customer", `
      + `and it failed again on database "${a.name}" when it checked the transaction before committing `
      + `[APPLY_FAILED] (db ${a.name}, table public.customer, sync ${sync}, plugin retry-blindly, hook applyFailed, sqlstate 23505)\n`);
    const recorded = calls(file);
    expect(recorded.map((call) => call.attempt)).toEqual([1, 2]);
    for (const call of recorded) {
      expect(call).toEqual({
        db: a.name, table: { schema: 'public', name: 'customer' }, attempt: call.attempt, phase: 'commit', code: 'APPLY_FAILED', sqlstate: '23505',
        constraint: 'customer_email_key', detail: 'Key (email)=(ann@example.com) already exists.', keys: { [a.name]: ['1'], [b.name]: ['2'] },
        // the transaction's batches in the order written: customer, the table the server named, is not the first
        batches: [{ table: 'note', keys: { [a.name]: ['10'] } }, { table: 'customer', keys: { [a.name]: ['1'], [b.name]: ['2'] } }],
      });
    }
    await nothingCommitted(dbs);
  });

  it('a refusal at commit whose error names no table: the hook is asked about the whole transaction, counted against each of its tables', async () => {
    const dbs = await collision('wt', '');
    const { sync, a, b, c } = dbs;
    // on every database, a deferred check that refuses an email held twice, in words of its own that name no table
    for (const db of [a, b, c]) {
      await world.query(db.url, `CREATE FUNCTION one_email() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN IF (SELECT count(*) FROM customer WHERE email = NEW.email) > 1 THEN RAISE EXCEPTION 'email % is taken', NEW.email USING ERRCODE = '23P01'; END IF; RETURN NULL; END $$;
        CREATE CONSTRAINT TRIGGER one_email AFTER INSERT ON customer DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION one_email()`);
    }
    const file = path.join(dir, 'whole.jsonl');
    const failed = await world.bucardo('--config', configWith('whole', recorder(file)), 'kick', sync, '0');
    expect(failed.code, failed.stdout + failed.stderr).toBe(2);
    expect(failed.stdout).toContain(`\n    email ann@example.com is taken; the applyFailed hook (plugin retry-blindly) had the transaction tried again 2 times `
      + `for the transaction's tables "public.note", "public.customer", and it failed again on database "${a.name}" when it checked the transaction before committing `
      + `[APPLY_FAILED] (db ${a.name}, sync ${sync}, plugin retry-blindly, hook applyFailed, sqlstate 23P01)\n`);
    const recorded = calls(file);
    expect(recorded.map((call) => [call.attempt, call.phase, call.whole, (call.table as { name: string }).name])).toEqual([[1, 'commit', true, 'note'], [2, 'commit', true, 'note']]);
    expect(recorded[0]!.batches).toEqual([{ table: 'note', keys: { [a.name]: ['10'] } }, { table: 'customer', keys: { [a.name]: ['1'], [b.name]: ['2'] } }]);
    await nothingCommitted(dbs);
  });
});
