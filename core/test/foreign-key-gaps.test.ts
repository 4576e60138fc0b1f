/** foreignKeyGaps: the parents a herd's table points at outside the herd, and the children outside it that refuse its deletes. */
import { describe, expect, it } from 'vitest';
import type { ForeignKey, ForeignKeyOnDelete } from '@bucardo/plugin-sdk';
import { foreignKeyGaps } from '../src/api/foreign-key-gaps.js';

const t = (name: string) => ({ schema: 'public', name });
const fk = (name: string, table: string, references: string, onDelete: ForeignKeyOnDelete = 'restrict'): ForeignKey => ({ name, table: t(table), references: t(references), onDelete });

describe('foreignKeyGaps', () => {
  const keys = [
    fk('child_parent', 'child', 'parent'),
    fk('child_tree', 'child', 'child'),
    fk('audit_parent', 'audit', 'parent', 'cascade'),
    fk('note_parent', 'note', 'parent', 'set null'),
    fk('invoice_parent', 'invoice', 'parent'),
  ];

  it('a parent outside the herd is a gap of the child; a table pointing at itself is none', () => {
    expect(foreignKeyGaps(keys, [t('child')])).toEqual([{ table: t('child'), constraint: 'child_parent', missing: 'parent', other: t('parent') }]);
  });

  it('a child outside the herd is a gap of the parent only when it refuses deletes', () => {
    expect(foreignKeyGaps(keys, [t('parent'), t('child')])).toEqual([{ table: t('parent'), constraint: 'invoice_parent', missing: 'child', other: t('invoice') }]);
  });

  it('parents first, then children; only the tables asked about', () => {
    expect(foreignKeyGaps(keys, [t('child'), t('invoice')]).map((gap) => [gap.table.name, gap.missing, gap.other.name])).toEqual([
      ['child', 'parent', 'parent'], ['invoice', 'parent', 'parent'],
    ]);
    expect(foreignKeyGaps(keys, [t('child'), t('invoice')], [t('invoice')]).map((gap) => gap.constraint)).toEqual(['invoice_parent']);
    expect(foreignKeyGaps(keys, [t('parent'), t('child'), t('invoice')])).toEqual([]);
    expect(foreignKeyGaps([], [t('child')])).toEqual([]);
  });
});
