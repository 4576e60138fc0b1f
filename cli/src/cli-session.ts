import type { Bucardo } from '@bucardo/core';
import type { ParsedCommand } from './argv.js';

/** What a command gets: the parsed command line, output, and the Bucardo API opened on first use. */
export class CliSession {
  readonly command: ParsedCommand;
  #bucardo: Bucardo | undefined;

  constructor(command: ParsedCommand) {
    this.command = command;
  }

  get words(): readonly string[] {
    return this.command.words;
  }

  get params(): Readonly<Record<string, string>> {
    return this.command.params;
  }

  print(text: string): void {
    if (!this.command.options.quiet) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Loads the config and plugins and opens the API (the control database is connected lazily by it). */
  async bucardo(): Promise<Bucardo> {
    if (this.#bucardo) return this.#bucardo;
    const { options } = this.command;
    const [{ Bucardo }, { loadConfig }, { resolvePlugins }] = await Promise.all([
      import('@bucardo/core'), import('./load-config.js'), import('./resolve-plugins.js'),
    ]);
    const { config, filepath } = await loadConfig(options.config);
    const plugins = await resolvePlugins(config.plugins, filepath);
    this.#bucardo = await Bucardo.open({
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
      logLevel: options.logLevel ?? (options.verbose > 0 ? 'verbose' : 'warn'),
      ...(config.logger ? { logger: config.logger } : {}),
      ...(config.loggerOptions ? { loggerOptions: config.loggerOptions } : {}),
      ...(config.batchSize ? { batchSize: config.batchSize } : {}),
      role: 'cli',
    });
    return this.#bucardo;
  }

  async close(): Promise<void> {
    await this.#bucardo?.close();
  }
}
