import type { SyncHooks, TapOptions } from '@bucardo/plugin-sdk';
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
    resolve: view(hooks.resolve as unknown as TapTarget),
    apply: view(hooks.apply as unknown as TapTarget),
    report: view(hooks.report as unknown as TapTarget),
  }) as unknown as SyncHooks;
}

function tapOptions(options: string | TapOptions, plugin: string): object {
  const given = typeof options === 'string' ? { name: options } : options;
  const before = given.before === undefined || typeof given.before === 'string' ? given.before : [...given.before];
  return { ...given, name: given.name || plugin, plugin, ...(before === undefined ? {} : { before }) };
}
