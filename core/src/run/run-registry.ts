import type { Checkpoint } from '@bucardo/plugin-sdk';
import type { RunSessions } from './sessions.js';
import type { SyncPlan } from './sync-plan.js';

/** The per-run state the core's taps need beyond the hook arguments. */
export interface RunState {
  readonly plan: SyncPlan;
  readonly sessions: RunSessions;
  /** Where each source's capture starts. */
  readonly checkpoints: ReadonlyMap<string, Checkpoint>;
}

/**
 * Runs in progress, by run id. The core's taps are registered once per engine (tapping per run would
 * recompile tapable's dispatcher), so they find their run's state here.
 */
export class RunRegistry {
  readonly #runs = new Map<string, RunState>();

  add(runId: string, state: RunState): void {
    this.#runs.set(runId, state);
  }

  get(runId: string): RunState {
    const state = this.#runs.get(runId);
    if (!state) throw new Error(`internal: no state for run ${runId}`);
    return state;
  }

  delete(runId: string): void {
    this.#runs.delete(runId);
  }
}
