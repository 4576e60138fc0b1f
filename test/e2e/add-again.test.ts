/**
 * `bucardo add table` of tables already added, as processes: it says so (with the relgroup, when one was
 * named and they are in it already) instead of printing nothing, and changes nothing but `additive=`, which
 * it sets and says; a new relgroup for them is still made and reported.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const world = new DaemonWorld(server, 'aga');
let a: Db;

describe('add table again', () => {
  beforeAll(async () => {
    await world.install();
    a = await world.database('ag_A');
    await world.query(a.url, 'CREATE TABLE u (id int PRIMARY KEY)');
  });
  afterAll(() => world.dispose());

  it('says what was already there, with or without a relgroup, and changes nothing', async () => {
    expect(await world.ok('add', 'table', 't', 'u', 'herd=ag_h')).toBe([
      'Added the following tables or sequences:', '  public.t (DB: ag_A)', '  public.u (DB: ag_A)',
      'Created the relgroup named "ag_h"',
      'The following tables or sequences are now part of the relgroup "ag_h":', '  public.t', '  public.u', '',
    ].join('\n'));
    const before = await world.sql('SELECT * FROM bucardo.herd_member ORDER BY 1, 2');
    expect(await world.ok('add', 'table', 't')).toBe('Already added: public.t\n');
    expect(await world.ok('add', 'table', 't', 'u', 'herd=ag_h')).toBe('Already added: public.t, public.u, and in relgroup "ag_h"\n');
    expect(await world.sql('SELECT * FROM bucardo.herd_member ORDER BY 1, 2')).toEqual(before);
    // additive= on a table already there is set, as update table sets it, and said so
    await world.query(a.url, 'ALTER TABLE u ADD COLUMN n int');
    expect(await world.ok('add', 'table', 'u', 'additive=n')).toBe('Already added: public.u\nSet additive columns of public.u to n\n');
    expect(await world.ok('list', 'tables', 'u')).toMatch(/additive: n\n$/);
    // another relgroup for them: made and reported as before
    expect(await world.ok('add', 'table', 'u', 'herd=ag_h2')).toBe([
      'Created the relgroup named "ag_h2"', 'The following tables or sequences are now part of the relgroup "ag_h2":', '  public.u', '',
    ].join('\n'));
  });
});
