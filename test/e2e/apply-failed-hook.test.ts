/**
 * The applyFailed hook (Bucardo's `exception` custom code), through `bucardo kick` with configs as users
 * write them. Two sources give one email (a unique column, not the key) to different customers:
 *  - without a plugin, the run fails saying so and the sync stalls, run after run;
 *  - with examples/bucardo.unique-rename.config.ts, the kick ends DONE: the first database's customer
 *    keeps the email, the other's is renamed on its source, and every database converges;
 *  - a tap that answers retry without fixing anything is asked twice (attempts 1 and 2, with the error as
 *    data and the keys by source), then the run fails naming the table, the database and the hook;
 *  - a tap that throws fails the run naming its plugin and the hook;
 *  - the retry reads again every batch of the transaction, those read ahead of the failure too;
 *  - a run where nothing fails never calls the hook.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { repoRoot } from '../src/helpers/cli.js';
import { assertConverged } from '../src/helpers/databases.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'apf');
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
  appendFileSync(${JSON.stringify(file)}, JSON.stringify({ db: args.db, table: args.table, attempt: args.attempt, code: args.error.code, sqlstate: args.error.sqlstate,
    constraint: args.constraint, detail: args.detail, keys: Object.fromEntries(args.keys), roles: args.databases.map((db) => db.name + ':' + db.role) }) + '\\n');
  return { retry: true };
}); } }`;

const calls = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) : []);

const customers = async (db: Db) => (await world.query(db.url, 'SELECT id, email FROM customer ORDER BY id')).map((row) => `${String(row.id)}:${String(row.email)}`);

/** Sources A and B (and target C) over table customer(id primary key, email unique), each with one customer of the same email. */
async function collision(prefix: string): Promise<{ sync: string; a: Db; b: Db; c: Db }> {
  const a = await world.database(`${prefix}_A`);
  const b = await world.database(`${prefix}_B`);
  const c = await world.database(`${prefix}_C`);
  for (const db of [a, b, c]) await world.query(db.url, 'CREATE TABLE customer (id int PRIMARY KEY, email text NOT NULL UNIQUE)');
  await world.api.addTables(['customer'], { herd: `${prefix}_h`, db: a.name });
  await world.api.addDbGroup(`${prefix}_g`, [`${a.name}:source`, `${b.name}:source`, `${c.name}:target`]);
  await world.api.addSync(prefix, { herd: `${prefix}_h`, dbs: `${prefix}_g`, autokick: 'false' });
  await world.query(a.url, "INSERT INTO customer VALUES (1, 'ann@example.com')");
  await world.query(b.url, "INSERT INTO customer VALUES (2, 'ann@example.com')");
  return { sync: prefix, a, b, c };
}

/** What a run says of the collision on database `db`, as it says it without any plugin. */
const collided = (db: string) => 'duplicate key value violates unique constraint "customer_email_key" (Key (email)=(ann@example.com) already exists.): '
  + `another row on database "${db}" holds this value. Where two sources gave it to different rows, this is a conflict between rows that no strategy settles: `
  + 'change the value on one source and the next run goes through. Where one transaction moved it from row to row and this run was cut into transactions '
  + '(batchSize, 100,000 keys by default) or key partitions (partitionSize), the row that held it is written later: raise them above the keys that transaction changed';

