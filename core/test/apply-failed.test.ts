/**
 * The applyFailed hook's rules at the engine, with a failure made by hand: without a tap the failure goes
 * on as it came and nothing is asked; `{ retry: false }` fails at once without asking the next tap; an
 * answer of another shape is a PLUGIN_ERROR naming the plugin; `connect` refuses a database the run does
 * not have, and one whose type offers no SQL connection, naming it; a refusal at the check before
 * committing names the table the server named, or the whole transaction, whose every table it counts
 * against; a failed COMMIT after that check is never offered. (Through real databases and the CLI:
 * test/e2e/apply-failed-hook.test.ts, test/e2e/apply-failed-at-commit.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import {
  BucardoError, definePlugin, silentLogger, type ApplyFailedArgs, type BucardoPlugin, type DatabaseDriver, type RunArgs, type TableBatch,
} from '@bucardo/plugin-sdk';
import { Engine } from '../src/engine.js';
import { ApplyFailures } from '../src/run/apply-failed.js';
import { commitEverywhere } from '../src/run/commit-everywhere.js';
import { failedBatchOf, markFailedBatch, markFailedCommit } from '../src/run/failed-batch.js';
import { RunCounts } from '../src/run/run-counts.js';
import { RunRegistry } from '../src/run/run-registry.js';
import type { SyncPlan } from '../src/run/sync-plan.js';

const shape = { table: { schema: 'public', name: 't' }, columns: [{ name: 'id', type: 'integer' }], key: [{ name: 'id', type: 'integer' }], keySource: 'primary key' };
const batch = { shape, clean: new Map([['a', ['1']], ['b', ['2']]]), conflicts: [] } as unknown as TableBatch;
const args = { sync: 's', runId: '1', databases: [{ name: 'a', type: 'flat', role: 'source' }, { name: 'b', type: 'flat', role: 'source' }], tables: [shape], log: silentLogger, signal: new AbortController().signal } as unknown as RunArgs;
const plan = { name: 's', databases: [{ name: 'a', role: 'source', spec: { name: 'a', type: 'flat', params: {} } }, { name: 'b', role: 'source', spec: { name: 'b', type: 'flat', params: {} } }] } as unknown as SyncPlan;
const flat = { type: 'flat', normalizeParams: (p: Record<string, string>) => p, describe: () => '', ping: async () => undefined, target: { capabilities: {}, open: async () => ({}) } } as unknown as DatabaseDriver;

/** A run's ApplyFailures over an engine with these plugins (and the `flat` type, which has no `sql`). */
async function failuresWith(...plugins: BucardoPlugin[]): Promise<ApplyFailures> {
  const engine = await Engine.create({ plugins: [definePlugin({ name: 'flat', apply: (host) => host.registerDatabase(flat) }), ...plugins] });
  return new ApplyFailures({ hooks: engine.hooks, registry: engine.registry, runs: new RunRegistry(), log: silentLogger }, plan, silentLogger);
}

/** Work that fails like a database's apply of `batch` on database a, `times` times, then succeeds. */
function failing(times: number): { work: () => Promise<void>; calls: () => number; errors: BucardoError[] } {
  let calls = 0;
  const errors: BucardoError[] = [];
  return {
    calls: () => calls,
    errors,
    work: async () => {
      calls++;
      if (calls > times) return;
      const error = new BucardoError('APPLY_FAILED', 'duplicate key value', { db: 'a', table: 'public.t', sqlstate: '23505' });
      errors.push(error);
      throw markFailedBatch(error, batch, new Map());
    },
  };
}

const tapping = (name: string, fn: (args: ApplyFailedArgs) => unknown) => definePlugin({ name, apply: (host) => host.hooks.applyFailed.tapPromise(name, async (a) => fn(a) as never) });

