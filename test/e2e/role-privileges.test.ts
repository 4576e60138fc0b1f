/**
 * Roles with only some of the privileges, as a DBA who grants the least would set them up, through the
 * `bucardo` command:
 *
 *  - a control role without CREATEDB (the control database missing), without CREATE on the control
 *    database, or facing a `bucardo` schema someone else owns: `install` says what to run, exit 1, and
 *    makes nothing;
 *  - a source role without CREATE on its database, or not owning a table: `add sync` fails naming the
 *    database, the role, the table and what to GRANT (or ALTER), exit 1, and nothing is installed on any
 *    source (not even on the sources before it, which it could install on) nor recorded;
 *  - a target role with SELECT only: add sync is refused (PERMISSION_DENIED, naming the role, the table and
 *    what it lacks) and validate says so once the sync is there; a run fails naming the database, the role,
 *    the table and the GRANT;
 *    after the GRANT the next run delivers everything;
 *  - an application role that writes a captured table and owns nothing: its writes are captured (the
 *    capture functions are SECURITY DEFINER), it cannot read or write the change tables nor use the
 *    capture functions, and setting the sync's own `bucardo.replicating` does not hide its writes from
 *    capture (it did: any role could make changes the sync never saw).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectionUrl, serverFromInfo } from '../src/fixtures/pg-server.js';
import { bucardoEnv, runBucardo, type CliResult } from '../src/helpers/cli.js';
import { assertConverged, createDatabase, dropDatabase, uniqueName, withClient } from '../src/helpers/databases.js';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('rp_ctl');
const password = `rp-${randomBytes(8).toString('hex')}`;
const roles = { source: uniqueName('rp_src'), target: uniqueName('rp_tgt'), app: uniqueName('rp_app'), other: uniqueName('rp_owner'), control: uniqueName('rp_ctlrole') };
const controlDbs = { missing: uniqueName('rp_ctl_missing'), given: uniqueName('rp_ctl_given') };
const dbs = { a: uniqueName('rp_a'), b: uniqueName('rp_b'), t: uniqueName('rp_t') };
const env = bucardoEnv(server, control);
const bucardo = (...args: string[]): Promise<CliResult> => runBucardo(args, { env });
const admin = (db: string, text: string) => withClient(server.url(db), (c) => c.query(text));
const as = (role: string, db: string) => connectionUrl({ ...server, user: role, password }, db);
const sourceUrls = [as(roles.source, dbs.a), as(roles.source, dbs.b)];

let superuser = false;

async function ok(...args: string[]): Promise<string> {
  const r = await bucardo(...args);
  expect(r.code, `bucardo ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
}

/** What Bucardo made on a database: its schema, and the triggers on the application's tables. */
async function installed(db: string): Promise<{ schema: boolean; triggers: string[] }> {
  const [row] = (await admin(db, `SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'bucardo') AS schema,
    (SELECT coalesce(array_agg(tgname::text ORDER BY tgname), '{}'::text[]) FROM pg_trigger WHERE NOT tgisinternal) AS triggers`)).rows;
  return row;
}