describe('one email given to different customers on two sources', () => {
  it('without a plugin the sync stalls; with the example unique-rename config the kick ends DONE and every database converges', async () => {
    const { sync, a, b, c } = await collision('ex');
    for (let run = 0; run < 2; run++) {
      const failed = await world.bucardo('kick', sync, '0');
      expect(failed.code, failed.stdout + failed.stderr).toBe(2);
      expect(failed.stdout).toContain(`\n    ${collided(a.name)} [APPLY_FAILED] (db ${a.name}, table public.customer, sync ${sync}, sqlstate 23505)\n`);
    }
    expect(await customers(a)).toEqual(['1:ann@example.com']);
    expect(await customers(b)).toEqual(['2:ann@example.com']);
    expect(await customers(c)).toEqual([]);

    const kicked = await world.bucardo('--config', exampleConfig, '--log-level', 'normal', 'kick', sync, '0');
    expect(kicked.code, kicked.stdout + kicked.stderr).toBe(0);
    expect(kicked.stdout).toMatch(/DONE!/);
    expect(kicked.stdout + kicked.stderr).toContain(`unique-rename: public.customer.email = "ann@example.com" is kept by the row from "${a.name}"; renamed to "ann@example.com#2" on "${b.name}" (key 2)`);
    expect(kicked.stdout + kicked.stderr).toMatch(/the applyFailed hook \(plugin unique-rename\) asked to try the transaction again \(1 of 2\)/);
    for (const db of [a, b, c]) expect(await customers(db), db.name).toEqual(['1:ann@example.com', '2:ann@example.com#2']);
    // the rename is B's own change, captured there: the next run carries it again, harmlessly
    expect(await world.ok('--config', exampleConfig, 'kick', sync, '0')).toMatch(/DONE!/);
    await assertConverged([a.url, b.url, c.url], { customer: 'id' });
  });

  it('a tap that answers retry without fixing anything is asked twice, then the run fails naming the table, the database and the hook', async () => {
    const { sync, a, b, c } = await collision('rb');
    const file = path.join(dir, 'retry-blindly.jsonl');
    const failed = await world.bucardo('--config', configWith('retry-blindly', recorder(file)), 'kick', sync, '0');
    expect(failed.code, failed.stdout + failed.stderr).toBe(2);
    expect(failed.stdout).toContain(`\n    ${collided(a.name)}; the applyFailed hook (plugin retry-blindly) had the transaction tried again 2 times for table "public.customer", `
      + `and it failed again on database "${a.name}" [APPLY_FAILED] (db ${a.name}, table public.customer, sync ${sync}, plugin retry-blindly, hook applyFailed, sqlstate 23505)\n`);
    const recorded = calls(file);
    expect(recorded.map((call) => call.attempt)).toEqual([1, 2]);
    for (const call of recorded) {
      expect(call).toMatchObject({
        table: { schema: 'public', name: 'customer' }, code: 'APPLY_FAILED', sqlstate: '23505', constraint: 'customer_email_key',
        detail: 'Key (email)=(ann@example.com) already exists.', keys: { [a.name]: ['1'], [b.name]: ['2'] },
        roles: [`${a.name}:source`, `${b.name}:source`, `${c.name}:target`],
      });
      // the first database in the sync's order whose apply failed
      expect(call.db).toBe(a.name);
    }
    // nothing of the transaction was committed anywhere
    expect(await customers(a)).toEqual(['1:ann@example.com']);
    expect(await customers(b)).toEqual(['2:ann@example.com']);
    expect(await customers(c)).toEqual([]);
  });

  it('a tap that throws fails the run naming its plugin and the hook; nothing is written', async () => {
    const { sync, a, b, c } = await collision('th');
    const thrower = "{ name: 'thrower', apply(host) { host.hooks.applyFailed.tap('thrower', () => { throw new Error('no rule for this value'); }); } }";
    const failed = await world.bucardo('--config', configWith('thrower', thrower), 'kick', sync, '0');
    expect(failed.code, failed.stdout + failed.stderr).toBe(2);
    expect(failed.stdout).toContain(`\n    [thrower] applyFailed hook: no rule for this value (asked about table "public.customer" failing on database "${a.name}": ${collided(a.name)}) `
      + `[PLUGIN_ERROR] (db ${a.name}, table public.customer, plugin thrower, hook applyFailed)\n`);
    expect(await customers(a)).toEqual(['1:ann@example.com']);
    expect(await customers(b)).toEqual(['2:ann@example.com']);
    expect(await customers(c)).toEqual([]);
  });
});

it('the retry reads every table batch of the transaction again: a fix to a table read ahead of the failure is what every database gets', async () => {
  const a = await world.database('ra_A');
  const b = await world.database('ra_B');
  const c = await world.database('ra_C');
  for (const db of [a, b, c]) await world.query(db.url, 'CREATE TABLE customer (id int PRIMARY KEY, email text NOT NULL UNIQUE)');
  // customer first in the herd: t's batch, after it in the transaction, is read while customer's is applied
  await world.api.addTables(['customer', 't'], { herd: 'ra_h', db: a.name });
  await world.api.addDbGroup('ra_g', [`${a.name}:source`, `${b.name}:source`, `${c.name}:target`]);
  await world.api.addSync('ra', { herd: 'ra_h', dbs: 'ra_g', autokick: 'false' });
  await world.query(a.url, "INSERT INTO customer VALUES (1, 'ann@example.com'); INSERT INTO t VALUES (10, 'before the fix')");
  await world.query(b.url, "INSERT INTO customer VALUES (2, 'ann@example.com')");
  const fixer = `{ name: 'fixer', apply(host) { host.hooks.applyFailed.tapPromise('fixer', async (args) => {
    const a = await args.connect(${JSON.stringify(a.name)});
    await a.query("UPDATE t SET v = 'fixed' WHERE id = 10");
    const b = await args.connect(${JSON.stringify(b.name)});
    await b.query("UPDATE customer SET email = 'bob@example.com' WHERE id = 2");
    return { retry: true };
  }); } }`;
  const kicked = await world.bucardo('--config', configWith('fixer', fixer), 'kick', 'ra', '0');
  expect(kicked.code, kicked.stdout + kicked.stderr).toBe(0);
  for (const db of [a, b, c]) {
    expect(await customers(db), db.name).toEqual(['1:ann@example.com', '2:bob@example.com']);
    expect(await world.query(db.url, 'SELECT id, v FROM t'), db.name).toEqual([{ id: 10, v: 'fixed' }]);
  }
});

it('a run where nothing fails never calls the hook', async () => {
  const { sync, a, b } = await world.pair('quiet', { autokick: false });
  await world.insert(a, 1, 2, 3);
  const file = path.join(dir, 'quiet.jsonl');
  expect(await world.ok('--config', configWith('quiet', recorder(file)), 'kick', sync, '0')).toMatch(/DONE!/);
  expect(await world.ids(b)).toEqual([1, 2, 3]);
  expect(calls(file)).toEqual([]);
});
