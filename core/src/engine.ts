import { BucardoError, closestName, isBucardoError, type BucardoPlugin, type LogFields, type Logger, type LoggerFactory, type LogLevel, type RunReport } from '@bucardo/plugin-sdk';
import { createSyncHooks, type CoreHooks } from './hooks.js';
import { DeferredLogger, guardedLogger, stderrWarnings } from './logging.js';
import { loadPlugins } from './plugins/load-plugins.js';
import { Registry } from './plugins/registry.js';
import { installTapInterceptors } from './plugins/tap-errors.js';
import { tapCoreWork } from './run/core-taps.js';
import { RunRegistry } from './run/run-registry.js';
import { runSync, type RunOptions, type RunRecorder } from './run/run-sync.js';
import type { SyncPlan } from './run/sync-plan.js';

export interface EngineOptions {
  readonly plugins: readonly BucardoPlugin[];
  readonly logLevel?: LogLevel;
  /** The registered logger to use; default `text`. */
  readonly logger?: string;
  readonly loggerOptions?: Readonly<Record<string, unknown>>;
  /** Where the logger writes when its options name no destination (see LoggerOptions.defaultDestinations). */
  readonly defaultLogDestinations?: readonly string[];
  /** Fields on every log line, e.g. the process role. */
  readonly logFields?: LogFields;
}

/**
 * The hooks, the plugins' registrations and the runner. Built once per process (tapping after the first
 * call recompiles tapable's dispatcher); a reload builds a new engine.
 */
export class Engine {
  readonly hooks: CoreHooks = createSyncHooks();
  readonly registry = new Registry();
  readonly log: DeferredLogger;
  readonly #runs = new RunRegistry();
  #pluginNames: readonly string[] = [];

  private constructor(log: DeferredLogger) {
    this.log = log;
  }

  static async create(options: EngineOptions): Promise<Engine> {
    const level = options.logLevel ?? 'normal';
    const engine = new Engine(new DeferredLogger(stderrWarnings(), options.logFields ?? {}));
    installTapInterceptors(engine.hooks, () => engine.log);
    tapCoreWork(engine.hooks, engine.#runs, engine.registry);
    await loadPlugins(options.plugins, engine.hooks, engine.registry, engine.log);
    engine.#pluginNames = Object.freeze(options.plugins.map((plugin) => plugin.name));
    const loggerName = options.logger ?? 'text';
    const factory = engine.registry.logger(loggerName);
    if (!factory && options.logger !== undefined) throw loggerNotFound(engine.registry, loggerName);
    engine.log.setTarget(factory ? guardedLogger(createLogger(engine.registry, loggerName, factory, level, options), loggerName) : stderrWarnings(level));
    return engine;
  }

  /** The plugins loaded, by name, in load order (the daemon's startup banner names them). */
  get pluginNames(): readonly string[] {
    return this.#pluginNames;
  }

  /** Runs one sync once. Never throws for a failed run: the report says `bad` and carries the error. */
  run(plan: SyncPlan, recorder: RunRecorder, options: RunOptions): Promise<RunReport> {
    return runSync({ hooks: this.hooks, registry: this.registry, runs: this.#runs, log: this.log }, plan, recorder, options);
  }
}

/** The logger the config names is not registered: the registered ones, and the one a typo most likely meant. */
function loggerNotFound(registry: Registry, name: string): BucardoError {
  const known = registry.loggerNames();
  const closest = closestName(name, known);
  const list = known.length ? `the registered loggers are ${known.map((logger) => `"${logger}"`).join(', ')}` : 'no plugin registers one';
  return new BucardoError('PLUGIN_NOT_FOUND', `No plugin registers the logger "${name}" named in the config: ${closest ? `did you mean "${closest}"? (${list})` : list}`, {
    hook: 'logger', item: name,
  });
}

/** The configured logger; a factory that throws is a PLUGIN_ERROR naming its plugin, at startup rather than mid-sync. */
function createLogger(registry: Registry, name: string, factory: LoggerFactory, level: LogLevel, options: EngineOptions): Logger {
  try {
    return factory.create({
      level, fields: {}, options: options.loggerOptions ?? {},
      ...(options.defaultLogDestinations ? { defaultDestinations: options.defaultLogDestinations } : {}),
    });
  } catch (error) {
    // options it refuses are the config's mistake, said as the logger said it (naming the option)
    if (isBucardoError(error) && error.code === 'CONFIG_INVALID') throw error;
    const plugin = registry.ownerOfLogger(name) ?? name;
    throw new BucardoError('PLUGIN_ERROR', `[${plugin}] the logger "${name}" could not be created: ${error instanceof Error ? error.message : String(error)}`, {
      plugin, hook: 'logger', item: name, cause: error,
    });
  }
}
