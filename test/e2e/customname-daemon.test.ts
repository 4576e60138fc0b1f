/**
 * A running daemon and `bucardo add|remove customname`: the daemon reads the sync's custom names with the
 * rest of the sync for every run, and opens new connections when they change, so the next run after the
 * command writes under the new name (no reload or restart needed; a reload keeps it so), and a removed
 * custom name takes the table back to its own name. While a run applies to the renamed table, `bucardo
 * status` names the database with the name the table has there, as the copy phases and `compare` do.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, statusDetail, statusRow, waitFor, type DaemonHandle, type Pair } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('customname under a running daemon', () => {
  const world = new DaemonWorld(server, 'cnd');
  let pair: Pair;
  let d: DaemonHandle;

  beforeAll(async () => {
    await world.install();
    pair = await world.pair('cnd');
    await world.query(pair.b.url, 'CREATE TABLE t_copy (id int PRIMARY KEY, v text)');
    d = world.daemon();
    const pid = await d.start();
    await world.owned(pid, ['cnd']);
  });
  afterAll(() => world.dispose());

  const ids = async (table: string) => (await world.query(pair.b.url, `SELECT id FROM ${table} ORDER BY id`)).map((row) => Number(row.id));

  it('the next run after add customname writes the renamed table; after remove customname, the table\'s own', async () => {
    await world.insert(pair.a, 1);
    await world.arrives(pair.b, [1]);

    expect(await world.ok('add', 'customname', 't', 't_copy', `db=${pair.b.name}`)).toBe(`Transformed public.t to public.t_copy (database "${pair.b.name}")\n`);
    await world.insert(pair.a, 2);
    await waitFor('id 2 in t_copy', async () => (await ids('t_copy')).includes(2));
    expect(await ids('t_copy')).toEqual([2]);
    expect(await ids('t')).toEqual([1]);

    // a row lock on the renamed table holds the next run in its apply, where status shows it
    const holder = await world.connect(pair.b.url);
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT * FROM t_copy WHERE id = 2 FOR UPDATE');
      await world.query(pair.a.url, "UPDATE t SET v = 'held' WHERE id = 2");
      const applying = `Applying public.t to ${pair.b.name} (as public.t_copy) (0 of 1 keys done)`;
      await waitFor('status cnd to show the apply to the renamed table', async () =>
        statusDetail((await world.bucardo('status', 'cnd')).stdout).get('Current state') === applying, 30_000, 200);
      expect(statusRow(await world.ok('status'), 'cnd')?.[1]).toBe(applying);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    await waitFor('the held row in t_copy', async () => (await world.query(pair.b.url, 'SELECT v FROM t_copy WHERE id = 2'))[0]?.v === 'held');

    expect(await world.ok('remove', 'customname', '1')).toBe(`Removed customname 1: public.t => public.t_copy (database "${pair.b.name}")\n`);
    await world.insert(pair.a, 3);
    await world.arrives(pair.b, [1, 3]);
    expect(await ids('t')).toEqual([1, 3]);
    expect(await ids('t_copy')).toEqual([2]);
  });
});
