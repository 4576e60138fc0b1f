/**
 * foreignKeys (what `bucardo inspect`, `validate` and `add sync` read to find the tables a herd's foreign
 * keys need): the keys a table holds and those pointing at it, each once (a table pointing at itself
 * too), with what a delete does; a partitioned table's key as it binds its partitions (which are what a
 * herd holds), once for each, by its declared name and never by PostgreSQL's copies of it; names exactly
 * as PostgreSQL spells them; nothing for a missing table.
 */
import { describe, expect, inject, it } from 'vitest';
import { createDatabase, dropDatabase, serverFromInfo, uniqueName, withClient } from '@bucardo/test';
import { foreignKeys } from '../src/foreign-keys.js';

const server = serverFromInfo(inject('pg'));
const t = (name: string, schema = 'public') => ({ schema, name });

describe('foreignKeys', () => {
  it('lists the keys held by the tables and those pointing at them, once each, with the delete action', async () => {
    const db = uniqueName('fkeys');
    const url = await createDatabase(server, db);
    try {
      await withClient(url, async (client) => {
        await client.query(`CREATE SCHEMA "Odd schema";
          CREATE TABLE parent (id int PRIMARY KEY);
          CREATE TABLE child (id int PRIMARY KEY, parent_id int CONSTRAINT child_to_parent REFERENCES parent, up int CONSTRAINT child_tree REFERENCES child);
          CREATE TABLE "Odd schema"."Audit Log" (id int PRIMARY KEY, child_id int CONSTRAINT "Audit → child" REFERENCES child ON DELETE CASCADE);
          CREATE TABLE notes (id int PRIMARY KEY, parent_id int CONSTRAINT notes_to_parent REFERENCES parent ON DELETE SET NULL);
          CREATE TABLE events (id int, parent_id int CONSTRAINT events_to_parent REFERENCES parent, PRIMARY KEY (id)) PARTITION BY RANGE (id);
          CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (0) TO (100);
          CREATE TABLE events_2 PARTITION OF events FOR VALUES FROM (100) TO (200);
          CREATE TABLE event_notes (id int PRIMARY KEY, event_id int CONSTRAINT notes_to_events REFERENCES events);
          CREATE TABLE unrelated (id int PRIMARY KEY)`);
        const keys = await foreignKeys(client, [t('child'), t('missing')]);
        expect(keys).toEqual([
          { name: 'Audit → child', table: t('Audit Log', 'Odd schema'), references: t('child'), onDelete: 'cascade' },
          { name: 'child_to_parent', table: t('child'), references: t('parent'), onDelete: 'restrict' },
          { name: 'child_tree', table: t('child'), references: t('child'), onDelete: 'restrict' },
        ]);
        // the parent: every key pointing at it, the partitioned table's once for each of its partitions
        expect((await foreignKeys(client, [t('parent')])).map((key) => [key.name, key.table.name, key.onDelete])).toEqual([
          ['child_to_parent', 'child', 'restrict'],
          ['events_to_parent', 'events_1', 'restrict'],
          ['events_to_parent', 'events_2', 'restrict'],
          ['notes_to_parent', 'notes', 'set null'],
        ]);
        // a partition holds the key declared on its parent, and is pointed at by a key to its parent, by the declared names
        expect((await foreignKeys(client, [t('events_1')])).map((key) => [key.name, key.table.name, key.references.name])).toEqual([
          ['events_to_parent', 'events_1', 'parent'],
          ['notes_to_events', 'event_notes', 'events_1'],
        ]);
        // a key pointing at a partitioned table points at each partition (PostgreSQL's copies, notes_to_events_1…, are not keys)
        expect((await foreignKeys(client, [t('event_notes')])).map((key) => [key.name, key.table.name, key.references.name])).toEqual([
          ['notes_to_events', 'event_notes', 'events_1'],
          ['notes_to_events', 'event_notes', 'events_2'],
        ]);
        // both ends asked about: each key once (per pair of tables)
        expect((await foreignKeys(client, [t('child'), t('parent')])).map((key) => key.name)).toEqual(['Audit → child', 'child_to_parent', 'child_tree', 'events_to_parent', 'events_to_parent', 'notes_to_parent']);
        expect(await foreignKeys(client, [t('unrelated'), t('missing')])).toEqual([]);
        expect(await foreignKeys(client, [])).toEqual([]);
      });
    } finally {
      await dropDatabase(server, db);
    }
  });
});
