import pino from 'pino';
import { silentLogger, type LogFields, type Logger, type LoggerFactory, type LoggerOptions, type LogLevel } from '@bucardo/plugin-sdk';
import { destinationPath, resolvePinoOptions } from './pino-logger-options.js';

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

function destinationFor(destination: string): pino.DestinationStream {
  const dest = destination === 'stderr' ? 2 : destination === 'stdout' ? 1 : destinationPath(destination);
  let stream = destinations.get(dest);
  if (!stream) {
    // synchronous writes: a process that exits right after logging (the CLI) loses nothing
    stream = typeof dest === 'number'
      ? pino.destination({ dest, sync: true })
      : pino.destination({ dest, sync: true, mkdir: true, append: true });
    destinations.set(dest, stream);
  }
  return stream;
}

/**
 * Makes the `pino` logger factory. `defaults` are plugin options (destination, redact) that the config's
 * `loggerOptions` override.
 */
export function pinoLoggerFactory(defaults: Readonly<Record<string, unknown>> = {}): LoggerFactory {
  return Object.freeze({
    name: 'pino',
    create(options: LoggerOptions): Logger {
      const resolved = resolvePinoOptions(defaults, options.options);
      if (resolved.destination === 'none') return silentLogger;
      const instance: PinoInstance = pino({
        level: pinoLevels[options.level].name,
        customLevels: { terse: pinoLevels.terse.value },
        formatters: {
          level: (_label, number) => ({ level: number, bucardoLevel: bucardoLevelOf.get(number) ?? String(number) }),
        },
        serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
        ...(resolved.redact.length ? { redact: [...resolved.redact] } : {}),
      }, destinationFor(resolved.destination));
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
}
