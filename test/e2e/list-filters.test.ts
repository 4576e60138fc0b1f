/**
 * `bucardo list KIND NAME|PATTERN…` (Bucardo's list filters), run as processes: exact names, `%`/`*`
 * wildcards and `all` pick rows out of what the unfiltered list prints, in its order; a table answers to
 * `t` and `public.t`; a name or pattern that matches nothing is an error naming it (exit 1), not an empty
 * list that reads as "there is none".
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'lsf');

/** The lines of `bucardo list …` that mention `word` (each row is one line), runs of blanks as one: columns are padded to the rows shown. */
const linesWith = (text: string, word: string) => text.split('\n').filter((line) => line.includes(word)).map(squeeze);
const squeeze = (text: string) => text.replace(/ +/g, ' ');
/** `bucardo list …`, blanks squeezed as in `linesWith`. */
const listed = async (...args: string[]) => squeeze(await world.ok('list', ...args));

describe('list filters', () => {
  beforeAll(async () => {
    await world.install();
    const made = [await world.database('lf_A'), await world.database('lf_B'), await world.database('other_C')];
    for (const db of made) await world.query(db.url, 'CREATE TABLE u (id int PRIMARY KEY)');
    await world.api.addTables(['t', 'u'], { herd: 'lf_h', db: 'lf_A' });
    await world.api.addDbGroup('lf_g1', ['lf_A:source', 'lf_B:target']);
    await world.api.addDbGroup('lf_g2', ['lf_A:source', 'other_C:target']);
    await world.api.addSync('lf_s1', { herd: 'lf_h', dbs: 'lf_g1', autokick: 'false' });
    await world.api.addSync('lf_s2', { herd: 'lf_h', dbs: 'lf_g2', autokick: 'false' });
  });
  afterAll(() => world.dispose());

  it('picks databases, syncs, dbgroups, herds and tables by name, wildcard or all, as the full list prints them', async () => {
    const dbs = await listed('dbs');
    expect(dbs.trim().split('\n')).toHaveLength(3);
    expect(await listed('db', 'lf_B')).toBe(`${linesWith(dbs, 'lf_B').join('\n')}\n`);
    expect(await listed('dbs', 'lf_%')).toBe(`${[...linesWith(dbs, 'lf_A'), ...linesWith(dbs, 'lf_B')].join('\n')}\n`);
    // two patterns that overlap: each row once, in the list's order
    expect(await listed('dbs', 'other_C', 'lf*', 'lf_A')).toBe(dbs);
    expect(await listed('dbs', 'all')).toBe(dbs);

    const syncs = await listed('syncs');
    expect(await listed('sync', 'lf_s2')).toBe(`${linesWith(syncs, 'lf_s2').join('\n')}\n`);
    const groups = await listed('dbgroups');
    expect(await listed('dbgroup', 'lf_g1')).toBe(`${linesWith(groups, 'lf_g1').join('\n')}\n`);
    expect(await listed('herd', 'lf_h')).toBe(await listed('herds'));

    const tables = await listed('tables');
    expect(tables.trim().split('\n')).toHaveLength(2);
    const onlyU = linesWith(tables, 'public.u').join('\n');
    expect(await listed('table', 'u')).toBe(`${onlyU}\n`);
    expect(await listed('table', 'public.u')).toBe(`${onlyU}\n`);
  });

  it('-v says where each database is used and which tables each sync has, as Bucardo\'s list', async () => {
    expect(await listed('db', 'lf_A', '-v')).toBe(`${linesWith(await listed('dbs'), 'lf_A').join('\n')}\n${[
      ' Belongs to dbgroup lf_g1 (source)', ' Belongs to dbgroup lf_g2 (source)',
      ' Used in sync lf_s1 in a role of source', ' Used in sync lf_s2 in a role of source', ''].join('\n')}`);
    expect(await listed('db', 'other_C', '-v')).toContain('\n Belongs to dbgroup lf_g2 (target)\n Used in sync lf_s2 in a role of target\n');
    const sync = await listed('sync', 'lf_s1', '-v');
    expect(sync.split('\n').slice(1)).toEqual([' Table public.t', ' Table public.u', '']);
  });

  it.each([
    [['list', 'db', 'nosuch'], 'ERROR: There is no database named "nosuch" [DB_NOT_FOUND]'],
    [['list', 'syncs', 'zz*'], 'ERROR: No sync matches "zz*" [SYNC_NOT_FOUND]'],
    [['list', 'tables', 'public.nosuch'], 'ERROR: There is no table named "public.nosuch" [TABLE_NOT_FOUND]'],
    [['list', 'dbgroup', 'lf_g1', 'nosuch_g'], 'ERROR: There is no dbgroup named "nosuch_g" [DBGROUP_NOT_FOUND]'],
    [['list', 'herd', 'nosuch_h'], 'ERROR: There is no herd named "nosuch_h" [HERD_NOT_FOUND]'],
  ])('%j names what matched nothing, with exit code 1 and nothing on stdout', async (args, message) => {
    const result = await world.bucardo(...args);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: '' });
    expect(result.stderr.split('\n')[0]).toBe(message);
  });
});
