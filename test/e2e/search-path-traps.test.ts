/**
 * Objects someone else puts on the sync role's search path never run as it (CVE-2018-1058): a role that may
 * create in `public` of every database (as any role may on PostgreSQL 14 and older) defines `=(varchar,
 * varchar)`, which matches a varchar key better than the built-in `=(text, text)`; `=(oid, regclass)` and
 * `=(oid, regprocedure)`, which match the plugin's catalog lookups better than `=(oid, oid)`; and `unnest`
 * of varchar and text arrays, which match better than `pg_catalog.unnest(anyarray)`; each records its
 * calls; and `=(regclass, oid)`, `=(regclass, regclass)`, `<>(regclass, regclass)` (a foreign key's tables, read
 * from the partition tree), `array_agg(text)`, `array_agg(oid)`, `*(numeric, integer)` (a change's time),
 * `=(text[], text[])` and `>(real, integer)`. They are there before the tables are added. A sync of two
 * sources and a target, a varchar key, a table with a foreign key to it and
 * a composite key with a varchar part, through the `bucardo` command: inserts, updates, deletes, a
 * conflict, an onetimecopy. Every database ends with the same rows, and the traps were never called: the
 * plugin names its operators and functions with their schema.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { uniqueName } from '../src/helpers/databases.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const trapper = uniqueName('sp_trapper');

/** What the other role creates in `public` of a database: the traps, and the table they record calls in. */
const TRAPS = `
  SET ROLE ${trapper};
  CREATE TABLE public.trap_calls (what text NOT NULL, role text NOT NULL DEFAULT current_user);
  GRANT INSERT ON public.trap_calls TO PUBLIC;
  CREATE FUNCTION public.trap_eq(varchar, varchar) RETURNS boolean LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO public.trap_calls (what) VALUES ('='); RETURN $1::text OPERATOR(pg_catalog.=) $2::text; END $$;
  CREATE OPERATOR public.= (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = public.trap_eq);
  CREATE FUNCTION public.unnest(varchar[]) RETURNS SETOF varchar LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO public.trap_calls (what) VALUES ('unnest(varchar[])'); RETURN QUERY SELECT pg_catalog.unnest($1); END $$;
  CREATE FUNCTION public.unnest(text[]) RETURNS SETOF text LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO public.trap_calls (what) VALUES ('unnest(text[])'); RETURN QUERY SELECT pg_catalog.unnest($1); END $$;
  CREATE FUNCTION public.trap_oid_eq(oid, regclass) RETURNS boolean LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO public.trap_calls (what) VALUES ('=(oid, regclass)'); RETURN $1 OPERATOR(pg_catalog.=) $2::oid; END $$;
  CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = regclass, FUNCTION = public.trap_oid_eq);
  CREATE FUNCTION public.trap_proc_eq(oid, regprocedure) RETURNS boolean LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO public.trap_calls (what) VALUES ('=(oid, regprocedure)'); RETURN $1 OPERATOR(pg_catalog.=) $2::oid; END $$;
  CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = regprocedure, FUNCTION = public.trap_proc_eq);
  CREATE FUNCTION public.trap_regclass_oid_eq(regclass, oid) RETURNS boolean LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO public.trap_calls (what) VALUES ('=(regclass, oid)'); RETURN $1::oid OPERATOR(pg_catalog.=) $2; END $$;
  CREATE OPERATOR public.= (LEFTARG = regclass, RIGHTARG = oid, FUNCTION = public.trap_regclass_oid_eq);
  CREATE FUNCTION public.trap_regclass_eq(regclass, regclass) RETURNS boolean LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO public.trap_calls (what) VALUES ('=(regclass, regclass)'); RETURN $1::oid OPERATOR(pg_catalog.=) $2::oid; END $$;
  CREATE OPERATOR public.= (LEFTARG = regclass, RIGHTARG = regclass, FUNCTION = public.trap_regclass_eq);
  CREATE FUNCTION public.trap_regclass_ne(regclass, regclass) RETURNS boolean LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO public.trap_calls (what) VALUES ('<>(regclass, regclass)'); RETURN $1::oid OPERATOR(pg_catalog.<>) $2::oid; END $$;
  CREATE OPERATOR public.<> (LEFTARG = regclass, RIGHTARG = regclass, FUNCTION = public.trap_regclass_ne);
  CREATE FUNCTION public.trap_agg_text(text[], text) RETURNS text[] LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO public.trap_calls (what) VALUES ('array_agg(text)'); RETURN $1 OPERATOR(pg_catalog.||) $2; END $$;
  CREATE AGGREGATE public.array_agg(text) (SFUNC = public.trap_agg_text, STYPE = text[]);
  CREATE FUNCTION public.trap_agg_oid(oid[], oid) RETURNS oid[] LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO public.trap_calls (what) VALUES ('array_agg(oid)'); RETURN $1 OPERATOR(pg_catalog.||) $2; END $$;
  CREATE AGGREGATE public.array_agg(oid) (SFUNC = public.trap_agg_oid, STYPE = oid[]);
  CREATE FUNCTION public.trap_times(numeric, integer) RETURNS numeric LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO public.trap_calls (what) VALUES ('*(numeric, integer)'); RETURN $1 OPERATOR(pg_catalog.*) $2; END $$;
  CREATE OPERATOR public.* (LEFTARG = numeric, RIGHTARG = integer, FUNCTION = public.trap_times);
  CREATE FUNCTION public.trap_text_arrays_eq(text[], text[]) RETURNS boolean LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO public.trap_calls (what) VALUES ('=(text[], text[])'); RETURN $1 OPERATOR(pg_catalog.=) $2; END $$;
  CREATE OPERATOR public.= (LEFTARG = text[], RIGHTARG = text[], FUNCTION = public.trap_text_arrays_eq);
  CREATE FUNCTION public.trap_real_gt(real, integer) RETURNS boolean LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO public.trap_calls (what) VALUES ('>(real, integer)'); RETURN $1 OPERATOR(pg_catalog.>) $2; END $$;
  CREATE OPERATOR public.> (LEFTARG = real, RIGHTARG = integer, FUNCTION = public.trap_real_gt);
  RESET ROLE`;

