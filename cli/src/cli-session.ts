import type { Bucardo } from '@bucardo/core';
import { isBucardoError, type BucardoConfig, type BucardoError, type LogLevel } from '@bucardo/plugin-sdk';
import type { ParsedCommand } from './argv.js';
import { explainMissingLogger } from './known-plugins.js';

export interface OpenOptions {
  /** `cli` for commands, `daemon` for the daemon process. */
  readonly role?: string;
  readonly logLevel?: LogLevel;
  readonly loggerOptions?: Readonly<Record<string, unknown>>;
  /** Where the logger writes when no option names a destination (the daemon's default log directory). */
  readonly defaultLogDestinations?: readonly string[];
  /**
   * `standard`: the standard plugins only, and their logger, for a command that only talks to the
   * control database and must not judge the config's plugins itself (`reload`: the daemon does).
   * Default `config`.
   */
  readonly plugins?: 'config' | 'standard';
}

/** What a command gets: the parsed command line, output, the config, and the Bucardo API opened on first use. */
export class CliSession {
  readonly command: ParsedCommand;
  #bucardo: Bucardo | undefined;
  #config: { config: BucardoConfig; filepath?: string } | undefined;

  constructor(command: ParsedCommand) {
    this.command = command;
  }

  get words(): readonly string[] {
    return this.command.words;
  }

  get params(): Readonly<Record<string, string>> {
    return this.command.params;
  }

  /** `--quiet`: `print` prints nothing; what is an error must still reach stderr. */
  get quiet(): boolean {
    return this.command.options.quiet === true;
  }

  print(text: string): void {
    if (!this.command.options.quiet) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  async config(): Promise<{ config: BucardoConfig; filepath?: string }> {
    if (!this.#config) {
      const { loadConfig } = await import('./load-config.js');
      this.#config = await loadConfig(this.command.options.config);
    }
    return this.#config;
  }

  /** Loads the config and plugins and opens the API (the control database is connected lazily by it). */
  async bucardo(open: OpenOptions = {}): Promise<Bucardo> {
    if (this.#bucardo) return this.#bucardo;
    this.#bucardo = await this.openFresh(open);
    return this.#bucardo;
  }

  /**
   * The API with the config's plugins, or, when they do not load, with the standard ones and the error
   * that kept them out: for `ping` and `status`, which need only the control database to answer (the
   * daemon runs with the plugins it loaded at its start, whatever the file says now).
   */
  async bucardoDespitePlugins(): Promise<{ bucardo: Bucardo; pluginFailure?: BucardoError }> {
    try {
      return { bucardo: await this.bucardo() };
    } catch (error) {
      if (!isPluginLoadFailure(error)) throw error;
      return { bucardo: await this.bucardo({ plugins: 'standard' }), pluginFailure: error };
    }
  }

  /** A new API instance on a freshly read config (what a daemon's reload uses). */
  async openFresh(open: OpenOptions = {}): Promise<Bucardo> {
    const { options } = this.command;
    const [{ Bucardo }, { resolvePlugins }] = await Promise.all([import('@bucardo/core'), import('./resolve-plugins.js')]);
    const { config, filepath } = await this.config();
    const standard = open.plugins === 'standard';
    const loggerOptions = open.role === 'daemon' ? open.loggerOptions : commandLoggerOptions(standard ? undefined : config.loggerOptions);
    const plugins = await resolvePlugins(standard ? undefined : config.plugins, filepath);
    return Bucardo.open({
      plugins,
      control: {
        ...config.control,
        ...(options.dbName === undefined ? {} : { dbname: options.dbName }),
        ...(options.dbHost === undefined ? {} : { host: options.dbHost }),
        ...(options.dbPort === undefined ? {} : { port: options.dbPort }),
        ...(options.dbUser === undefined ? {} : { user: options.dbUser }),
        ...(options.dbPass === undefined ? {} : { password: options.dbPass }),
      },
      // Interactive commands print their own results; the log shows warnings unless asked for more.
      logLevel: open.logLevel ?? options.logLevel ?? (options.verbose > 0 ? 'verbose' : 'warn'),
      ...(config.logger && !standard ? { logger: config.logger } : {}),
      ...(loggerOptions ? { loggerOptions } : {}),
      ...(open.defaultLogDestinations ? { defaultLogDestinations: open.defaultLogDestinations } : {}),
      ...(config.batchSize ? { batchSize: config.batchSize } : {}),
      ...(config.partitionSize ? { partitionSize: config.partitionSize } : {}),
      ...(config.refreshAbove === undefined ? {} : { refreshAbove: config.refreshAbove }),
      role: open.role ?? 'cli',
      ...(filepath === undefined ? {} : { configFile: filepath }),
    }).catch((error: unknown) => {
      throw explainMissingLogger(error, standard ? undefined : config.logger, filepath);
    });
  }

  /** Forgets the loaded config, so the next `config()` reads the file again (daemon reload). */
  forgetConfig(): void {
    this.#config = undefined;
  }

  async close(): Promise<void> {
    await this.#bucardo?.close();
  }
}

/**
 * A command's lines go to stderr whatever destination the config names: that destination is the daemon's,
 * as the config's logLevel is, and whoever runs a command with `--log-level` reads its lines where they
 * typed it. The config's logger still writes them (pino: JSON lines), with its other options.
 */
function commandLoggerOptions(configured: Readonly<Record<string, unknown>> | undefined): Readonly<Record<string, unknown>> {
  return { ...configured, destinations: ['stderr'] };
}

/**
 * A plugin the config lists that cannot be found, imported, made or applied, or a logger no plugin
 * registers: told by what it names (a plugin, the logger hook), not by its code, which a factory's own
 * refusal keeps (`CONFIG_INVALID`, even `CONNECTION_FAILED`). Nothing else opening the API names a plugin.
 */
function isPluginLoadFailure(error: unknown): error is BucardoError {
  return isBucardoError(error) && (error.plugin !== undefined || error.hook === 'logger');
}
