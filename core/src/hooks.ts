import { AsyncParallelHook, AsyncSeriesBailHook, AsyncSeriesWaterfallHook } from 'tapable';
import type {
  ApplyArgs, ApplyFailedAnswer, ApplyFailedArgs, ApplyOutcome, BatchArgs, ChangeSet, Decisions, FetchedRows, ResolveArgs, RunArgs, RunReport,
} from '@bucardo/plugin-sdk';

/** Extra tap options: the plugin that registered the tap, so errors can name it. */
export interface PluginTapOptions {
  plugin?: string;
}

/**
 * Every hook of a run, declared once, in lifecycle order. The kind of each hook is its tapable class;
 * the TypeScript type comes from this construction (no separate annotation to drift from it).
 * Hooks fire once per run or once per table batch, never per row: tapable costs ~0.4 µs a call and
 * recompiles its dispatcher whenever a tap is added.
 */
export function createSyncHooks() {
  return Object.freeze({
    /** waterfall, once per run (per key partition for a large backlog, `args.partition`, plus a call without it for the tables foreign keys point at, in the first and last partition): the core's tap fills the ChangeSet from every source; later taps may filter it. */
    capture: new AsyncSeriesWaterfallHook<[ChangeSet, RunArgs], ChangeSet, PluginTapOptions>(['changes', 'args'], 'capture'),
    /** waterfall, per table batch, one batch ahead of apply: the core's tap reads the row images of the batch's keys from their sources. */
    fetch: new AsyncSeriesWaterfallHook<[FetchedRows, BatchArgs], FetchedRows, PluginTapOptions>(['rows', 'args'], 'fetch'),
    /** waterfall, per table batch with conflicts: custom taps decide first; the configured strategy (stage 100) settles the rest. */
    resolve: new AsyncSeriesWaterfallHook<[Decisions, ResolveArgs], Decisions, PluginTapOptions>(['decisions', 'args'], 'resolve'),
    /** waterfall, per table batch: the core's tap writes the plan to every receiving database in parallel. */
    apply: new AsyncSeriesWaterfallHook<[ApplyOutcome, ApplyArgs], ApplyOutcome, PluginTapOptions>(['outcome', 'args'], 'apply'),
    /** bail, when a transaction's apply failed on a database and was rolled back everywhere: the first tap that answers `{ retry: true }` has it tried again (at most twice per table in a run). */
    applyFailed: new AsyncSeriesBailHook<[ApplyFailedArgs], ApplyFailedAnswer | undefined, PluginTapOptions>(['args'], 'applyFailed'),
    /** parallel, once per run after commit or failure: report taps (loggers, metrics) never fail the sync. */
    report: new AsyncParallelHook<[RunReport], PluginTapOptions>(['report'], 'report'),
  });
}

export type CoreHooks = ReturnType<typeof createSyncHooks>;
export type HookName = keyof CoreHooks;

/** The stage of the configured conflict strategy's tap: after every custom resolve tap at the default stage. */
export const STRATEGY_STAGE = 100;
