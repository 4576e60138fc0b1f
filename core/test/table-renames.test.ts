/**
 * nameOn: the one answer to "the name of table T on database D", which the renamed sessions, the messages
 * about a table on a database, `compare` and `status` all take (they looked it up three ways before).
 */
import { describe, expect, it } from 'vitest';
import { nameOn, TableRenames } from '../src/run/table-renames.js';

const t = { schema: 'public', name: 't' };
const u = { schema: 'public', name: 'u' };
const tCopy = { schema: 'reporting', name: 't_copy' };
const renamed = { customNames: [{ table: t, as: tCopy }] };

describe('nameOn', () => {
  it('a table with a custom name on the database: that name; any other table, or a database without custom names: its own', () => {
    expect(nameOn(renamed, { schema: 'public', name: 't' })).toEqual(tCopy);
    expect(nameOn(renamed, u)).toBe(u);
    expect(nameOn({}, t)).toBe(t);
    // the same name in another schema is another table
    expect(nameOn(renamed, { schema: 'other', name: 't' })).toEqual({ schema: 'other', name: 't' });
  });

  it('is what the renamed sessions write to, and what they name back', () => {
    const renames = new TableRenames(renamed.customNames);
    for (const table of [t, u]) expect(renames.out(table)).toEqual(nameOn(renamed, table));
    expect(renames.back(tCopy)).toEqual(t);
    expect(renames.size).toBe(1);
  });
});
