/** Bucardo's log levels, from always-shown `warn` to `debug`. */
export const LogLevels = ['warn', 'terse', 'normal', 'verbose', 'debug'] as const;
/** A log level, from `warn` (always shown) to `debug`. */
export type LogLevel = (typeof LogLevels)[number];

/**
 * The levels as an error lists them (`warn, terse, normal, verbose or debug`): every check of a level
 * (`--log-level`, `bucardo set log_level`) says the same list as the one it accepts.
 */
export const logLevelsText = `${LogLevels.slice(0, -1).join(', ')} or ${LogLevels[LogLevels.length - 1]}`;

/** Whether a value is one of the log levels. */
export function isLogLevel(value: unknown): value is LogLevel {
  return (LogLevels as readonly unknown[]).includes(value);
}

/** True when a message at `level` is shown by a logger set to `threshold`. */
export function levelEnabled(level: LogLevel, threshold: LogLevel): boolean {
  return LogLevels.indexOf(level) <= LogLevels.indexOf(threshold);
}

/** Context carried by every line: process role, sync, run, and whatever a child adds. */
export interface LogFields {
  /** The process role: `cli`, `daemon`, `api`. */
  readonly role?: string;
  /** The sync. */
  readonly sync?: string;
  /** The run id. */
  readonly run?: string;
  /** The database a line is about. */
  readonly db?: string;
  /** The table. */
  readonly table?: string;
  readonly [field: string]: unknown;
}

/** Where plugins and the core write log lines. Loggers must not throw (the core guards them anyway). */
export interface Logger {
  /** Writes one line, if `level` is enabled, with `fields` added to the logger's own. */
  log(level: LogLevel, message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
  /** Writes out anything buffered (called before the process exits). Optional. */
  flush?(): Promise<void>;
  /**
   * Opens its files again, by their names (log rotation: `bucardo reopen`, which sends the daemon
   * SIGUSR2, as Bucardo's does). Optional: a logger that opens its file for each line needs none.
   */
  reopen?(): void;
}

/** What a logger factory is given. */
export interface LoggerOptions {
  /** The level to log at; lines above it are dropped. */
  readonly level: LogLevel;
  /** Fields for every line (the process role). */
  readonly fields: LogFields;
  /**
   * Plugin options from the config, e.g. a destination. Every logger takes `destinations`: a list of
   * `stderr`, `stdout`, `none` or directories (its file in each), which is how `bucardo start
   * --log-destination` and the CLI's commands say where lines go. A logger refuses keys it does not know.
   */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * Where lines go when neither `options` nor the plugin's own defaults name a destination (the daemon's
   * default log directory), in the form of `destinations`. Undefined: the logger's own default.
   */
  readonly defaultDestinations?: readonly string[];
}

/** Makes loggers; registered by logger plugins and selected by name in the config. */
export interface LoggerFactory {
  /** The name the config selects it by (`logger: NAME`). */
  readonly name: string;
  /** Makes the process's logger; a factory that throws fails startup with PLUGIN_ERROR naming its plugin. */
  create(options: LoggerOptions): Logger;
}

/** A logger that drops everything. */
export const silentLogger: Logger = Object.freeze({
  log() {},
  child() {
    return silentLogger;
  },
});
