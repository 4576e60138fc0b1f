/**
 * `describeConflictStrategyConformance`: what every conflict strategy must do, whatever its rule. The kit
 * builds conflicts of every kind among the sync's sources (two and three candidates, equal change times,
 * composite keys) and calls `resolve` directly, as the core's resolve tap does.
 */
import { expect } from 'vitest';
import { isBucardoError } from '../errors.js';
import { classifyConflict, isDecision, isWinner, type Candidate, type Conflict, type ConflictStrategy, type Decision, type Decisions, type ResolveConflictsArgs, type ValidateStrategyArgs } from '../conflict.js';
import type { ChangeOp } from '../changes.js';
import { encodeKey, type KeyText } from '../keys.js';
import { silentLogger } from '../logger.js';
import type { SyncDatabase } from '../run.js';
import type { TableRef } from '../table.js';
import { registerScenarios } from './register-scenarios.js';

/** A sync for `validate()`: its databases and the words after the strategy's name. */
export interface ValidateCase {
  /** The sync's databases, with their roles. */
  readonly databases: readonly SyncDatabase[];
  /** The words after the strategy's name in `conflict=`. */
  readonly options: readonly string[];
}

/** Options of `describeConflictStrategyConformance`. */
export interface ConflictStrategyConformanceOptions {
  /** The sync's databases, in dbgroup order; at least two sources. Default: sources A, B, C and target T. */
  readonly databases?: readonly SyncDatabase[];
  /** The words after the strategy's name in `conflict=` (a seed, a list of databases). Default none. */
  readonly options?: readonly string[];
  /**
   * The conflicts this strategy declines (leaves undecided, for the next strategy or for the run to fail
   * with CONFLICT_UNRESOLVED) with these options. Default: none; it decides every conflict it is given.
   */
  readonly declines?: (conflict: Conflict) => boolean;
  /**
   * Syncs `validate()` must accept and must reject (with a BucardoError). Without this, the validate
   * scenario is skipped; with `rejects`, the strategy must have `validate()`.
   */
  readonly validate?: { readonly accepts?: readonly ValidateCase[]; readonly rejects?: readonly ValidateCase[] };
}

/**
 * The default databases: three sources, a flat-file target whose rows cannot be read, and a PostgreSQL
 * target whose rows can. `readable` is set on each, as the core sets it: the unreadable target comes
 * first, so that a strategy that lets "the first target" win without asking is caught.
 */
export const defaultStrategyDatabases: readonly SyncDatabase[] = Object.freeze([
  { name: 'A', type: 'postgres', role: 'source', readable: true },
  { name: 'B', type: 'postgres', role: 'source', readable: true },
  { name: 'C', type: 'postgres', role: 'source', readable: true },
  { name: 'F', type: 'flatfile', role: 'target', readable: false },
  { name: 'T', type: 'postgres', role: 'target', readable: true },
].map((db) => Object.freeze(db)) as SyncDatabase[]);

/**
 * Why the core refuses this winner at run time, or `undefined` when it takes it: a winner must be a database
 * of the sync (else PLUGIN_ERROR, core-taps' check of a strategy's decisions) whose rows can be read (else DB_ROLE_UNSUPPORTED when
 * the core reads the winner's row to write it to the others; `readable` absent counts as readable).
 */
export function refusedWinner(winner: string, databases: readonly SyncDatabase[]): string | undefined {
  const db = databases.find((candidate) => candidate.name === winner);
  if (!db) return `"${winner}" is not a database of the sync (${databases.map((d) => d.name).join(', ')})`;
  if (db.readable === false) return `"${winner}" (${db.role}, type ${db.type}) cannot be read from, so its row cannot be written to the others`;
  return undefined;
}

const kitTable: TableRef = Object.freeze({ schema: 'public', name: 'kit_conflicts' });
const T0 = 1_700_000_000_000_000;

/** Deep-freezes a value, so that a strategy that changes its inputs fails loudly. */
function freeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    if (value instanceof Map) for (const [k, v] of value) { freeze(k); freeze(v); }
    else for (const v of Object.values(value)) freeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Conflicts of every kind among the sources: each pair and (with three sources or more) the first three,
 * with insert/insert, update/update, update/delete and delete/delete, distinct and equal change times,
 * and single and composite keys. Candidates are sorted by database name, as the core gives them.
 */
