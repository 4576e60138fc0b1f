/** Bucardo's log levels, from always-shown `warn` to `debug`. */
export const LogLevels = ['warn', 'terse', 'normal', 'verbose', 'debug'] as const;
export type LogLevel = (typeof LogLevels)[number];

export function isLogLevel(value: unknown): value is LogLevel {
  return (LogLevels as readonly unknown[]).includes(value);
}

/** True when a message at `level` is shown by a logger set to `threshold`. */
export function levelEnabled(level: LogLevel, threshold: LogLevel): boolean {
  return LogLevels.indexOf(level) <= LogLevels.indexOf(threshold);
}

/** Context carried by every line: process role, sync, run, and whatever a child adds. */
export interface LogFields {
  readonly role?: string;
  readonly sync?: string;
  readonly run?: string;
  readonly db?: string;
  readonly table?: string;
  readonly [field: string]: unknown;
}

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
  flush?(): Promise<void>;
}

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly fields: LogFields;
  /** Plugin options from the config, e.g. a destination. */
  readonly options: Readonly<Record<string, unknown>>;
}

/** Makes loggers; registered by logger plugins and selected by name in the config. */
export interface LoggerFactory {
  readonly name: string;
  create(options: LoggerOptions): Logger;
}

/** A logger that drops everything. */
export const silentLogger: Logger = Object.freeze({
  log() {},
  child() {
    return silentLogger;
  },
});
