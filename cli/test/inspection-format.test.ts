/** What `bucardo inspect` prints of a table whose foreign keys could not be read, and of a relgroup no sync replicates. */
import { describe, expect, it } from 'vitest';
import { formatInspection, missesParents } from '../src/format/inspection.js';

const child = { schema: 'public', name: 'child' };
const parent = { schema: 'public', name: 'parent' };

describe('formatInspection', () => {
  it('keys not read: the relgroups, and why nothing is said of the keys', () => {
    const inspection = { table: child, db: 'm', herds: [{ herd: 'h', syncs: ['s1', 's2'], gaps: [] }], unchecked: 'database "m" (type mongo) cannot list foreign keys' };
    expect(formatInspection(inspection)).toBe(`Table public.child (DB: m)
  Foreign keys not inspected: database "m" (type mongo) cannot list foreign keys
  In relgroup "h", replicated by syncs "s1", "s2"`);
    expect(missesParents(inspection)).toBe(false);
  });

  it('a relgroup no sync replicates; a database removed', () => {
    const inspection = { table: child, db: null, herds: [{ herd: 'h', syncs: [], gaps: [{ table: child, constraint: 'child_parent_fk', missing: 'parent' as const, other: parent }] }] };
    expect(formatInspection(inspection)).toBe(`Table public.child (DB: removed)
  In relgroup "h", which no sync replicates
    Table public.child is in relgroup "h", but public.parent (used as FK child_parent_fk) is not: bucardo add table public.parent herd=h, or every database its syncs write to must have the rows it points at itself`);
    expect(missesParents(inspection)).toBe(true);
  });
});