describe('operators and functions others create on the search path', () => {
  const world = new DaemonWorld(server, 'spt');
  let dbs: Db[] = [];
  let superuser = false;

  const everywhere = async (text: string) => Promise.all(dbs.map((db) => world.query(db.url, text)));
  const rows = async (db: Db) => ({
    acct: (await world.query(db.url, 'SELECT id, v FROM acct ORDER BY id COLLATE "C"')).map((row) => `${String(row.id)}=${String(row.v)}`),
    pair: (await world.query(db.url, 'SELECT region, id, v FROM pair ORDER BY region COLLATE "C", id')).map((row) => `${String(row.region)}/${String(row.id)}=${String(row.v)}`),
    note: (await world.query(db.url, 'SELECT id, acct, body FROM note ORDER BY id')).map((row) => `${String(row.id)}:${String(row.acct)}=${String(row.body)}`),
  });
  const trapCalls = async () => (await everywhere('SELECT what, role FROM public.trap_calls')).flat();

  beforeAll(async () => {
    await world.install();
    superuser = (await world.sql('SELECT rolsuper FROM pg_roles WHERE rolname = current_user'))[0]?.rolsuper === true;
    if (!superuser) return; // making a role needs one; an external server given by URL may not allow it
    dbs = [await world.database('sp_A'), await world.database('sp_B'), await world.database('sp_C')];
    await world.query(dbs[0]!.url, `CREATE ROLE ${trapper} NOLOGIN`);
    await everywhere(`
      CREATE TABLE acct (id varchar(20) PRIMARY KEY, v text);
      CREATE TABLE pair (region varchar(10), id int, v text, PRIMARY KEY (region, id));
      CREATE TABLE note (id int PRIMARY KEY, acct varchar(20) NOT NULL REFERENCES acct ON DELETE CASCADE, body text);
      GRANT CREATE ON SCHEMA public TO ${trapper}`);
    // every database starts with the same rows
    await everywhere(`INSERT INTO acct SELECT 'k' || i, 'seed' FROM generate_series(1, 20) AS i;
      INSERT INTO pair SELECT 'r' || (i % 3), i, 'seed' FROM generate_series(1, 20) AS i;
      INSERT INTO note SELECT i, 'k' || (i + 10), 'seed' FROM generate_series(1, 5) AS i; ANALYZE`);
    // set before the tables are added, so that adding them and installing capture meet the traps too
    await everywhere(TRAPS);
    await world.api.addTables(['acct', 'pair', 'note'], { herd: 'sp_h', db: 'sp_A' });
    await world.api.addDbGroup('sp_g', ['sp_A:source', 'sp_B:source', 'sp_C:target']);
    await world.api.addSync('sp', { herd: 'sp_h', dbs: 'sp_g', autokick: 'false', conflict: 'latest' });
  });
  afterAll(async () => {
    await world.dispose();
    if (superuser) await world.query(server.url('postgres'), `DROP ROLE IF EXISTS ${trapper}`).catch(() => undefined);
  });

  it('never call them: inserts, updates, deletes, a conflict and an onetimecopy converge with no trap called', async (context) => {
    if (!superuser) context.skip();
    const [a, b, c] = dbs as [Db, Db, Db];
    // the test's own statements compare as text, which does not reach the traps
    await world.query(a.url, `INSERT INTO acct VALUES ('new-a', 'from A'); UPDATE acct SET v = 'A wrote' WHERE id::text IN ('k1', 'k2', 'k3');
      DELETE FROM acct WHERE id::text IN ('k4', 'k5'); INSERT INTO pair VALUES ('r9', 100, 'from A');
      UPDATE pair SET v = 'A wrote' WHERE region::text = 'r1' AND id = 1; DELETE FROM pair WHERE region::text = 'r2' AND id = 2;
      INSERT INTO note VALUES (6, 'new-a', 'on new-a'); UPDATE note SET body = 'A wrote' WHERE id = 1; UPDATE acct SET v = 'A wrote' WHERE id::text = 'k12'`);
    await world.query(b.url, `INSERT INTO acct VALUES ('new-b', 'from B'); UPDATE acct SET v = 'B wrote' WHERE id::text IN ('k6', 'k7');
      DELETE FROM acct WHERE id::text = 'k8'; UPDATE pair SET v = 'B wrote' WHERE region::text = 'r0' AND id = 3`);
    // a conflict: both sources change k1 and pair r1/1; B writes last and wins
    await world.query(b.url, "UPDATE acct SET v = 'B last' WHERE id::text = 'k1'; UPDATE pair SET v = 'B last' WHERE region::text = 'r1' AND id = 1");
    expect(await world.ok('kick', 'sp', '0')).toMatch(/DONE!/);
    expect(await trapCalls()).toEqual([]);

    const expected = {
      acct: [
        'k1=B last', 'k10=seed', 'k11=seed', 'k12=A wrote', 'k13=seed', 'k14=seed', 'k15=seed', 'k16=seed', 'k17=seed', 'k18=seed',
        'k19=seed', 'k2=A wrote', 'k20=seed', 'k3=A wrote', 'k6=B wrote', 'k7=B wrote', 'k9=seed', 'new-a=from A', 'new-b=from B',
      ],
      pair: (await rows(a)).pair,
      note: ['1:k11=A wrote', '2:k12=seed', '3:k13=seed', '4:k14=seed', '5:k15=seed', '6:new-a=on new-a'],
    };
    expect(expected.pair).toContain('r1/1=B last');
    expect(expected.pair).toContain('r0/3=B wrote');
    expect(expected.pair).toContain('r9/100=from A');
    expect(expected.pair).not.toContain('r2/2=seed');
    for (const db of dbs) expect(await rows(db), db.name).toEqual(expected);

    // an onetimecopy to the target, after its rows drifted
    await world.query(c.url, "DELETE FROM acct WHERE id::text = 'k9'; UPDATE acct SET v = 'drift' WHERE id::text = 'k10'; DELETE FROM pair WHERE id = 5");
    await world.ok('update', 'sync', 'sp', 'onetimecopy=1');
    expect(await world.ok('kick', 'sp', '0')).toMatch(/DONE!/);
    for (const db of dbs) expect(await rows(db), db.name).toEqual(expected);
    expect(await trapCalls()).toEqual([]);
  });
});
