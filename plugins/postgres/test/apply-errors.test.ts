import { describe, expect, it } from 'vitest';
import { BucardoError, type TableShape } from '@bucardo/plugin-sdk';
import { explainApplyError } from '../src/apply-errors.js';

const shape: TableShape = {
  table: { schema: 'public', name: 'acct' },
  columns: [{ name: 'id', type: 'integer' }, { name: 'bal', type: 'numeric' }],
  key: [{ name: 'id', type: 'integer' }],
  keySource: 'primary key',
  additive: ['bal'],
};
const denied = () => Object.assign(new Error('permission denied for table acct'), { code: '42501' });

describe('a write the role may not make', () => {
  it('asks for UPDATE too where the rows are written in place, as the privilege check does', () => {
    const error = explainApplyError(denied(), 't', 'tgt', shape, false, true) as BucardoError;
    expect(error.code).toBe('APPLY_FAILED');
    expect(error.message).toBe('permission denied for table acct: the sync writes table "public.acct" on database "t" as role "tgt", which needs SELECT, INSERT, DELETE and UPDATE on this table there and USAGE on its schema (GRANT SELECT, INSERT, DELETE, UPDATE ON "public"."acct" TO "tgt"); the changes not written wait, captured, for the next run');
  });

  it('asks for SELECT, INSERT and DELETE where rows are deleted and copied', () => {
    const error = explainApplyError(denied(), 't', 'tgt', { ...shape, additive: [] }) as BucardoError;
    expect(error.message).toContain('which needs SELECT, INSERT and DELETE on each of the sync\'s tables there and USAGE on their schemas (GRANT SELECT, INSERT, DELETE ON "public"."acct" TO "tgt")');
  });
});
