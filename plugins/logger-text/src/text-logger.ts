import { join } from 'node:path';
import { appendPrivateFile, levelEnabled, makePrivateDir, type LogFields, type Logger, type LoggerFactory, type LoggerOptions, type LogLevel } from '@bucardo/plugin-sdk';
import { resolveTextOptions } from './text-logger-options.js';

type Sink = (line: string) => void;

/**
 * Bucardo-style lines: `(pid) [time] ROLE sync=… run=… message`. Writes are synchronous so that a
 * process that exits right after logging loses nothing.
 */
export const textLoggerFactory: LoggerFactory = Object.freeze({
  name: 'text',
  create(options: LoggerOptions): Logger {
    const { destinations, fileName } = resolveTextOptions(options.options, options.defaultDestinations);
    const sinks = destinations.flatMap((destination) => sinkFor(destination, fileName));
    return new TextLogger(options.level, options.fields, sinks);
  },
});

function sinkFor(destination: string, fileName: string): Sink[] {
  switch (destination) {
    case 'none': return [];
    case 'stderr': return [(line) => process.stderr.write(line)];
    case 'stdout': return [(line) => process.stdout.write(line)];
    default: {
      // The log says which databases, roles, tables and keys there are, and the databases' errors quote
      // row values: a directory or file it creates is its user's alone (an existing one keeps its mode).
      makePrivateDir(destination);
      const file = join(destination, fileName);
      return [(line) => appendPrivateFile(file, line)];
    }
  }
}

class TextLogger implements Logger {
  readonly #level: LogLevel;
  readonly #fields: LogFields;
  readonly #sinks: readonly Sink[];

  constructor(level: LogLevel, fields: LogFields, sinks: readonly Sink[]) {
    this.#level = level;
    this.#fields = fields;
    this.#sinks = sinks;
  }

  log(level: LogLevel, message: string, fields?: LogFields): void {
    if (!levelEnabled(level, this.#level) || this.#sinks.length === 0) return;
    const all = { ...this.#fields, ...fields };
    const context = [all.role ? String(all.role).toUpperCase() : '', all.sync ? `sync=${String(all.sync)}` : '', all.run ? `run=${String(all.run)}` : '']
      .filter(Boolean).join(' ');
    // a failure's code ends its line, as `bucardo status` shows it
    const code = typeof all.code === 'string' && all.code ? ` [${all.code}]` : '';
    const line = `(${process.pid}) [${new Date().toISOString()}] ${level === 'warn' ? 'WARN ' : ''}${context ? `${context} ` : ''}${message}${code}\n`;
    for (const sink of this.#sinks) sink(line);
  }

  child(fields: LogFields): Logger {
    return new TextLogger(this.#level, { ...this.#fields, ...fields }, this.#sinks);
  }
}
