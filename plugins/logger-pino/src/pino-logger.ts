import path from 'node:path';
import pino from 'pino';
import { makePrivateDir, PRIVATE_FILE_MODE, silentLogger, type LogFields, type Logger, type LoggerFactory, type LoggerOptions, type LogLevel } from '@bucardo/plugin-sdk';
import { checkPinoOptions, resolvePinoOptions } from './pino-logger-options.js';

/** Bucardo's levels as pino levels: `terse` is a custom level between info and warn. */
export const pinoLevels: Readonly<Record<LogLevel, { readonly name: PinoLevel; readonly value: number }>> = Object.freeze({
  warn: { name: 'warn', value: 40 },
  terse: { name: 'terse', value: 35 },
  normal: { name: 'info', value: 30 },
  verbose: { name: 'debug', value: 20 },
  debug: { name: 'trace', value: 10 },
});

type PinoLevel = 'warn' | 'terse' | 'info' | 'debug' | 'trace';
type PinoInstance = pino.Logger<'terse'>;

const bucardoLevelOf = new Map<number, LogLevel>(Object.entries(pinoLevels).map(([level, { value }]) => [value, level as LogLevel]));

/**
 * Destinations opened so far, by absolute path or fd, shared by every logger of the process: an engine
 * rebuilt on reload reuses the stream instead of opening another descriptor.
 */
const destinations = new Map<string | number, pino.DestinationStream>();

/** `stream`: `stderr`, `stdout` or an absolute file path. */
function destinationFor(stream: string): pino.DestinationStream {
  const dest = stream === 'stderr' ? 2 : stream === 'stdout' ? 1 : stream;
  let opened = destinations.get(dest);
  if (!opened) {
    // synchronous writes: a process that exits right after logging (the CLI) loses nothing
    opened = typeof dest === 'number'
      ? pino.destination({ dest, sync: true })
      : privateFile(dest);
    destinations.set(dest, opened);
  }
  return opened;
}

/**
 * A log file: the log names databases, roles, tables and keys, and the databases' errors quote row values,
 * so a file or directory made for it is its user's alone (one that exists keeps its mode).
 */
function privateFile(file: string): pino.DestinationStream {
  makePrivateDir(path.dirname(file));
  return pino.destination({ dest: file, sync: true, append: true, mode: PRIVATE_FILE_MODE });
}

/** Every line to each of `streams` (several `destinations`): pino writes a line once, to one stream. */
function fanOut(streams: readonly string[]): pino.DestinationStream {
  const opened = streams.map(destinationFor);
  if (opened.length === 1) return opened[0]!;
  return { write: (line: string) => { for (const stream of opened) stream.write(line); } };
}

/**
 * Makes the `pino` logger factory. `defaults` are plugin options (destination, redact, …) that the
 * config's `loggerOptions` override; they are checked here, so that a typo in them fails when the config
 * loads rather than when the logger is first made.
 */
export function pinoLoggerFactory(defaults: Readonly<Record<string, unknown>> = {}): LoggerFactory {
  checkPinoOptions(defaults, 'plugin options');
  return Object.freeze({
    name: 'pino',
    create(options: LoggerOptions): Logger {
      const resolved = resolvePinoOptions(defaults, options.options, options.defaultDestinations);
      if (resolved.streams.length === 0) return silentLogger;
      const instance: PinoInstance = pino({
        level: pinoLevels[options.level].name,
        customLevels: { terse: pinoLevels.terse.value },
        formatters: {
          level: (_label, number) => ({ level: number, bucardoLevel: bucardoLevelOf.get(number) ?? String(number) }),
        },
        serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
        ...(resolved.redact.length ? { redact: [...resolved.redact] } : {}),
      }, fanOut(resolved.streams));
      return new PinoLogger(instance, options.fields);
    },
  });
}

/** The factory with no plugin defaults. */
export const pinoLogger: LoggerFactory = pinoLoggerFactory();

class PinoLogger implements Logger {
  readonly #pino: PinoInstance;
  readonly #fields: LogFields;

  constructor(instance: PinoInstance, fields: LogFields) {
    this.#pino = instance;
    this.#fields = fields;
  }

  log(level: LogLevel, message: string, fields?: LogFields): void {
    const name = pinoLevels[level].name;
    if (!this.#pino.isLevelEnabled(name)) return;
    // the fields are merged here rather than bound with pino's child(), so that a field given both ways
    // appears once in the line
    this.#pino[name]({ ...this.#fields, ...fields }, message);
  }

  child(fields: LogFields): Logger {
    return new PinoLogger(this.#pino, { ...this.#fields, ...fields });
  }

  flush(): Promise<void> {
    return new Promise((resolve, reject) => this.#pino.flush((error) => (error ? reject(error) : resolve())));
  }

  /** Every file the process writes to, opened again by its name: after a rotation the lines go to the new file. */
  reopen(): void {
    for (const [dest, stream] of destinations) {
      if (typeof dest === 'string') (stream as pino.DestinationStream & { reopen?: () => void }).reopen?.();
    }
  }
}
