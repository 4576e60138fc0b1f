import type { ApplyFailedAnswer, ApplyFailedArgs } from './apply-failed.js';
import type { ChangeSet } from './changes.js';
import type { Decisions } from './conflict.js';
import type { ApplyArgs, ApplyOutcome, BatchArgs, FetchedRows, ResolveArgs, RunArgs, RunReport } from './run.js';

/**
 * The tap side of the core's hooks, written structurally so that the SDK needs no runtime library:
 * the core builds them with tapable, and these interfaces are what plugins see.
 *
 * Tap order: lower `stage` first (default 0); the core's own taps are at stage 0 unless a hook's doc
 * says otherwise, so a negative stage runs before the core's work and a positive one after it.
 */
export interface TapOptions {
  /** Your plugin's name: errors thrown by the tap are tagged with it. */
  readonly name: string;
  /** Order among taps: lower first. Default 0. */
  readonly stage?: number;
  /** Tap names this tap runs before (at the same stage). */
  readonly before?: string | readonly string[];
}

/** A series hook whose value flows through the taps: each may return a replacement, or nothing to keep it. */
export interface WaterfallHook<Value, Args> {
  /** Adds a synchronous tap; it returns a replacement value, or nothing to keep the value. */
  tap(options: string | TapOptions, fn: (value: Value, args: Args) => Value | undefined | void): void;
  /** Adds an asynchronous tap; it resolves with a replacement value, or nothing to keep the value. */
  tapPromise(options: string | TapOptions, fn: (value: Value, args: Args) => Promise<Value | undefined | void>): void;
}

/**
 * A series hook whose first answer wins: each tap returns an answer, or nothing to let the next tap answer;
 * the taps after the one that answered are not called.
 */
export interface BailHook<Args, Answer> {
  /** Adds a synchronous tap; it returns an answer, or nothing to pass. */
  tap(options: string | TapOptions, fn: (args: Args) => Answer | undefined | void): void;
  /** Adds an asynchronous tap; it resolves with an answer, or nothing to pass. */
  tapPromise(options: string | TapOptions, fn: (args: Args) => Promise<Answer | undefined | void>): void;
}

/** A hook whose taps run concurrently; return values are ignored. */
export interface ParallelHook<Args> {
  /** Adds a synchronous tap. */
  tap(options: string | TapOptions, fn: (args: Args) => void): void;
  /** Adds an asynchronous tap. */
  tapPromise(options: string | TapOptions, fn: (args: Args) => Promise<void>): void;
}

/**
 * The phases of a run, in order. Every hook fires once per run or once per table batch, never per row.
 * The core's own work is done by its taps (named `bucardo:<phase>`), which call the plugin interfaces.
 */
export interface SyncHooks {
  /** waterfall, once per run (per key partition for a large backlog, `args.partition`, plus a call without it for the tables foreign keys point at, in the first and last partition): the core's tap reads every source's changes into the ChangeSet. */
  readonly capture: WaterfallHook<ChangeSet, RunArgs>;
  /** waterfall, per table batch: the core's tap reads the row images of the batch's keys. */
  readonly fetch: WaterfallHook<FetchedRows, BatchArgs>;
  /**
   * waterfall, per table batch with conflicts: each tap may add decisions (custom conflict code, at the
   * default stage); the configured strategy's tap runs last (stage 100) and settles the rest.
   */
  readonly resolve: WaterfallHook<Decisions, ResolveArgs>;
  /** waterfall, per table batch: the core's tap writes the plan to every receiving database in parallel. */
  readonly apply: WaterfallHook<ApplyOutcome, ApplyArgs>;
  /**
   * bail, when a transaction's apply failed on a database, after it was rolled back everywhere (Bucardo's
   * `exception` custom code): a tap may fix the rows (`args.connect`) and answer `{ retry: true }` to try the
   * transaction again, at most twice per table in a run; the first tap that answers wins. Never called
   * while nothing fails.
   */
  readonly applyFailed: BailHook<ApplyFailedArgs, ApplyFailedAnswer>;
  /** parallel, once per run, after commit or failure: a failing tap is logged and never fails the sync. */
  readonly report: ParallelHook<RunReport>;
}

/** The hook names in lifecycle order. */
export const hookNames = ['capture', 'fetch', 'resolve', 'apply', 'applyFailed', 'report'] as const satisfies readonly (keyof SyncHooks)[];

/** The name of a hook: `capture`, `fetch`, `resolve`, `apply`, `applyFailed` or `report` (the `hook` of a PLUGIN_ERROR from a tap). */
export type HookName = (typeof hookNames)[number];
