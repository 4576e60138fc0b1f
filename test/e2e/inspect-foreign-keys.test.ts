/**
 * Tables that foreign keys point at, left out of a sync (Bucardo's `inspect table`), the `bucardo` command
 * run as a process on real databases: `inspect table|herd|sync` prints per table the relgroups it is in,
 * their syncs, and each table its foreign keys point at that a relgroup lacks, with the constraint and the
 * way out (exit 2), or that nothing is missing (exit 0); a table outside the relgroup pointing at one in it
 * and refusing deletes is a warning line. `validate` warns about the same (exit 0), and `add sync`, `update
 * sync … add table` say it after they succeed. Before, a sync whose herd had the child and not its parent
 * was told only when a run failed on a target.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { bucardoEnv, runBucardo, type CliResult } from '../src/helpers/cli.js';
import { createDatabase, dropDatabase, uniqueName, withClient } from '../src/helpers/databases.js';
import { controlOn } from '../src/helpers/connection-specs.js';
import { Bucardo } from '@bucardo/core';
import { standardPlugins } from '@bucardo/cli';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('insp_ctl');
const db = { a: uniqueName('insp_a'), b: uniqueName('insp_b') };
/** The pid files `kick` looks for, and a directory without a config file to find. */
const dir = mkdtempSync(path.join(os.tmpdir(), 'insp-'));
const env = { ...bucardoEnv(server, control), BUCARDO_PID_DIR: dir };
const bucardo = (...args: string[]): Promise<CliResult> => runBucardo(args, { env, cwd: dir });
const sql = async (database: string, text: string) => (await withClient(server.url(database), (c) => c.query(text))).rows;
const ok = async (...args: string[]) => {
  const r = await bucardo(...args);
  expect(r.code, `bucardo ${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
  return r;
};

const schema = `
  CREATE TABLE parent (id int PRIMARY KEY);
  CREATE TABLE child (id int PRIMARY KEY, parent_id int CONSTRAINT child_parent_fk REFERENCES parent);
  -- cascades: a delete replicated to parent does to audit what the source did; never a warning
  CREATE TABLE audit (id int PRIMARY KEY, parent_id int CONSTRAINT audit_parent_fk REFERENCES parent ON DELETE CASCADE);
  CREATE TABLE customer (id int PRIMARY KEY);
  CREATE TABLE invoice (id int PRIMARY KEY, customer_id int CONSTRAINT invoice_customer_fk REFERENCES customer);
  CREATE TABLE solo (id int PRIMARY KEY)`;

const parentMissing = (sync: string, herd: string) =>
  `WARNING: Table public.child of sync "${sync}" has foreign key child_parent_fk pointing at public.parent, which is not in relgroup "${herd}": a row the sync writes fails on a database that lacks the row it points at. Add it (bucardo add table public.parent herd=${herd}), or give every database the sync writes to those rows yourself [TABLE_NOT_IN_HERD]`;
const invoiceOutside = 'Table public.customer of sync "scust" is pointed at by foreign key invoice_customer_fk of public.invoice, which is not in relgroup "hcust": a delete the sync replicates fails on a database where public.invoice has rows pointing at the deleted row. Add it (bucardo add table public.invoice herd=hcust), or keep such rows off the databases the sync writes to [TABLE_NOT_IN_HERD]';
const childMissesParent = (herd: string) =>
  `    Table public.child is in relgroup "${herd}", but public.parent (used as FK child_parent_fk) is not: bucardo add table public.parent herd=${herd}, or every database its syncs write to must have the rows it points at itself`;

/** Connections ever made to `database` (`pg_stat_database.sessions`), once the count stops moving: a backend counts itself as it exits. */
async function sessionsOn(database: string): Promise<number> {
  const read = async () => Number((await withClient(server.url(), (c) => c.query<{ n: string }>('SELECT sessions AS n FROM pg_stat_database WHERE datname = $1', [database]))).rows[0]!.n);
  let last = await read();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const now = await read();
    if (now === last) return now;
    last = now;
  }
}

beforeAll(async () => {
  for (const name of [db.a, db.b]) {
    await createDatabase(server, name);
    await sql(name, schema);
  }
  await ok('install');
  await ok('add', 'db', 'a', `dbname=${db.a}`);
  await ok('add', 'db', 'b', `dbname=${db.b}`);
  await ok('add', 'dbgroup', 'g', 'a:source', 'b:target');
  await ok('add', 'table', 'child', 'db=a', 'herd=hc');
  await ok('add', 'table', 'parent', 'child', 'db=a', 'herd=hpc');
  await ok('add', 'table', 'customer', 'db=a', 'herd=hcust');
  await ok('add', 'table', 'solo', 'db=a', 'herd=hu');
});

afterAll(async () => {
  for (const name of [...Object.values(db), control]) await dropDatabase(server, name);
  rmSync(dir, { recursive: true, force: true });
});

describe('foreign keys leaving a sync\'s relgroup', () => {
  it('add sync of a herd with the child and not its parent: added, then a warning naming sync, tables and constraint', async () => {
    const r = await bucardo('add', 'sync', 'sc', 'herd=hc', 'dbs=g', 'ping=false');
    expect(r.stdout).toBe('Added sync "sc"\n');
    expect(r.stderr).toBe(`${parentMissing('sc', 'hc')}\n`);
    expect(r.code).toBe(0);
    expect((await ok('list', 'syncs', 'sc')).stdout).toContain('Sync "sc"  Relgroup "hc"');
  });

  it('add sync of a herd with both tables: no warning; one whose table is pointed at from outside, refusing deletes: a warning', async () => {
    const both = await bucardo('add', 'sync', 'spc', 'herd=hpc', 'dbs=g', 'ping=false');
    expect(both.stdout).toBe('Added sync "spc"\n');
    expect(both.stderr).toBe('');
    expect(both.code).toBe(0);
    const customer = await bucardo('add', 'sync', 'scust', 'herd=hcust', 'dbs=g', 'ping=false');
    expect(customer.stdout).toBe('Added sync "scust"\n');
    expect(customer.stderr).toBe(`WARNING: ${invoiceOutside}\n`);
    expect(customer.code).toBe(0);
    const solo = await bucardo('add', 'sync', 'su', 'herd=hu', 'dbs=g', 'ping=false');
    expect(solo.stderr).toBe('');
    expect(solo.code).toBe(0);
  });

  it('update sync … add table of a child without its parent: added, then the warning', async () => {
    const r = await bucardo('update', 'sync', 'su', 'add', 'table', 'child');
    expect(r.stdout).toBe('Added to sync "su": public.child\nNote: the rows already in them are not copied, only changes from now on; bucardo update sync su onetimecopy=2 copies them to each target whose table is still empty when its next run starts (a change may have reached it first: then onetimecopy=1 copies every table of the sync); a copy goes from the first source to the targets only: rows only another source has reach the others when they change there\n');
    expect(r.stderr).toBe(`${parentMissing('su', 'hu')}\n`);
    expect(r.code).toBe(0);
  });

  it('inspect table: per relgroup, the syncs, and the parent it lacks with the constraint and the way out; exit 2', async () => {
    const r = await bucardo('inspect', 'table', 'child');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`Table public.child (DB: a)
  In relgroup "hc", replicated by sync "sc"
${childMissesParent('hc')}
  In relgroup "hpc", replicated by sync "spc"
    Every table its foreign keys point at is in relgroup "hpc"
  In relgroup "hu", replicated by sync "su"
${childMissesParent('hu')}
`);
    expect(r.code).toBe(2);
  });

  it('inspect herd with both tables: nothing missing, exit 0; inspect sync with a table pointed at from outside: a warning line, exit 0', async () => {
    const herd = await bucardo('inspect', 'relgroup', 'hpc');
    expect(herd.stderr).toBe('');
    // a herd named twice is inspected once
    expect((await bucardo('inspect', 'relgroup', 'hpc', 'hpc')).stdout).toBe(herd.stdout);
    expect(herd.stdout).toBe(`Table public.parent (DB: a)
  In relgroup "hpc", replicated by sync "spc"
    Every table its foreign keys point at is in relgroup "hpc"
Table public.child (DB: a)
  In relgroup "hpc", replicated by sync "spc"
    Every table its foreign keys point at is in relgroup "hpc"
`);
    expect(herd.code).toBe(0);
    const sync = await bucardo('inspect', 'sync', 'scust');
    expect(sync.stderr).toBe('');
    expect(sync.stdout).toBe(`Table public.customer (DB: a)
  In relgroup "hcust", replicated by sync "scust"
    Every table its foreign keys point at is in relgroup "hcust"
    Warning: public.invoice (not in relgroup "hcust") points at public.customer (FK invoice_customer_fk): a delete its syncs replicate fails on a database where public.invoice has rows pointing at the deleted row; bucardo add table public.invoice herd=hcust
`);
    expect(sync.code).toBe(0);
  });

  it('a table in no relgroup says so, exit 0; unknown names are errors naming them, exit 1', async () => {
    await ok('add', 'table', 'audit', 'db=a');
    const none = await bucardo('inspect', 'table', 'audit');
    expect(none.stdout).toBe('Table public.audit (DB: a)\n  In no relgroup\n');
    expect(none.code).toBe(0);
    const cases: Array<[string[], string]> = [
      [['inspect', 'table', 'nosuch'], 'ERROR: Table "nosuch" has not been added: run "bucardo add table nosuch" first [TABLE_NOT_FOUND]\n'],
      [['inspect', 'table', 'child', 'invoice'], 'ERROR: Table "invoice" has not been added: run "bucardo add table invoice" first [TABLE_NOT_FOUND]\n'],
      [['inspect', 'herd', 'nosuch'], 'ERROR: There is no herd (relgroup) named "nosuch" [HERD_NOT_FOUND]\n'],
      [['inspect', 'sync', 'nosuch'], 'ERROR: There is no sync named "nosuch" [SYNC_NOT_FOUND]\n'],
      [['inspect', 'table'], 'ERROR: Usage: bucardo inspect table TABLE… | herd NAME… | sync NAME… [INVALID_ARGUMENT]\n'],
      [['inspect', 'frobs', 'x'], 'ERROR: Usage: bucardo inspect table TABLE… | herd NAME… | sync NAME… ("frobs" is not one of them) [INVALID_ARGUMENT]\n'],
    ];
    for (const [args, stderr] of cases) {
      const r = await bucardo(...args);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toBe(stderr);
      expect(r.code, args.join(' ')).toBe(1);
    }
  });

  it('add table into a relgroup a sync uses: added to the sync, then the warning for that sync', async () => {
    const r = await bucardo('add', 'table', 'audit', 'herd=hu');
    expect(r.stdout).toBe(`The following tables or sequences are now part of the relgroup "hu":
  public.audit
Sync "su" now replicates them
Note: the rows already in them are not copied, only changes from now on; bucardo update sync su onetimecopy=2 copies them to each target whose table is still empty when its next run starts (a change may have reached it first: then onetimecopy=1 copies every table of the sync); a copy goes from the first source to the targets only: rows only another source has reach the others when they change there
`);
    expect(r.stderr).toBe(`${parentMissing('su', 'hu')}
WARNING: Table public.audit of sync "su" has foreign key audit_parent_fk pointing at public.parent, which is not in relgroup "hu": a row the sync writes fails on a database that lacks the row it points at. Add it (bucardo add table public.parent herd=hu), or give every database the sync writes to those rows yourself [TABLE_NOT_IN_HERD]
`);
    expect(r.code).toBe(0);
  });

  it('add table into a relgroup three syncs use: the warning for each sync, read on one session of their source', async () => {
    await ok('add', 'table', 'solo', 'herd=hm');
    for (const sync of ['m1', 'm2', 'm3']) await ok('add', 'sync', sync, 'herd=hm', 'dbs=g', 'ping=false');
    const r = await bucardo('add', 'table', 'child', 'herd=hm');
    expect(r.stdout).toContain('Syncs "m1", "m2", "m3" now replicate them\n');
    expect(r.stderr).toBe(`${['m1', 'm2', 'm3'].map((sync) => parentMissing(sync, 'hm')).join('\n')}\n`);
    expect(r.code).toBe(0);
    // what the command asks for, by the API: one connection to the source for the three syncs (it was one each)
    // the databases were added without a user or host: in this process too, the PG* variables the CLI gets say them
    for (const [name, value] of Object.entries(env)) if (name.startsWith('PG') && value !== undefined) process.env[name] = value;
    const api = await Bucardo.open({ plugins: standardPlugins(), control: controlOn(server, control), logLevel: 'warn' });
    try {
      const before = await sessionsOn(db.a);
      const found = await api.foreignKeyWarnings(['m1', 'm2', 'nosuch', 'm3']);
      expect(await sessionsOn(db.a) - before).toBe(1);
      expect(found.map(({ sync, warnings, error }) => [sync, warnings.map((warning) => `WARNING: ${warning.message} [${warning.code}]`), error?.code])).toEqual([
        ['m1', [parentMissing('m1', 'hm')], undefined],
        ['m2', [parentMissing('m2', 'hm')], undefined],
        ['nosuch', [], 'SYNC_NOT_FOUND'],
        ['m3', [parentMissing('m3', 'hm')], undefined],
      ]);
    } finally {
      await api.close();
    }
    for (const sync of ['m1', 'm2', 'm3']) await ok('remove', 'sync', sync);
  });

  it('validate warns, exit 0: the missing parent, the table outside refusing deletes; none for the herd with both', async () => {
    const r = await bucardo('validate', 'sc', 'spc', 'scust');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`Validating sync sc ... OK
  Warning: ${parentMissing('sc', 'hc').replace(/^WARNING: /, '')}
Validating sync spc ... OK
Validating sync scust ... OK
  Warning: ${invoiceOutside}
`);
    expect(r.code).toBe(0);
  });

  it('what the warning says holds: the sync without the parent fails on the target, the one with it delivers both', async () => {
    await sql(db.a, 'INSERT INTO parent VALUES (1); INSERT INTO child VALUES (10, 1)');
    const failed = await bucardo('kick', 'sc', '0');
    expect(failed.stdout).toContain('KILLED!');
    expect(failed.stdout).toContain('violates foreign key constraint "child_parent_fk"');
    expect(failed.code).toBe(2);
    expect(await sql(db.b, 'SELECT (SELECT count(*)::int FROM parent) AS parents, (SELECT count(*)::int FROM child) AS children')).toEqual([{ parents: 0, children: 0 }]);
    await ok('kick', 'spc', '0');
    expect(await sql(db.b, 'SELECT p.id AS parent, c.id AS child FROM child c JOIN parent p ON p.id = c.parent_id')).toEqual([{ parent: 1, child: 10 }]);
  });
});
