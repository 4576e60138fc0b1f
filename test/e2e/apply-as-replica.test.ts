/**
 * `postgres({ applyAsReplica: true })`: rows a sync writes go in with session_replication_role = replica,
 * as Bucardo writes them, so user triggers on the receiving databases stay quiet for them (a BEFORE
 * trigger that stamps rows would otherwise stamp them again on every database). Run through the CLI as an
 * ordinary role that was granted SET on the parameter (PostgreSQL 15+), with a bucardo.config.ts; and the
 * same role without the grant, which must fail naming a database and the grant, and lose nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectionUrl, serverFromInfo } from '../src/fixtures/pg-server.js';
import { bucardoEnv, repoRoot, runBucardo, type CliResult } from '../src/helpers/cli.js';
import { createDatabase, dropDatabase, uniqueName, withClient } from '../src/helpers/databases.js';

const server = serverFromInfo(inject('pg'));
const role = uniqueName('ar_role');
const password = `ar-${randomBytes(8).toString('hex')}`;
const control = uniqueName('ar_ctl');
const dbs = { a: uniqueName('ar_a'), b: uniqueName('ar_b'), c: uniqueName('ar_c') };
const asRole = (db: string) => connectionUrl({ ...server, user: role, password }, db);
// Inside the repository, so that the config's import of @bucardo/plugin-postgres resolves as in a user's project.
const dir = path.join(repoRoot, 'test', '.tmp', uniqueName('replica'));
const env = bucardoEnv({ ...server, user: role, password }, control);
const bucardo = (...args: string[]): Promise<CliResult> => runBucardo(args, { env, cwd: dir });
const admin = (db: string, text: string) => withClient(server.url(db), (c) => c.query(text));
const sql = (db: string, text: string) => withClient(asRole(db), (c) => c.query(text));

const SCHEMA = `
  CREATE TABLE item (id int PRIMARY KEY, v text NOT NULL, stamped_on text);
  CREATE TABLE noted (id int, op text, db text);
  -- a user's BEFORE trigger that stamps each row with the database it was written on
  CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN NEW.stamped_on := current_database(); RETURN NEW; END $$;
  CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON item FOR EACH ROW EXECUTE FUNCTION stamp();
  -- and an AFTER trigger that notes each write in a table the sync does not carry
  CREATE FUNCTION note() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO noted VALUES (NEW.id, TG_OP, current_database()); RETURN NULL; END $$;
  CREATE TRIGGER note AFTER INSERT OR UPDATE ON item FOR EACH ROW EXECUTE FUNCTION note();`;

let superuser = false;

async function ok(...args: string[]): Promise<string> {
  const r = await bucardo(...args);
  expect(r.code, `bucardo ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
}

const items = async (db: string) => (await sql(db, 'SELECT id, v, stamped_on FROM item ORDER BY id')).rows;
const noted = async (db: string) => (await sql(db, 'SELECT id, op, db FROM noted ORDER BY id, op')).rows;
const pendingDeltas = async (db: string) => Number((await sql(db, 'SELECT count(*) AS n FROM bucardo.delta_public_item')).rows[0].n);

beforeAll(async () => {
  superuser = (await admin('postgres', 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user')).rows[0].rolsuper === true;
  const version = Number((await admin('postgres', 'SHOW server_version_num')).rows[0].server_version_num);
  // making roles needs a superuser, and GRANT SET ON PARAMETER PostgreSQL 15
  if (!superuser || version < 150000) { superuser = false; return; }
  await admin('postgres', `CREATE ROLE ${role} LOGIN PASSWORD ${pg.escapeLiteral(password)} NOSUPERUSER NOCREATEDB NOCREATEROLE`);
  await admin('postgres', `GRANT SET ON PARAMETER session_replication_role TO "${role}"`);
  await createDatabase(server, control);
  await admin('postgres', `GRANT CREATE ON DATABASE ${control} TO ${role}`);
  for (const db of Object.values(dbs)) {
    await createDatabase(server, db);
    await admin('postgres', `ALTER DATABASE ${db} OWNER TO ${role}`);
    await sql(db, SCHEMA);
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'bucardo.config.ts'), `
    import { defineConfig } from '@bucardo/plugin-sdk';
    import { postgres } from '@bucardo/plugin-postgres';
    export default defineConfig({ plugins: [postgres({ applyAsReplica: true })], control: { dbname: ${JSON.stringify(control)} } });
  `);
  mkdirSync(path.join(dir, 'bad'), { recursive: true });
  writeFileSync(path.join(dir, 'bad', 'bucardo.config.ts'), `
    import { postgres } from '@bucardo/plugin-postgres';
    export default { plugins: [postgres({ applyAsReplica: 'yes' } as never)] };
  `);
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!superuser) return;
  for (const db of [...Object.values(dbs), control]) await dropDatabase(server, db);
  await admin('postgres', `REVOKE SET ON PARAMETER session_replication_role FROM ${role}`).catch(() => undefined);
  await admin('postgres', `DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
});

describe('applyAsReplica', () => {
  it("writes the sync's rows as a replica: user triggers fire only where a row was first written; all converge; no echo", async (ctx) => {
    if (!superuser) ctx.skip();
    await ok('install');
    for (const [name, db] of Object.entries(dbs)) await ok('add', 'db', name, `dbname=${db}`);
    await ok('add', 'table', 'item', 'herd=h');
    await ok('add', 'sync', 's', 'herd=h', 'dbs=a:source,b:source,c:target', 'autokick=false');

    await sql(dbs.a, "INSERT INTO item (id, v) VALUES (1, 'one'), (2, 'two')");
    await sql(dbs.b, "INSERT INTO item (id, v) VALUES (3, 'three')");
    expect(await ok('kick', 's', '0')).toMatch(/DONE!/);

    // every database has each row as its origin stamped it: the stamp trigger did not fire again
    const expected = [
      { id: 1, v: 'one', stamped_on: dbs.a },
      { id: 2, v: 'two', stamped_on: dbs.a },
      { id: 3, v: 'three', stamped_on: dbs.b },
    ];
    for (const db of Object.values(dbs)) expect(await items(db), db).toEqual(expected);
    // the note trigger fired for the local writes only
    expect(await noted(dbs.a)).toEqual([{ id: 1, op: 'INSERT', db: dbs.a }, { id: 2, op: 'INSERT', db: dbs.a }]);
    expect(await noted(dbs.b)).toEqual([{ id: 3, op: 'INSERT', db: dbs.b }]);
    expect(await noted(dbs.c)).toEqual([]);

    // the capture triggers stayed quiet too: the next run has nothing to do
    expect(await ok('kick', 's', '0')).toMatch(/DONE!/);
    const runs = await withClient(server.url(control), (c) => c.query("SELECT outcome FROM bucardo.syncrun WHERE sync = 's' ORDER BY id"));
    expect(runs.rows.map((run) => run.outcome)).toEqual(['good', 'empty']);
  });

  it('a role that may not set session_replication_role: the kick fails naming a database and the grant, and nothing is lost', async (ctx) => {
    if (!superuser) ctx.skip();
    await admin('postgres', `REVOKE SET ON PARAMETER session_replication_role FROM ${role}`);
    await sql(dbs.a, "UPDATE item SET v = 'one, changed' WHERE id = 1");
    const before = { b: await items(dbs.b), c: await items(dbs.c) };

    const failed = await bucardo('kick', 's', '0');
    expect(failed.code, failed.stdout + failed.stderr).toBe(2);
    expect(failed.stdout).toMatch(/^Kick s: \[\d+ s\] KILLED!\n/);
    expect(failed.stdout).toContain('[CONNECTION_FAILED]');
    expect(failed.stdout).toMatch(new RegExp(`Cannot connect to database "[abc]" .*permission denied to set parameter "session_replication_role"`));
    expect(failed.stdout).toContain(`GRANT SET ON PARAMETER session_replication_role TO "${role}"`);
    const bad = await withClient(server.url(control), (c) => c.query("SELECT outcome, error FROM bucardo.syncrun WHERE sync = 's' ORDER BY id DESC LIMIT 1"));
    expect(bad.rows[0]).toMatchObject({ outcome: 'bad', error: { code: 'CONNECTION_FAILED', sqlstate: '42501' } });
    expect(['a', 'b', 'c']).toContain(bad.rows[0].error.db);

    // nothing was written anywhere, and the change is still waiting on its source
    expect(await items(dbs.b)).toEqual(before.b);
    expect(await items(dbs.c)).toEqual(before.c);
    expect(await pendingDeltas(dbs.a)).toBeGreaterThan(0);

    await admin('postgres', `GRANT SET ON PARAMETER session_replication_role TO "${role}"`);
    expect(await ok('kick', 's', '0')).toMatch(/DONE!/);
    for (const db of Object.values(dbs)) expect((await items(db))[0], db).toEqual({ id: 1, v: 'one, changed', stamped_on: dbs.a });
    expect(await noted(dbs.c)).toEqual([]);
  });

  it('a value that is not true or false is CONFIG_INVALID naming the option, before anything runs', async (ctx) => {
    if (!superuser) ctx.skip();
    const result = await runBucardo(['list', 'dbs'], { env, cwd: path.join(dir, 'bad') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[CONFIG_INVALID]');
    expect(result.stderr).toContain('postgres: applyAsReplica must be true or false, not yes');
  });
});