export function kitConflicts(databases: readonly SyncDatabase[] = defaultStrategyDatabases): Conflict[] {
  const sources = databases.filter((db) => db.role === 'source').map((db) => db.name);
  if (sources.length < 2) throw new Error('the conflict strategy kit needs at least two source databases');
  const groups: string[][] = [];
  for (let i = 0; i < sources.length; i++) for (let j = i + 1; j < sources.length; j++) groups.push([sources[i]!, sources[j]!]);
  if (sources.length >= 3) groups.push(sources.slice(0, 3));
  const shapes: Array<{ ops: (index: number) => [ChangeOp, ChangeOp]; times: (index: number) => number }> = [
    { ops: () => ['insert', 'insert'], times: (i) => T0 + (i + 1) * 1000 },
    { ops: () => ['update', 'update'], times: (i) => T0 + (3 - i) * 1000 },
    { ops: (i) => (i === 0 ? ['update', 'delete'] : ['update', 'update']), times: (i) => T0 + (i + 1) * 7 },
    { ops: (i) => (i === 0 ? ['update', 'update'] : ['insert', 'delete']), times: (i) => T0 + (i === 0 ? 5000 : 1) },
    { ops: () => ['update', 'delete'], times: () => T0 },
    { ops: () => ['insert', 'update'], times: () => T0 + 42 },
  ];
  const conflicts: Conflict[] = [];
  let n = 0;
  for (const group of groups) {
    for (const shape of shapes) {
      n += 1;
      const candidates: Candidate[] = [...group].sort().map((db, index) => {
        const [firstOp, lastOp] = shape.ops(index);
        return { db, change: { firstOp, lastOp, changedAt: shape.times(index) } };
      });
      const key: KeyText = n % 3 === 0 ? encodeKey([`k${n}`, String(n)]) : String(n);
      conflicts.push({ table: kitTable, key, kind: classifyConflict(candidates), candidates });
    }
  }
  return conflicts;
}

/** The args the core gives `resolve` for these conflicts. */
export function resolveArgs(conflicts: readonly Conflict[], databases: readonly SyncDatabase[], options: readonly string[]): ResolveConflictsArgs {
  const newestChange = new Map<string, number>();
  for (const conflict of conflicts) {
    for (const candidate of conflict.candidates) {
      newestChange.set(candidate.db, Math.max(newestChange.get(candidate.db) ?? -Infinity, candidate.change.changedAt));
    }
  }
  return freeze({
    sync: 'kit_sync', table: kitTable, conflicts: [...conflicts], databases: [...databases], options: [...options],
    newestChange, log: silentLogger, signal: new AbortController().signal,
  });
}

async function decide(strategy: ConflictStrategy, args: ResolveConflictsArgs): Promise<Decisions> {
  const decisions = await strategy.resolve(args);
  expect(decisions instanceof Map, `${strategy.name}: resolve() returns a Map`).toBe(true);
  return decisions;
}