describe('the applyFailed hook', () => {
  it('without a tap, the failure goes on unchanged after one attempt', async () => {
    const failures = await failuresWith();
    const { work, calls, errors } = failing(5);
    const failed = await failures.attempt({ args, counts: new RunCounts() }, work).then(() => undefined, (error: unknown) => error);
    expect(failed).toBe(errors[0]);
    expect(calls()).toBe(1);
  });

  it('a retry answer tries again; the keys by source and the attempt are given; counts a retry', async () => {
    const seen: Array<{ attempt: number; keys: Record<string, readonly string[]> }> = [];
    const failures = await failuresWith(tapping('fixer', (a) => { seen.push({ attempt: a.attempt, keys: Object.fromEntries(a.keys) }); return { retry: true }; }));
    const { work, calls } = failing(1);
    const counts = new RunCounts();
    await failures.attempt({ args, counts }, work);
    expect(calls()).toBe(2);
    expect(seen).toEqual([{ attempt: 1, keys: { a: ['1'], b: ['2'] } }]);
    expect(counts.retries).toBe(1);
  });

  it('{ retry: false } fails with the failure at once, without asking the next tap', async () => {
    let asked = 0;
    const failures = await failuresWith(tapping('no', () => ({ retry: false })), tapping('later', () => { asked++; return { retry: true }; }));
    const { work, calls, errors } = failing(1);
    const failed = await failures.attempt({ args, counts: new RunCounts() }, work).then(() => undefined, (error: unknown) => error);
    expect(failed).toBe(errors[0]);
    expect(calls()).toBe(1);
    expect(asked).toBe(0);
  });

  it('an answer of another shape is a PLUGIN_ERROR naming the plugin and the table', async () => {
    const failures = await failuresWith(tapping('sloppy', () => ({ retry: 'yes' })));
    await expect(failures.attempt({ args, counts: new RunCounts() }, failing(1).work)).rejects.toMatchObject({
      code: 'PLUGIN_ERROR', plugin: 'sloppy', hook: 'applyFailed', table: 'public.t',
      message: 'A tap of the applyFailed hook (plugin sloppy) answered {"retry":"yes"} for table "public.t": an answer is { retry: true }, { retry: false } or nothing',
    });
  });

  it.each([
    ['null', null, '{"value":null}'],
    ['true', true, '{"value":true}'],
    ['an array', [true], '{"value":[true]}'],
  ])('an answer of %s (not an object) is a PLUGIN_ERROR naming the plugin too', async (_name, answer, shown) => {
    const failures = await failuresWith(tapping('careless', () => answer));
    await expect(failures.attempt({ args, counts: new RunCounts() }, failing(1).work)).rejects.toMatchObject({
      code: 'PLUGIN_ERROR', plugin: 'careless', hook: 'applyFailed', table: 'public.t',
      message: `A tap of the applyFailed hook (plugin careless) answered ${shown} for table "public.t": an answer is { retry: true }, { retry: false } or nothing`,
    });
  });

  it('connect refuses a database the sync does not have, and a type without an SQL connection, naming the database', async () => {
    const tried: unknown[] = [];
    const failures = await failuresWith(tapping('reacher', async (a) => {
      for (const db of ['zz', 'b']) tried.push(await a.connect(db).then(() => 'connected', (error: unknown) => error));
      return undefined;
    }));
    await expect(failures.attempt({ args, counts: new RunCounts() }, failing(1).work)).rejects.toMatchObject({ code: 'APPLY_FAILED' });
    expect(tried).toEqual([
      expect.objectContaining({ code: 'INVALID_ARGUMENT', db: 'zz', message: 'No database "zz" in sync "s" to connect to (it has "a", "b")' }),
      expect.objectContaining({ code: 'DB_ROLE_UNSUPPORTED', db: 'b', message: 'Database "b" (type flat, plugin flat) offers no SQL connection (its driver has no `sql`)' }),
    ]);
  });
});

