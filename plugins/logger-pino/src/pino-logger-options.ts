import { isAbsolute, resolve } from 'node:path';
import { BucardoError } from '@bucardo/plugin-sdk';

/** Where the JSON lines go: `stderr` (default), `stdout`, `none`, or a file path (appended to, its directory created). */
export type Destination = 'stderr' | 'stdout' | 'none' | (string & {});

/**
 * The options of the `pino` logger: `loggerOptions` in the config, over the defaults given to the plugin
 * (`['@bucardo/logger-pino', { destination: … }]` or `loggerPino({ … })`).
 */
export interface PinoLoggerOptions {
  /** Default `stderr`. */
  readonly destination?: Destination;
  /** Paths (pino redact syntax) whose values are replaced by `[Redacted]`. Default {@link defaultRedact}; `[]` turns it off. */
  readonly redact?: readonly string[];
}

/** Anything password-like, at the top level of a line or one object down. */
export const defaultRedact: readonly string[] = Object.freeze(['password', 'pass', '*.password', '*.pass']);

/** The options in effect: the plugin's defaults, then the config's `loggerOptions`, checked. */
export interface ResolvedPinoOptions {
  readonly destination: Destination;
  readonly redact: readonly string[];
}

export function resolvePinoOptions(defaults: Readonly<Record<string, unknown>>, given: Readonly<Record<string, unknown>>): ResolvedPinoOptions {
  const merged = { ...defaults, ...given };
  const destination = merged.destination ?? 'stderr';
  if (typeof destination !== 'string' || destination === '') {
    throw invalid(`destination must be 'stderr', 'stdout', 'none' or a file path, not ${JSON.stringify(destination)}`);
  }
  const redact = merged.redact ?? defaultRedact;
  if (!Array.isArray(redact) || !redact.every((path) => typeof path === 'string' && path !== '')) {
    throw invalid(`redact must be a list of paths, not ${JSON.stringify(redact)}`);
  }
  return { destination, redact: [...redact] as string[] };
}

/** A file destination as an absolute path, so that loggers on the same file share one stream. */
export function destinationPath(destination: string): string {
  return isAbsolute(destination) ? destination : resolve(destination);
}

function invalid(message: string): BucardoError {
  return new BucardoError('CONFIG_INVALID', `logger "pino": ${message}`, { plugin: 'logger-pino', item: 'loggerOptions' });
}