/** Decisions as sorted [key, decision] pairs, for comparing two calls. */
function entries(decisions: Decisions): Array<[KeyText, Decision]> {
  return [...decisions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A conflict with its candidates in another order (the core sorts them; a strategy must not depend on it). */
function reorder(conflict: Conflict, how: 'reverse' | 'rotate'): Conflict {
  const candidates = how === 'reverse' ? [...conflict.candidates].reverse() : [...conflict.candidates.slice(1), conflict.candidates[0]!];
  return { ...conflict, candidates };
}

/** The id of a conflict strategy kit scenario. */
export type StrategyScenarioId = 'decisions' | 'winners' | 'order' | 'deterministic' | 'declines' | 'validate';

/** One scenario, runnable without vitest's `it`. Resolves with a reason when it does not apply. */
export interface StrategyScenario {
  /** The scenario's id. */
  readonly id: StrategyScenarioId;
  /** The test title. */
  readonly title: string;
  /** Runs the scenario; rejects when the strategy fails it. */
  run(): Promise<{ readonly skipped: string } | undefined>;
}

/** The kit's scenarios for one strategy, as plain runnable objects. */
export function strategyScenarios(strategy: ConflictStrategy, options: ConflictStrategyConformanceOptions = {}): StrategyScenario[] {
  const databases = options.databases ?? defaultStrategyDatabases;
  const words = options.options ?? [];
  const declines = options.declines ?? (() => false);
  const all = () => kitConflicts(databases);
  const args = (conflicts: readonly Conflict[]) => resolveArgs(conflicts, databases, words);
  const name = strategy.name;
  const scenario = (id: StrategyScenarioId, title: string, body: () => Promise<string | undefined | void>): StrategyScenario => ({
    id, title, async run() {
      const skipped = await body();
      return skipped === undefined ? undefined : { skipped };
    },
  });
  return [
    scenario('decisions', 'decides exactly the conflicts it is given (all of them unless it declines), each with one well-formed decision', async () => {
      expect(typeof name === 'string' && name.length > 0, 'the strategy has a name').toBe(true);
      const conflicts = all();
      const decisions = await decide(strategy, args(conflicts));
      const given = new Set(conflicts.map((c) => c.key));
      for (const [key, decision] of decisions) {
        expect(given.has(key), `${name}: decided key ${JSON.stringify(key)} is one of the given conflicts`).toBe(true);
        expect(isDecision(decision), `${name}: the decision for ${JSON.stringify(key)} is one of { winner }, { skip: true }, { abort } (declines are left out of the map): ${JSON.stringify(decision)}`).toBe(true);
      }
      for (const conflict of conflicts) {
        const expected = !declines(conflict);
        expect(decisions.has(conflict.key), `${name}: ${expected ? 'decides' : 'declines'} the ${conflict.kind} conflict on ${conflict.candidates.map((c) => c.db).join(', ')} (key ${JSON.stringify(conflict.key)})`).toBe(expected);
      }
    }),
    scenario('winners', 'chooses winners among the databases of the sync whose rows can be read (as the core requires at run time)', async () => {
      const decisions = await decide(strategy, args(all()));
      for (const [key, decision] of decisions) {
        if (!isWinner(decision)) continue;
        const refused = refusedWinner(decision.winner, databases);
        expect(refused === undefined, `${name}: the winner of ${JSON.stringify(key)}, which the core refuses: ${refused}`).toBe(true);
      }
    }),
    scenario('order', 'chooses the same whatever the order of the candidates and of the conflicts', async () => {
      const conflicts = all();
      const expected = entries(await decide(strategy, args(conflicts)));
      for (const how of ['reverse', 'rotate'] as const) {
        const shuffled = conflicts.map((conflict) => reorder(conflict, how)).reverse();
        expect(entries(await decide(strategy, args(shuffled))), `${name}: candidates in ${how}d order, conflicts reversed`).toEqual(expected);
      }
    }),
    scenario('deterministic', 'makes the same decisions when called twice (inputs frozen, never changed)', async () => {
      const first = entries(await decide(strategy, args(all())));
      expect(entries(await decide(strategy, args(all()))), `${name}: a second call`).toEqual(first);
    }),
    scenario('declines', 'leaves declined and already-decided keys alone: it decides only the conflicts it is given', async () => {
      const conflicts = all();
      // custom code decided every other conflict first: the strategy is given the rest only
      const rest = conflicts.filter((_, index) => index % 2 === 1);
      const restKeys = new Set(rest.map((c) => c.key));
      const decisions = await decide(strategy, args(rest));
      for (const key of decisions.keys()) expect(restKeys.has(key), `${name}: decided ${JSON.stringify(key)}, which it was not given (custom code decided it)`).toBe(true);
      for (const conflict of rest) {
        expect(decisions.has(conflict.key), `${name}: ${declines(conflict) ? 'declines' : 'decides'} ${JSON.stringify(conflict.key)} when given part of the batch`).toBe(!declines(conflict));
        const decision = decisions.get(conflict.key);
        if (!declines(conflict) && decision && isWinner(decision)) {
          // a strategy may weigh the batch, but whoever it picks must still be a winner the core takes
          const refused = refusedWinner(decision.winner, databases);
          expect(refused === undefined, `${name}: the winner of ${JSON.stringify(conflict.key)} when given part of the batch, which the core refuses: ${refused}`).toBe(true);
        }
      }
    }),
    scenario('validate', 'validate() accepts and rejects the syncs the options list', async () => {
      const cases = options.validate;
      if (!cases) return 'no validate cases in the options';
      for (const accepted of cases.accepts ?? []) {
        const given: ValidateStrategyArgs = freeze({ sync: 'kit_sync', databases: [...accepted.databases], options: [...accepted.options] });
        expect(() => strategy.validate?.(given), `${name}: validate() accepts options ${JSON.stringify(accepted.options)} on ${accepted.databases.map((db) => `${db.name}:${db.role}`).join(',')}`).not.toThrow();
      }
      for (const rejected of cases.rejects ?? []) {
        expect(typeof strategy.validate, `${name}: has validate(), since the options list syncs it must reject`).toBe('function');
        const given: ValidateStrategyArgs = freeze({ sync: 'kit_sync', databases: [...rejected.databases], options: [...rejected.options] });
        let thrown: unknown;
        try {
          strategy.validate!(given);
        } catch (error) {
          thrown = error;
        }
        const label = `options ${JSON.stringify(rejected.options)} on ${rejected.databases.map((db) => `${db.name}:${db.role}`).join(',')}`;
        expect(thrown, `${name}: validate() rejects ${label}`).toBeDefined();
        expect(isBucardoError(thrown), `${name}: validate() rejects ${label} with a BucardoError (a code and the names it is about), not ${String(thrown)}`).toBe(true);
      }
      return undefined;
    }),
  ];
}

/**
 * Registers the conflict strategy kit with vitest: a `describe` block named after the strategy with one
 * test per scenario.
 *
 * ```ts
 * describeConflictStrategyConformance('prefer-b', preferB, { declines: (c) => !c.candidates.some((x) => x.db === 'B') });
 * ```
 */
export function describeConflictStrategyConformance(name: string, strategy: ConflictStrategy, options: ConflictStrategyConformanceOptions = {}): void {
  registerScenarios(`${name}: conflict strategy conformance`, strategyScenarios(strategy, options));
}
