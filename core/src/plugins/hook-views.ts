import type { Decisions as SdkDecisions, ResolveArgs, SyncHooks, TapOptions } from '@bucardo/plugin-sdk';
import { checkResolveTap } from './resolve-tap-checks.js';
import type { CoreHooks } from '../hooks.js';

interface TapTarget {
  tap(options: object, fn: (...args: never[]) => unknown): void;
  tapPromise(options: object, fn: (...args: never[]) => Promise<unknown>): void;
}

/**
 * The hooks as one plugin sees them: tap-only (no `call`/`promise`), frozen, and every tap carries the
 * plugin's name, so an error it throws names the plugin even when the tap was given another name.
 */
export function hookViewFor(hooks: CoreHooks, plugin: string): SyncHooks {
  const view = (hook: TapTarget) => Object.freeze({
    tap: (options: string | TapOptions, fn: (...args: never[]) => unknown) => hook.tap(tapOptions(options, plugin), fn),
    tapPromise: (options: string | TapOptions, fn: (...args: never[]) => Promise<unknown>) => hook.tapPromise(tapOptions(options, plugin), fn),
  });
  return Object.freeze({
    capture: view(hooks.capture as unknown as TapTarget),
    fetch: view(hooks.fetch as unknown as TapTarget),
    resolve: view(signedDecisions(hooks.resolve as unknown as TapTarget, plugin)),
    apply: view(hooks.apply as unknown as TapTarget),
    applyFailed: view(signedAnswers(hooks.applyFailed as unknown as TapTarget, plugin)),
    report: view(hooks.report as unknown as TapTarget),
  }) as unknown as SyncHooks;
}

function tapOptions(options: string | TapOptions, plugin: string): object {
  const given = typeof options === 'string' ? { name: options } : options;
  const before = given.before === undefined || typeof given.before === 'string' ? given.before : [...given.before];
  return { ...given, name: given.name || plugin, plugin, ...(before === undefined ? {} : { before }) };
}

type Decisions = ReadonlyMap<string, { by?: string }>;

/**
 * The resolve view checks what a plugin's tap returned (`resolve-tap-checks.ts`), then signs the decisions
 * it adds without a `by` with the plugin's name, so the conflict audit tells custom decisions from the strategy's.
 */
function signedDecisions(hook: TapTarget, plugin: string): TapTarget {
  const sign = (before: Decisions, after: unknown, args: ResolveArgs, options: object): unknown => {
    checkResolveTap(before as SdkDecisions, after, args, { name: (options as { name: string }).name, plugin });
    if (!(after instanceof Map)) return after;
    const signed = new Map(after as Decisions);
    for (const [key, decision] of signed) if (!before.has(key) && decision.by === undefined) signed.set(key, { ...decision, by: plugin });
    return signed;
  };
  // `before` is a copy: a tap that adds to the Map it was given is checked and signed too, whether it
  // returns that Map or nothing (the waterfall would hand on the edited Map unchecked, its decisions
  // then signed by nobody, and the audit would say the strategy made them)
  return {
    tap: (options, fn) => hook.tap(options, ((decisions: Decisions, args: ResolveArgs) => {
      const before = new Map(decisions);
      return sign(before, (fn as (...a: unknown[]) => unknown)(decisions, args) ?? decisions, args, options);
    }) as never),
    tapPromise: (options, fn) => hook.tapPromise(options, (async (decisions: Decisions, args: ResolveArgs) => {
      const before = new Map(decisions);
      return sign(before, (await (fn as (...a: unknown[]) => Promise<unknown>)(decisions, args)) ?? decisions, args, options);
    }) as never),
  };
}

/**
 * The applyFailed view signs a tap's answer with the plugin's name (`by`), so the run's log says whose it was.
 * An answer that is not an object (`null`, `true`, an array) is wrapped as `{ value }`, so the PLUGIN_ERROR
 * that refuses it still names the plugin.
 */
function signedAnswers(hook: TapTarget, plugin: string): TapTarget {
  const sign = (answer: unknown): unknown => {
    if (answer === undefined) return undefined;
    if (typeof answer === 'object' && answer !== null && !Array.isArray(answer)) return { ...answer, by: plugin };
    return { value: answer, by: plugin };
  };
  return {
    tap: (options, fn) => hook.tap(options, ((args: unknown) => sign((fn as (...a: unknown[]) => unknown)(args))) as never),
    tapPromise: (options, fn) => hook.tapPromise(options, (async (args: unknown) => sign(await (fn as (...a: unknown[]) => Promise<unknown>)(args))) as never),
  };
}