beforeAll(async () => {
  superuser = (await admin('postgres', 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user')).rows[0].rolsuper === true;
  if (!superuser) return; // making roles needs one; an external server given by URL may not allow it
  for (const role of Object.values(roles)) await admin('postgres', `CREATE ROLE ${role} LOGIN PASSWORD ${pg.escapeLiteral(password)}`);
  await createDatabase(server, control);
  for (const db of Object.values(dbs)) {
    await createDatabase(server, db);
    await admin(db, 'CREATE TABLE public.acct (id int PRIMARY KEY, bal numeric NOT NULL, note text)');
  }
  for (const db of [dbs.a, dbs.b]) {
    await admin(db, `ALTER TABLE public.acct OWNER TO ${roles.source}`);
    await admin(db, `GRANT SELECT, INSERT, UPDATE, DELETE ON public.acct TO ${roles.app}`);
  }
  // the target's table is someone else's; the sync's role may only read it, for now
  await admin(dbs.t, `GRANT SELECT ON public.acct TO ${roles.target}`);
  // CREATE on the first source's database only
  await admin('postgres', `GRANT CREATE ON DATABASE ${dbs.a} TO ${roles.source}`);
  await ok('install');
  await ok('add', 'db', 'a', `dbname=${dbs.a}`, `user=${roles.source}`, `pass=${password}`);
  await ok('add', 'db', 'b', `dbname=${dbs.b}`, `user=${roles.source}`, `pass=${password}`);
  await ok('add', 'db', 't', `dbname=${dbs.t}`, `user=${roles.target}`, `pass=${password}`);
  await ok('add', 'table', 'acct', 'herd=h', 'db=a');
  await ok('add', 'dbgroup', 'g', 'a:source', 'b:source', 't:target');
});

afterAll(async () => {
  for (const db of [...Object.values(dbs), ...Object.values(controlDbs), control]) await dropDatabase(server, db);
  for (const role of Object.values(roles)) await admin('postgres', `DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
});

describe('roles with only some of the privileges', () => {
  it('install: a control role without CREATEDB, without CREATE on the control database, or not owning its bucardo schema, is told what to run; nothing is made', async (ctx) => {
    if (!superuser) ctx.skip();
    const asControl = (dbname: string, ...args: string[]) => runBucardo(args, { env: { ...bucardoEnv({ ...server, user: roles.control, password }, dbname) } });
    const role = `"${roles.control}"`;
    const missing = await asControl(controlDbs.missing, 'install');
    expect(missing.code, missing.stdout + missing.stderr).toBe(1);
    expect(missing.stderr).toBe(`ERROR: Cannot create the control database "${controlDbs.missing}": role ${role} may not create databases. Have a superuser create it for the role (CREATE DATABASE "${controlDbs.missing}" OWNER ${role}) and run bucardo install again, or give the role CREATEDB (ALTER ROLE ${role} CREATEDB) [CONTROL_NOT_INSTALLED]\n`);
    expect((await admin('postgres', `SELECT count(*)::int AS n FROM pg_database WHERE datname = '${controlDbs.missing}'`)).rows[0].n).toBe(0);

    await createDatabase(server, controlDbs.given); // the superuser's, which the role may connect to
    const noCreate = await asControl(controlDbs.given, 'install');
    expect(noCreate.code, noCreate.stdout + noCreate.stderr).toBe(1);
    expect(noCreate.stderr).toBe(`ERROR: Role ${role} cannot install the control schema "bucardo" in database "${controlDbs.given}": it needs CREATE on the database (GRANT CREATE ON DATABASE "${controlDbs.given}" TO ${role}, or ALTER DATABASE "${controlDbs.given}" OWNER TO ${role}); nothing was installed [CONTROL_NOT_INSTALLED]\n`);
    expect((await installed(controlDbs.given)).schema).toBe(false);

    // a bucardo schema the superuser made there: not the role's to fill, and no GRANT of a superuser is offered
    await admin('postgres', `GRANT CREATE ON DATABASE ${controlDbs.given} TO ${roles.control}`);
    await admin(controlDbs.given, 'CREATE SCHEMA bucardo');
    const notOwner = await asControl(controlDbs.given, 'install');
    expect(notOwner.code, notOwner.stdout + notOwner.stderr).toBe(1);
    expect(notOwner.stderr).toBe(`ERROR: Role ${role} cannot install the control schema in database "${controlDbs.given}": its schema "bucardo" belongs to role ${server.user}; run bucardo install (and every command) as that role (-U, PGUSER); nothing was changed [CONTROL_NOT_INSTALLED]\n`);
    expect((await admin(controlDbs.given, "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'bucardo'")).rows[0].n).toBe(0);

    await admin(controlDbs.given, 'DROP SCHEMA bucardo');
    const done = await asControl(controlDbs.given, 'install');
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout).toContain('Installation is now complete.');
  });

  it('add sync: a source role without CREATE on its database, or not owning a table, is told what to grant; nothing is installed anywhere', async (ctx) => {
    if (!superuser) ctx.skip();
    const noCreate = await bucardo('add', 'sync', 's', 'herd=h', 'dbs=g');
    expect(noCreate.code, noCreate.stdout + noCreate.stderr).toBe(1);
    expect(noCreate.stderr).toBe(`ERROR: Role "${roles.source}" cannot install capture on database "b" (${dbs.b}): it needs CREATE on the database to make the schema "bucardo" (GRANT CREATE ON DATABASE "${dbs.b}" TO "${roles.source}", or make the role the database's owner); nothing was installed [CAPTURE_FAILED]\n`);
    // capture went on "a" first, which allowed it: taken off again
    expect(await installed(dbs.a)).toEqual({ schema: false, triggers: [] });
    expect(await installed(dbs.b)).toEqual({ schema: false, triggers: [] });
    expect(await ok('list', 'syncs')).toMatch(/No syncs found/);

    await admin('postgres', `GRANT CREATE ON DATABASE ${dbs.b} TO ${roles.source}`);
    await admin(dbs.b, `ALTER TABLE public.acct OWNER TO ${roles.other}`);
    const notOwner = await bucardo('add', 'sync', 's', 'herd=h', 'dbs=g');
    expect(notOwner.code, notOwner.stdout + notOwner.stderr).toBe(1);
    expect(notOwner.stderr).toBe(`ERROR: Role "${roles.source}" cannot install capture on table "public.acct" on database "b" (${dbs.b}): its triggers can only be created by the table's owner, role ${roles.other} (ALTER TABLE "public"."acct" OWNER TO "${roles.source}", or GRANT ${roles.other} TO "${roles.source}"); nothing was installed [CAPTURE_FAILED]\n`);
    expect(await installed(dbs.a)).toEqual({ schema: false, triggers: [] });
    expect(await installed(dbs.b)).toEqual({ schema: false, triggers: [] });
    expect(await ok('list', 'syncs')).toMatch(/No syncs found/);

    await admin(dbs.b, `ALTER TABLE public.acct OWNER TO ${roles.source}`);
    // the target's role may only read its table: refused, and the capture it installed taken off again, naming what it lacks
    const readOnly = await bucardo('add', 'sync', 's', 'herd=h', 'dbs=g', 'autokick=false');
    expect(readOnly.code, readOnly.stdout + readOnly.stderr).toBe(1);
    expect(readOnly.stderr).toBe(`ERROR: Role "${roles.target}" may not write table "public.acct" on database "t" as the sync does: it lacks INSERT, DELETE there. Grant them to the role, or every run fails on its first write to the table [PERMISSION_DENIED]\n`);
    for (const db of [dbs.a, dbs.b]) expect(await installed(db)).toEqual({ schema: false, triggers: [] });
    expect(await ok('list', 'syncs')).toMatch(/No syncs found/);

    await admin(dbs.t, `GRANT INSERT, DELETE ON public.acct TO ${roles.target}`);
    expect(await ok('add', 'sync', 's', 'herd=h', 'dbs=g', 'autokick=false')).toContain('Added sync "s"');
    for (const db of [dbs.a, dbs.b]) expect(await installed(db)).toEqual({ schema: true, triggers: ['bucardo_capture', 'bucardo_capture_truncate'] });
    // taken away after the sync was added (the next test's run meets it): validate says so
    await admin(dbs.t, `REVOKE INSERT, DELETE ON public.acct FROM ${roles.target}`);
    const validate = await bucardo('validate', 's');
    expect(validate.code).toBe(1);
    expect(validate.stdout + validate.stderr).toContain(`Role "${roles.target}" may not write table "public.acct" on database "t" as the sync does: it lacks INSERT, DELETE there.`);
  });

  it('a target role that may only read: the run fails naming the role and the GRANT, and after it delivers everything', async (ctx) => {
    if (!superuser) ctx.skip();
    await withClient(as(roles.app, dbs.a), (c) => c.query("INSERT INTO public.acct VALUES (1, 10, 'from a')"));
    const killed = await bucardo('kick', 's', '0');
    expect(killed.code, killed.stdout + killed.stderr).toBe(2);
    expect(killed.stdout).toContain(`permission denied for table acct: the sync writes table "public.acct" on database "t" as role "${roles.target}", which needs SELECT, INSERT and DELETE on each of the sync's tables there and USAGE on their schemas (GRANT SELECT, INSERT, DELETE ON "public"."acct" TO "${roles.target}"); the changes not written wait, captured, for the next run [APPLY_FAILED]`);

    await admin(dbs.t, `GRANT SELECT, INSERT, DELETE ON public.acct TO ${roles.target}`);
    expect(await ok('kick', 's', '0')).toContain('DONE!');
    await assertConverged([...sourceUrls, as(roles.target, dbs.t)], { acct: 'id' });
    expect((await admin(dbs.t, 'SELECT id, note FROM public.acct')).rows).toEqual([{ id: 1, note: 'from a' }]);
  });

  it('an application role: its writes are captured, it cannot touch the change tables or the capture functions, nor hide its writes from capture', async (ctx) => {
    if (!superuser) ctx.skip();
    await withClient(as(roles.app, dbs.b), async (c) => {
      await c.query("INSERT INTO public.acct VALUES (2, 20, 'from b')");
      await expect(c.query('SELECT * FROM bucardo.delta_public_acct')).rejects.toMatchObject({ code: '42501', message: 'permission denied for schema bucardo' });
      await expect(c.query("INSERT INTO bucardo.delta_public_acct (id, bucardo_op) VALUES (3, 'I')")).rejects.toMatchObject({ code: '42501' });
      await expect(c.query('DELETE FROM bucardo.truncate_log')).rejects.toMatchObject({ code: '42501' });
      // a table of its own with the same columns, firing the capture function: refused
      await c.query('CREATE TEMP TABLE mine (id int, bal numeric, note text)');
      await expect(c.query('CREATE TRIGGER fake AFTER INSERT ON mine FOR EACH ROW EXECUTE FUNCTION bucardo.capture_public_acct()')).rejects.toMatchObject({ code: '42501' });
      // the sync's own setting: honoured for the sync's role only
      await c.query('BEGIN');
      await c.query("SELECT set_config('bucardo.replicating', 'on', true)");
      await c.query("INSERT INTO public.acct VALUES (4, 40, 'hidden?')");
      await c.query("UPDATE public.acct SET bal = 41 WHERE id = 2");
      await c.query('COMMIT');
    });
    expect(await ok('kick', 's', '0')).toContain('DONE!');
    await assertConverged([...sourceUrls, as(roles.target, dbs.t)], { acct: 'id' });
    expect((await admin(dbs.t, 'SELECT id, bal::int AS bal FROM public.acct ORDER BY id')).rows).toEqual([{ id: 1, bal: 10 }, { id: 2, bal: 41 }, { id: 4, bal: 40 }]);
    // the sync's own writes into the sources are still not captured again (echo): the next run has nothing
    expect(await ok('kick', 's', '0')).toMatch(/DONE!/);
    const [last] = (await admin(control, "SELECT outcome FROM bucardo.syncrun WHERE sync = 's' ORDER BY id DESC LIMIT 1")).rows;
    expect(last.outcome).toBe('empty');
  });

  it('capture installed by an earlier version: its bucardo.capturing() that spared any role is replaced when a run opens its sessions', async (ctx) => {
    if (!superuser) ctx.skip();
    // the function as earlier versions installed it (CREATE OR REPLACE keeps its owner, the source role)
    await admin(dbs.a, `CREATE OR REPLACE FUNCTION bucardo.capturing() RETURNS boolean LANGUAGE plpgsql STABLE AS $bucardo$
BEGIN
  RETURN COALESCE(pg_catalog.current_setting('bucardo.replicating', true) OPERATOR(pg_catalog.<>) 'on', true);
END $bucardo$`);
    expect(await ok('kick', 's', '0')).toContain('DONE!');
    const [guard] = (await admin(dbs.a, "SELECT prosrc LIKE '%pg_has_role%' AS current, proowner::regrole::text AS owner FROM pg_proc WHERE oid = 'bucardo.capturing()'::regprocedure")).rows;
    expect(guard).toEqual({ current: true, owner: roles.source });
    await withClient(as(roles.app, dbs.a), (c) => c.query("BEGIN; SELECT set_config('bucardo.replicating', 'on', true); INSERT INTO public.acct VALUES (6, 60, 'hidden?'); COMMIT"));
    expect(await ok('kick', 's', '0')).toContain('DONE!');
    expect((await admin(dbs.t, 'SELECT id FROM public.acct WHERE id = 6')).rows).toEqual([{ id: 6 }]);
    await assertConverged([...sourceUrls, as(roles.target, dbs.t)], { acct: 'id' });
  });
});
