/**
 * Plugin errors at the engine: each problem with a plugin is a coded error naming the plugin (and the
 * hook, for a tap or an `apply` that throws), as Rollup's PLUGIN_ERROR does; a report tap or a logger
 * that throws never fails anything.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  SDK_VERSION, definePlugin, silentLogger, type BucardoPlugin, type ChangeSet, type DatabaseDriver, type Logger, type RunArgs, type RunReport,
} from '@bucardo/plugin-sdk';
import { Engine } from '../src/engine.js';

const noop = (name: string): BucardoPlugin => definePlugin({ name, apply() {} });
const runArgs = { sync: 's', runId: '1', databases: [], tables: [], log: silentLogger, signal: new AbortController().signal } as unknown as RunArgs;
const report = { sync: 's', runId: '1', outcome: 'good' } as unknown as RunReport;
const emptyChanges: ChangeSet = { sources: [] };

async function engineError(plugins: unknown[]): Promise<unknown> {
  return Engine.create({ plugins: plugins as BucardoPlugin[] }).then(() => undefined, (error: unknown) => error);
}

describe('loading plugins', () => {
  it('what a plugin registers is checked as it registers it: a validate that is no function, a source without open, a database type that is no object, nor a source nor a target; a strategy name of two words', async () => {
    const registering = (name: string, register: (host: Parameters<BucardoPlugin['apply']>[0]) => void) => definePlugin({ name, apply: register });
    expect(await engineError([registering('p-val', (host) => host.registerConflictStrategy({ name: 'v', resolve: () => new Map(), validate: 'yes' } as never))]))
      .toMatchObject({ code: 'PLUGIN_INVALID', plugin: 'p-val', item: 'validate', message: '[p-val] A conflict strategy "v": validate must be a function (got string)' });
    const driver = { type: 'src', normalizeParams: (p: Record<string, string>) => p, describe: () => '', ping: async () => undefined, source: {} };
    expect(await engineError([registering('p-src', (host) => host.registerDatabase(driver as unknown as DatabaseDriver))]))
      .toMatchObject({ code: 'PLUGIN_INVALID', plugin: 'p-src', item: 'open', message: '[p-src] A database type "src"\'s source needs open (a function; it has none)' });
    expect(await engineError([registering('p-null', (host) => host.registerDatabase(null as unknown as DatabaseDriver))]))
      .toMatchObject({ code: 'PLUGIN_INVALID', plugin: 'p-null', message: '[p-null] A database type is not an object (got null)' });
    // a walk-through's: a type no sync could use, and a strategy conflict= could never name
    const neither = { type: 'neither', normalizeParams: (p: Record<string, string>) => p, describe: () => '', ping: async () => undefined };
    expect(await engineError([registering('p-neither', (host) => host.registerDatabase(neither as DatabaseDriver))]))
      .toMatchObject({ code: 'PLUGIN_INVALID', plugin: 'p-neither', message: '[p-neither] A database type "neither" needs a source or a target (it has neither: no sync could use it)' });
    expect(await engineError([registering('p-spaced', (host) => host.registerConflictStrategy({ name: 'my strategy', resolve: () => new Map() }))]))
      .toMatchObject({ code: 'PLUGIN_INVALID', plugin: 'p-spaced', item: 'name', message: '[p-spaced] A conflict strategy\'s name must be one word (no space nor comma), as conflict= reads it: "my strategy" could never be chosen' });
  });

  it('two plugins with one name: PLUGIN_DUPLICATE naming it', async () => {
    expect(await engineError([noop('twin'), noop('other'), noop('twin')])).toMatchObject({ code: 'PLUGIN_DUPLICATE', plugin: 'twin' });
  });

  it('two plugins registering one database type: PLUGIN_DUPLICATE naming the second plugin and the type', async () => {
    const driver = { type: 'same', normalizeParams: (p: Record<string, string>) => p, describe: () => '', ping: async () => undefined, target: { capabilities: {}, open: async () => ({}) } } as unknown as DatabaseDriver;
    const registering = (name: string) => definePlugin({ name, apply: (host) => host.registerDatabase(driver) });
    const error = await engineError([registering('first'), registering('second')]);
    expect(error).toMatchObject({ code: 'PLUGIN_DUPLICATE', plugin: 'second', item: 'same' });
    expect((error as Error).message).toContain('"first"');
  });

  it('a plugin without a name: PLUGIN_INVALID naming its position', async () => {
    const error = await engineError([noop('a'), { apply() {} }]);
    expect(error).toMatchObject({ code: 'PLUGIN_INVALID', plugin: 'at position 2' });
  });

  it('a plugin without apply(): PLUGIN_INVALID naming it', async () => {
    expect(await engineError([{ name: 'lazy', sdk: SDK_VERSION }])).toMatchObject({ code: 'PLUGIN_INVALID', plugin: 'lazy' });
  });

  it('something that is not a plugin: PLUGIN_INVALID', async () => {
    expect(await engineError([42])).toMatchObject({ code: 'PLUGIN_INVALID', plugin: 'at position 1' });
  });

  it('a plugin built for another SDK major: PLUGIN_SDK_MISMATCH naming it and both versions', async () => {
    const error = await engineError([{ name: 'from-the-future', sdk: SDK_VERSION + 1, apply() {} }]);
    expect(error).toMatchObject({ code: 'PLUGIN_SDK_MISMATCH', plugin: 'from-the-future' });
    expect((error as Error).message).toContain(`SDK ${SDK_VERSION + 1}`);
    // not stamped by definePlugin: accepted (a hand-written plugin object)
    await expect(Engine.create({ plugins: [{ name: 'plain', apply() {} }] })).resolves.toBeInstanceOf(Engine);
  });

  it('an apply() that throws: PLUGIN_ERROR naming the plugin, hook "apply", keeping the cause', async () => {
    const cause = new RangeError('bad option');
    const error = await engineError([definePlugin({ name: 'grumpy', apply() { throw cause; } })]);
    expect(error).toMatchObject({ code: 'PLUGIN_ERROR', plugin: 'grumpy', hook: 'apply', cause });
  });

  it('a logger factory that throws: PLUGIN_ERROR naming the plugin that registered it', async () => {
    const broken = definePlugin({ name: 'broken-logger', apply: (host) => host.registerLogger({ name: 'broken', create() { throw new Error('no destination'); } }) });
    const error = await Engine.create({ plugins: [broken], logger: 'broken' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PLUGIN_ERROR', plugin: 'broken-logger', hook: 'logger', item: 'broken' });
  });
});

describe('taps', () => {
  async function engineWith(plugin: BucardoPlugin): Promise<Engine> {
    return Engine.create({ plugins: [plugin] });
  }

  // stage -1: before the core's own capture tap, which needs a real run
  it.each([
    ['tap', (host: Parameters<BucardoPlugin['apply']>[0]) => host.hooks.capture.tap({ name: 'my-tap', stage: -1 }, () => { throw new Error('sync failure'); })],
    ['tapPromise', (host: Parameters<BucardoPlugin['apply']>[0]) => host.hooks.capture.tapPromise({ name: 'renamed-tap', stage: -1 }, async () => { throw new Error('async failure'); })],
  ])('a %s that throws: PLUGIN_ERROR naming the plugin (whatever the tap is called) and the hook', async (_, tap) => {
    const engine = await engineWith(definePlugin({ name: 'thrower', apply: (host) => { tap(host); } }));
    const error = await engine.hooks.capture.promise(emptyChanges, runArgs).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PLUGIN_ERROR', plugin: 'thrower', hook: 'capture' });
    expect((error as Error).message).toMatch(/^\[thrower\] capture hook: (sync|async) failure$/);
  });

  it('a BucardoError thrown by a tap keeps its code and gains the plugin and hook', async () => {
    const { BucardoError } = await import('@bucardo/plugin-sdk');
    const engine = await engineWith(definePlugin({ name: 'coded', apply: (host) => host.hooks.capture.tap({ name: 'coded', stage: -1 }, () => { throw new BucardoError('TABLE_MISSING', 'no table', { table: 't' }); }) }));
    expect(await engine.hooks.capture.promise(emptyChanges, runArgs).catch((e: unknown) => e))
      .toMatchObject({ code: 'TABLE_MISSING', table: 't', plugin: 'coded', hook: 'capture' });
  });

  it('a report tap that throws fails nothing: it is logged as a warning naming the plugin', async () => {
    const lines: Array<[string, string, unknown]> = [];
    const recorder: Logger = { log: (level, message, fields) => { lines.push([level, message, fields]); }, child: () => recorder };
    const plugins = [
      definePlugin({ name: 'recording-logger', apply: (host) => host.registerLogger({ name: 'recording', create: () => recorder }) }),
      definePlugin({ name: 'flaky-report', apply: (host) => {
        host.hooks.report.tap('sync', () => { throw new Error('report went wrong'); });
        host.hooks.report.tapPromise('async', async () => { throw new Error('async report went wrong'); });
      } }),
    ];
    const engine = await Engine.create({ plugins, logger: 'recording' });
    await expect(engine.hooks.report.promise(report)).resolves.toBeUndefined();
    expect(lines.filter(([level]) => level === 'warn').map(([, message, fields]) => [message, fields])).toEqual([
      ['[flaky-report] report tap failed: report went wrong', expect.objectContaining({ plugin: 'flaky-report', hook: 'report' })],
      ['[flaky-report] report tap failed: async report went wrong', expect.objectContaining({ plugin: 'flaky-report', hook: 'report' })],
    ]);
  });
});

describe('a logger that throws', () => {
  it('never fails its caller: the failure is reported once on stderr and its lines are skipped', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const explosive: Logger = {
        log() { throw new Error('disk full'); },
        child() { throw new Error('no children'); },
        flush: async () => { throw new Error('cannot flush'); },
      };
      const engine = await Engine.create({
        plugins: [definePlugin({ name: 'explosive-logger', apply: (host) => host.registerLogger({ name: 'explosive', create: () => explosive }) })],
        logger: 'explosive',
      });
      expect(() => engine.log.log('warn', 'one')).not.toThrow();
      expect(() => engine.log.child({ sync: 's' }).log('normal', 'two')).not.toThrow();
      await expect(engine.log.flush()).resolves.toBeUndefined();
      const reported = stderr.mock.calls.map(([text]) => String(text)).filter((text) => text.includes('explosive'));
      expect(reported).toEqual(['WARN: logger "explosive" failed (disk full); its lines are skipped\n']);
    } finally {
      stderr.mockRestore();
    }
  });
});