describe('a refusal at the check before committing', () => {
  const shapeOf = (name: string) => ({ ...shape, table: { schema: 'public', name } });
  const note = { shape: shapeOf('note'), clean: new Map([['a', ['10']]]), conflicts: [] } as unknown as TableBatch;
  const customer = { shape: shapeOf('customer'), clean: new Map([['a', ['1']]]), conflicts: [] } as unknown as TableBatch;
  const applied = [{ batch: note, winners: new Map() }, { batch: customer, winners: new Map([['2', 'b']]) }];
  const asIs = (_db: string, table: { schema: string; name: string }) => `${table.schema}.${table.name}`;
  const refusal = (table?: string) => new BucardoError('APPLY_FAILED', 'refused', { db: 'a', sqlstate: '23505', ...(table ? { table } : {}) });

  it('names the batch of the table the server named, with its keys, and every batch of the transaction', () => {
    const failed = failedBatchOf(markFailedCommit(refusal('public.customer'), applied, asIs))!;
    expect(failed).toMatchObject({ phase: 'commit', batch: customer, charged: [customer.shape.table] });
    expect(Object.fromEntries(failed.keys)).toEqual({ a: ['1'], b: ['2'] });
    expect(failed.batches!.map((entry) => entry.batch)).toEqual([note, customer]);
    expect(failed.wholeTransaction).toBeUndefined();
  });

  it('gives every key of a table the transaction writes in two batches (a parent\'s lost keys come last)', () => {
    const lost = { shape: customer.shape, clean: new Map([['b', ['3']]]), conflicts: [] } as unknown as TableBatch;
    const failed = failedBatchOf(markFailedCommit(refusal('public.customer'), [...applied, { batch: lost, winners: new Map() }], asIs))!;
    expect(failed).toMatchObject({ batch: customer, charged: [customer.shape.table] });
    expect(Object.fromEntries(failed.keys)).toEqual({ a: ['1'], b: ['2', '3'] });
  });

  it('finds the table by its name on the refusing database (a custom name there)', () => {
    const renamed = (db: string, table: { schema: string; name: string }) => (db === 'a' && table.name === 'customer' ? 'crm.client' : asIs(db, table));
    expect(failedBatchOf(markFailedCommit(refusal('crm.client'), applied, renamed))).toMatchObject({ batch: customer, charged: [customer.shape.table] });
  });

  it.each([['no table', undefined], ['a table outside the transaction', 'public.other']])('with %s named, is the whole transaction\'s, charged to each of its tables', (_name, table) => {
    expect(failedBatchOf(markFailedCommit(refusal(table), applied, asIs))).toMatchObject({
      phase: 'commit', wholeTransaction: true, batch: note, charged: [note.shape.table, customer.shape.table],
    });
  });

  it('leaves alone what is not a database\'s failure (a plugin tap\'s error)', () => {
    expect(failedBatchOf(markFailedCommit(new BucardoError('PLUGIN_ERROR', 'tap', { db: 'a' }), applied, asIs))).toBeUndefined();
  });

  it('a whole transaction\'s two handled failures count against each of its tables: a third failure of either is not offered', async () => {
    const seen: Array<{ attempt: number; phase?: string; whole?: boolean; table: string }> = [];
    const failures = await failuresWith(tapping('blind', (a) => { seen.push({ attempt: a.attempt, phase: a.phase, whole: a.wholeTransaction, table: a.table.name }); return { retry: true }; }));
    const thrown = [refusal(), refusal()].map((error) => markFailedCommit(error, applied, asIs));
    const last = new BucardoError('APPLY_FAILED', 'duplicate key value', { db: 'a', table: 'public.customer', sqlstate: '23505' });
    thrown.push(markFailedBatch(last, customer, new Map()));
    let calls = 0;
    const failed = await failures.attempt({ args, counts: new RunCounts() }, async () => { throw thrown[calls++]; }).then(() => undefined, (error: unknown) => error);
    expect(seen).toEqual([{ attempt: 1, phase: 'commit', whole: true, table: 'note' }, { attempt: 2, phase: 'commit', whole: true, table: 'note' }]);
    expect(failed).toMatchObject({
      code: 'APPLY_FAILED', hook: 'applyFailed', plugin: 'blind', table: 'public.customer',
      message: 'duplicate key value; the applyFailed hook (plugin blind) had the transaction tried again 2 times for table "public.customer", and it failed again on database "a"',
    });
  });

  it('is offered to the hook (through `refused`); a COMMIT failing after every check passed is not', async () => {
    const checked = new Error('deferred check');
    const committed = new Error('connection lost at COMMIT');
    const refused: unknown[] = [];
    const onEvery = (fail: 'prepare' | 'commit') => async (work: (target: never) => Promise<void>) => work({
      prepareCommit: async () => { if (fail === 'prepare') throw checked; },
      commit: async () => { if (fail === 'commit') throw committed; },
    } as never);
    const signal = new AbortController().signal;
    await expect(commitEverywhere(onEvery('prepare'), signal, (error) => { refused.push(error); return error; })).rejects.toBe(checked);
    await expect(commitEverywhere(onEvery('commit'), signal, (error) => { refused.push(error); return error; })).rejects.toBe(committed);
    expect(refused).toEqual([checked]);
  });
});
