/**
 * A resume point skips the transactions its run committed, so the run that takes it over must plan the
 * same transactions: tables written in another order (a foreign key added or dropped since) put other keys
 * in each, and the point is not taken. Points of syncs whose write order is the herd's are written and read
 * as before (no `order` in the fingerprint), and an older point with none is compared with its herd order.
 */
import { describe, expect, it } from 'vitest';
import { resumeFingerprint, resumeMismatch } from '../src/run/resume-fit.js';

const t = (name: string) => ({ schema: 'public', name });
const databases = [{ name: 'a', role: 'source' }, { name: 'b', role: 'target' }];
const checkpoints = { a: '100:100:' };
const pointOf = (fingerprint: string) => ({ fingerprint, from: checkpoints });

describe('resume points and the order tables are written in', () => {
  it('writes no order where it is the herd order; such a point fits a run with the same order', () => {
    const fingerprint = resumeFingerprint({ databases, tables: [t('orders'), t('items')], order: [t('orders'), t('items')], batchSize: 10, checkpoints });
    expect(JSON.parse(fingerprint)).not.toHaveProperty('order');
    expect(resumeMismatch(pointOf(fingerprint), { databases, tables: [t('orders'), t('items')], order: [t('orders'), t('items')], batchSize: 10, checkpoints })).toBeUndefined();
  });

  it('a point planned in herd order does not fit a run that writes the tables in another order (a foreign key added)', () => {
    const fingerprint = resumeFingerprint({ databases, tables: [t('items'), t('orders')], batchSize: 10, checkpoints });
    expect(resumeMismatch(pointOf(fingerprint), { databases, tables: [t('items'), t('orders')], order: [t('orders'), t('items')], batchSize: 10, checkpoints }))
      .toBe('the order its tables are written in changed, a foreign key added or dropped (then public.items, public.orders; now public.orders, public.items)');
    // status knows no order: it says what it can
    expect(resumeMismatch(pointOf(fingerprint), { databases, tables: [t('items'), t('orders')], checkpoints })).toBeUndefined();
  });

  it('records an order that differs from the herd, and a run in that order takes the point over', () => {
    const fingerprint = resumeFingerprint({ databases, tables: [t('items'), t('orders')], order: [t('orders'), t('items')], batchSize: 10, checkpoints });
    expect(JSON.parse(fingerprint).order).toEqual([t('orders'), t('items')]);
    expect(resumeMismatch(pointOf(fingerprint), { databases, tables: [t('items'), t('orders')], order: [t('orders'), t('items')], batchSize: 10, checkpoints })).toBeUndefined();
    expect(resumeMismatch(pointOf(fingerprint), { databases, tables: [t('items'), t('orders')], order: [t('items'), t('orders')], batchSize: 10, checkpoints }))
      .toContain('the order its tables are written in changed');
  });

  it('records the tables foreign keys point at; a point without them (an older version\'s) does not fit a run with some', () => {
    const basis = { databases, tables: [t('items'), t('orders')], order: [t('orders'), t('items')], pointedAt: [t('orders')], batchSize: 10, checkpoints };
    const fingerprint = resumeFingerprint(basis);
    expect(JSON.parse(fingerprint).pointedAt).toEqual([t('orders')]);
    expect(resumeMismatch(pointOf(fingerprint), basis)).toBeUndefined();
    const older = resumeFingerprint({ ...basis, pointedAt: [] });
    expect(JSON.parse(older)).not.toHaveProperty('pointedAt');
    expect(resumeMismatch(pointOf(older), basis))
      .toBe('the tables foreign keys point at changed, whose deleted keys a run writes last (then none; now public.orders)');
    // status knows none: it says what it can
    expect(resumeMismatch(pointOf(older), { databases, tables: basis.tables, checkpoints })).toBeUndefined();
  });
});
