/**
 * Randomized convergence, property-based (fast-check): three sources A, B, C and a target D hold
 * t(id int primary key, v text) over a small key space. A case is a random sequence of inserts/updates
 * (upserts), updates and deletes on random sources, runs of the sync (through the API) and short pauses,
 * then a quiesce (run until a run finds nothing). After every run all four databases must hold exactly
 * what a model of per-row `latest` predicts, and the run must count the conflicts the model counts:
 *
 *  - a key written on one source only since the last run takes that source's final state everywhere;
 *  - a key written on two or more sources is a conflict, won by the source whose last write to it is
 *    newest (writes here are sequential, so newest = last in time), and its final state goes everywhere;
 *  - a write that changes no row (an update or delete of a key the source does not have) is not a change.
 *
 * The seed is fixed (BUCARDO_FC_SEED to change it, BUCARDO_FC_RUNS for more cases); on failure fast-check
 * prints the seed, the path and the counterexample, which replay the failing case exactly.
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { Harness, expectOutcome, type Role, type SyncWorld } from './support/sync-harness.js';

const SEED = Number(process.env.BUCARDO_FC_SEED ?? 20_240_917);
const RUNS = Number(process.env.BUCARDO_FC_RUNS ?? 15);
const KEYS = 20;
const SOURCES = ['A', 'B', 'C'] as const;
const DATABASES = ['A', 'B', 'C', 'D'] as const;
type Source = (typeof SOURCES)[number];
type Database = (typeof DATABASES)[number];

type Step =
  | { readonly kind: 'write'; readonly db: Source; readonly key: number; readonly op: 'upsert' | 'update' | 'delete'; readonly value: number }
  | { readonly kind: 'run' }
  | { readonly kind: 'pause'; readonly ms: number };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      db: fc.constantFrom(...SOURCES),
      key: fc.integer({ min: 1, max: KEYS }),
      op: fc.constantFrom('upsert' as const, 'upsert' as const, 'update' as const, 'delete' as const),
      value: fc.integer({ min: 0, max: 999 }),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'run' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 1, max: 25 }) }) },
);

/** Per-row `latest`, as the databases should apply it. */
class Model {
  readonly rows: Record<Database, Map<number, string>>;
  /** Per source, the keys it changed since the last run and the sequence number of its last change. */
  readonly #pending: Record<Source, Map<number, number>> = { A: new Map(), B: new Map(), C: new Map() };
  #clock = 0;

  constructor(start: ReadonlyMap<number, string>) {
    this.rows = { A: new Map(start), B: new Map(start), C: new Map(start), D: new Map(start) };
  }

  /** Applies a write to its source; records it as a change when it changed a row. */
  write(step: Extract<Step, { kind: 'write' }>, value: string): void {
    const rows = this.rows[step.db];
    if (step.op !== 'upsert' && !rows.has(step.key)) return; // UPDATE/DELETE of nothing: no row changed, nothing captured
    if (step.op === 'delete') rows.delete(step.key);
    else rows.set(step.key, value);
    this.#pending[step.db].set(step.key, ++this.#clock);
  }

  /** A run: every changed key takes its winner's final state everywhere. Returns the number of conflicts. */
  run(): number {
    const keys = new Set(SOURCES.flatMap((source) => [...this.#pending[source].keys()]));
    let conflicts = 0;
    for (const key of keys) {
      const candidates = SOURCES.filter((source) => this.#pending[source].has(key));
      if (candidates.length > 1) conflicts++;
      const winner = candidates.reduce((a, b) => (this.#pending[b].get(key)! > this.#pending[a].get(key)! ? b : a));
      const value = this.rows[winner].get(key);
      for (const db of DATABASES) {
        if (value === undefined) this.rows[db].delete(key);
        else this.rows[db].set(key, value);
      }
    }
    for (const source of SOURCES) this.#pending[source].clear();
    return conflicts;
  }

  expected(): string[] {
    return [...this.rows.D].sort(([a], [b]) => a - b).map(([id, v]) => `${id}:${v}`);
  }
}

const harness = new Harness(serverFromInfo(inject('pg')), 'prop');
const ROLES: Record<Database, Role> = { A: 'source', B: 'source', C: 'source', D: 'target' };
let w: SyncWorld;
const clients = new Map<Database, pg.Client>();

beforeAll(async () => {
  w = await harness.setup({
    tag: 'pc', roles: ROLES, tables: ['t'],
    schema: `CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL); INSERT INTO t SELECT i, 'seed' FROM generate_series(1, ${KEYS / 2}) i;`,
  });
  for (const db of DATABASES) {
    const client = new pg.Client({ connectionString: w.url[db] });
    await client.connect();
    clients.set(db, client);
  }
});
afterAll(async () => {
  for (const client of clients.values()) await client.end().catch(() => undefined);
  await harness.dispose();
});

async function contents(db: Database): Promise<string[]> {
  return (await clients.get(db)!.query<{ id: number; v: string }>('SELECT id, v FROM t ORDER BY id')).rows.map((row) => `${row.id}:${row.v}`);
}

/** Runs the sync once and checks it against the model: outcome, conflicts, and every database's contents. */
async function runAndCheck(model: Model, label: string): Promise<string> {
  const report = await w.run();
  expect(report.outcome, `${label}: run ${report.runId} ${JSON.stringify(report.error ?? null)}`).not.toBe('bad');
  const conflicts = model.run();
  expect(report.conflicts, `${label}: conflicts counted by run ${report.runId}`).toBe(conflicts);
  const expected = model.expected();
  for (const db of DATABASES) expect(await contents(db), `${label}: t on ${db} after run ${report.runId}`).toEqual(expected);
  return report.outcome;
}

describe('randomized writes on three sources, random runs and pauses', () => {
  it(`converge to what per-row latest predicts (fast-check, seed ${SEED}, ${RUNS} cases)`, async () => {
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { minLength: 5, maxLength: 40 }), async (steps) => {
        cases++;
        // every case starts where the last one ended: all four databases equal
        const start = await contents('A');
        const model = new Model(new Map(start.map((row) => [Number(row.slice(0, row.indexOf(':'))), row.slice(row.indexOf(':') + 1)])));
        for (const db of DATABASES) expect(await contents(db), `case ${cases} starts converged on ${db}`).toEqual(start);
        for (const [index, step] of steps.entries()) {
          if (step.kind === 'pause') {
            await new Promise((resolve) => setTimeout(resolve, step.ms));
          } else if (step.kind === 'run') {
            await runAndCheck(model, `case ${cases} step ${index}`);
          } else {
            const value = `${step.db}${step.value}`;
            const client = clients.get(step.db)!;
            if (step.op === 'upsert') await client.query('INSERT INTO t VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v', [step.key, value]);
            else if (step.op === 'update') await client.query('UPDATE t SET v = $2 WHERE id = $1', [step.key, value]);
            else await client.query('DELETE FROM t WHERE id = $1', [step.key]);
            model.write(step, value);
          }
        }
        // quiesce: one run carries what is left, and the next finds nothing (no echo, nothing missed)
        await runAndCheck(model, `case ${cases} quiesce`);
        const last = await w.run();
        expectOutcome(last, 'empty');
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    expect(cases).toBe(RUNS);
  });
});
