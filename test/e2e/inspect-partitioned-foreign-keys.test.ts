/**
 * Foreign keys and declaratively partitioned tables, the `bucardo` command run as a process: a herd holds
 * partitions (leaves), never their partitioned parent, so a key declared on a partitioned table is a key
 * of each of its partitions, and one pointing at a partitioned table points at each of its partitions.
 * The postgres plugin read foreign keys in two places with two rules: `inspect` named PostgreSQL's copies
 * of a key pointing at a partitioned table (`line_pt_fk_1`), said the parent `pt` was missing from a herd
 * holding all its partitions, and told a herd to add `pt` itself; the write order knew only `pt`, so a sync
 * wrote `line` before the partitions it points at, and the target refused it. One reader now serves both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { bucardoEnv, runBucardo, type CliResult } from '../src/helpers/cli.js';
import { createDatabase, dropDatabase, uniqueName, withClient } from '../src/helpers/databases.js';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('inspp_ctl');
const db = { a: uniqueName('inspp_a'), b: uniqueName('inspp_b') };
const dir = mkdtempSync(path.join(os.tmpdir(), 'inspp-'));
const env = { ...bucardoEnv(server, control), BUCARDO_PID_DIR: dir };
const bucardo = (...args: string[]): Promise<CliResult> => runBucardo(args, { env, cwd: dir });
const sql = async (database: string, text: string) => (await withClient(server.url(database), (c) => c.query(text))).rows;
const ok = async (...args: string[]) => {
  const r = await bucardo(...args);
  expect(r.code, `bucardo ${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
  return r;
};

// pt is partitioned on two levels; its key to customer is declared once, on pt; line points at pt
const schema = `
  CREATE TABLE customer (id int PRIMARY KEY);
  CREATE TABLE pt (id int PRIMARY KEY, cust int CONSTRAINT pt_customer_fk REFERENCES customer) PARTITION BY RANGE (id);
  CREATE TABLE pt_a PARTITION OF pt FOR VALUES FROM (0) TO (100);
  CREATE TABLE pt_b PARTITION OF pt FOR VALUES FROM (100) TO (200) PARTITION BY RANGE (id);
  CREATE TABLE pt_b1 PARTITION OF pt_b FOR VALUES FROM (100) TO (150);
  CREATE TABLE pt_b2 PARTITION OF pt_b FOR VALUES FROM (150) TO (200);
  CREATE TABLE line (id int PRIMARY KEY, pt_id int CONSTRAINT line_pt_fk REFERENCES pt)`;

const lacksCustomer = (leaf: string, herd: string) =>
  `    Table public.${leaf} is in relgroup "${herd}", but public.customer (used as FK pt_customer_fk) is not: bucardo add table public.customer herd=${herd}, or every database its syncs write to must have the rows it points at itself`;
const lineOutside = (leaf: string) =>
  `    Warning: public.line (not in relgroup "hleaves") points at public.${leaf} (FK line_pt_fk): a delete its syncs replicate fails on a database where public.line has rows pointing at the deleted row; bucardo add table public.line herd=hleaves`;
const leafOutside = (leaf: string) =>
  `    Warning: public.${leaf} (not in relgroup "hcust") points at public.customer (FK pt_customer_fk): a delete its syncs replicate fails on a database where public.${leaf} has rows pointing at the deleted row; bucardo add table public.${leaf} herd=hcust`;

beforeAll(async () => {
  for (const name of [db.a, db.b]) {
    await createDatabase(server, name);
    await sql(name, schema);
  }
  await ok('install');
  await ok('add', 'db', 'a', `dbname=${db.a}`);
  await ok('add', 'db', 'b', `dbname=${db.b}`);
  await ok('add', 'dbgroup', 'g', 'a:source', 'b:target');
  await ok('add', 'table', 'pt_a', 'pt_b1', 'pt_b2', 'db=a', 'herd=hleaves');
  // line first: the write order must put the partitions it points at before it
  await ok('add', 'table', 'line', 'pt_a', 'pt_b1', 'pt_b2', 'db=a', 'herd=hline');
  await ok('add', 'table', 'customer', 'db=a', 'herd=hcust');
});

afterAll(async () => {
  for (const name of [...Object.values(db), control]) await dropDatabase(server, name);
  rmSync(dir, { recursive: true, force: true });
});

describe('foreign keys of partitioned tables', () => {
  it('a key declared on the partitioned parent, to a table the herd lacks: said once for each partition, by its declared name; exit 2', async () => {
    const r = await bucardo('inspect', 'relgroup', 'hleaves');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(['pt_a', 'pt_b1', 'pt_b2'].map((leaf) => `Table public.${leaf} (DB: a)
  In relgroup "hleaves", which no sync replicates
${lacksCustomer(leaf, 'hleaves')}
${lineOutside(leaf)}
`).join(''));
    expect(r.code).toBe(2);
  });

  it('a key pointing at the partitioned parent is kept by a herd with all its partitions', async () => {
    const r = await bucardo('inspect', 'table', 'line');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`Table public.line (DB: a)
  In relgroup "hline", which no sync replicates
    Every table its foreign keys point at is in relgroup "hline"
`);
    expect(r.code).toBe(0);
  });

  it('the table the parent points at: each partition outside the herd is named, with the way out', async () => {
    const r = await bucardo('inspect', 'relgroup', 'hcust');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`Table public.customer (DB: a)
  In relgroup "hcust", which no sync replicates
    Every table its foreign keys point at is in relgroup "hcust"
${['pt_a', 'pt_b1', 'pt_b2'].map(leafOutside).join('\n')}
`);
    expect(r.code).toBe(0);
  });

  it('a sync of line and the partitions writes the partitions first: the rows line points at are there', async () => {
    const added = await bucardo('add', 'sync', 'sline', 'herd=hline', 'dbs=g', 'ping=false');
    expect(added.stdout).toBe('Added sync "sline"\n');
    // customer is outside the herd: its rows are given to both databases by hand, as the warning says
    expect(added.stderr).toBe(['pt_a', 'pt_b1', 'pt_b2'].map((leaf) => `WARNING: Table public.${leaf} of sync "sline" has foreign key pt_customer_fk pointing at public.customer, which is not in relgroup "hline": a row the sync writes fails on a database that lacks the row it points at. Add it (bucardo add table public.customer herd=hline), or give every database the sync writes to those rows yourself [TABLE_NOT_IN_HERD]\n`).join(''));
    expect(added.code).toBe(0);
    for (const name of [db.a, db.b]) await sql(name, 'INSERT INTO customer VALUES (1)');
    await sql(db.a, 'INSERT INTO pt VALUES (1, 1), (120, 1), (170, 1); INSERT INTO line VALUES (10, 1), (11, 120), (12, 170)');
    const kicked = await bucardo('kick', 'sline', '0');
    expect(kicked.stdout, kicked.stdout).toMatch(/^Kick sline: \[\d+ s\] DONE!$/m);
    expect(kicked.code).toBe(0);
    expect(await sql(db.b, 'SELECT l.id AS line, p.id AS pt, p.tableoid::regclass::text AS part FROM line l JOIN pt p ON p.id = l.pt_id ORDER BY l.id'))
      .toEqual([{ line: 10, pt: 1, part: 'pt_a' }, { line: 11, pt: 120, part: 'pt_b1' }, { line: 12, pt: 170, part: 'pt_b2' }]);
  });
});
