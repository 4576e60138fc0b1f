import { isBucardoError, toBucardoError, BucardoError, type Logger } from '@bucardo/plugin-sdk';
import type { CoreHooks, HookName } from '../hooks.js';

/** The prefix of the core's own taps: their errors already name the database or table. */
export const CORE_TAP_PREFIX = 'bucardo:';

type AnyFn = (...args: unknown[]) => unknown;
interface RegisteredTap { name: string; type: 'sync' | 'async' | 'promise'; fn: AnyFn; plugin?: string }

/**
 * Tags everything a plugin's tap throws with the plugin and hook names (tapable itself does not say
 * which tap failed), and makes report taps harmless: a logger or metrics tap that throws is logged,
 * never fails the sync. Installed once per hook, before any tap, so it wraps every tap.
 */
export function installTapInterceptors(hooks: CoreHooks, log: () => Logger): void {
  for (const hookName of Object.keys(hooks) as HookName[]) {
    const hook = hooks[hookName] as unknown as { intercept(i: { register(tap: RegisteredTap): RegisteredTap }): void };
    hook.intercept({
      register(tap) {
        if (tap.name.startsWith(CORE_TAP_PREFIX)) return tap;
        const plugin = tap.plugin ?? tap.name;
        const onError = hookName === 'report'
          ? (error: unknown) => { log().log('warn', `[${plugin}] report tap failed: ${messageOf(error)}`, { plugin, hook: hookName }); return undefined; }
          : (error: unknown) => { throw pluginError(error, plugin, hookName); };
        return { ...tap, fn: wrap(tap, onError) };
      },
    });
  }
}

function wrap(tap: RegisteredTap, onError: (error: unknown) => unknown): AnyFn {
  const fn = tap.fn;
  switch (tap.type) {
    case 'sync':
      return (...args) => { try { return fn(...args); } catch (error) { return onError(error); } };
    case 'promise':
      return async (...args) => { try { return await fn(...args); } catch (error) { return onError(error); } };
    case 'async':
      return (...args) => {
        const callback = args.pop() as (error?: unknown, result?: unknown) => void;
        try {
          fn(...args, (error: unknown, result: unknown) => {
            if (!error) return callback(null, result);
            try { callback(null, onError(error)); } catch (tagged) { callback(tagged); }
          });
        } catch (error) {
          try { callback(null, onError(error)); } catch (tagged) { callback(tagged); }
        }
      };
  }
}

export function pluginError(error: unknown, plugin: string, hook: string): BucardoError {
  if (isBucardoError(error) && error.plugin !== undefined) return error;
  const tagged = isBucardoError(error)
    ? error
    : new BucardoError('PLUGIN_ERROR', `[${plugin}] ${hook} hook: ${messageOf(error)}`, { plugin, hook, cause: error });
  return toBucardoError(tagged, 'PLUGIN_ERROR', { plugin, hook });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
