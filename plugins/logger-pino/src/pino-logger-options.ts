import { isAbsolute, join, resolve } from 'node:path';
import { BucardoError, unknownOption } from '@bucardo/plugin-sdk';

/** Where the JSON lines go: `stderr` (default), `stdout`, `none`, or a file path (appended to, its directory created). */
export type Destination = 'stderr' | 'stdout' | 'none' | (string & {});

/**
 * The options of the `pino` logger: `loggerOptions` in the config, over the defaults given to the plugin
 * (`['@bucardo/logger-pino', { destination: … }]` or `loggerPino({ … })`).
 */
export interface PinoLoggerOptions {
  /** One destination: `stderr` (default), `stdout`, `none` or a file path. */
  readonly destination?: Destination;
  /**
   * Destinations as every logger takes them (`bucardo start --log-destination` arrives here): `stderr`,
   * `stdout`, `none` or a directory, which gets the file {@link PinoLoggerOptions.fileName}. Given, it
   * replaces `destination` of the same layer and of the plugin's defaults.
   */
  readonly destinations?: readonly Destination[];
  /** The file's name in a `destinations` directory. Default `log.bucardo.json`. */
  readonly fileName?: string;
  /** Paths (pino redact syntax) whose values are replaced by `[Redacted]`. Default {@link defaultRedact}; `[]` turns it off. */
  readonly redact?: readonly string[];
}

/** Anything password-like, at the top level of a line or one object down. */
export const defaultRedact: readonly string[] = Object.freeze(['password', 'pass', 'sslpassword', '*.password', '*.pass', '*.sslpassword']);

const KNOWN: readonly (keyof PinoLoggerOptions)[] = ['destination', 'destinations', 'fileName', 'redact'];

/** The options in effect: the plugin's defaults, then the config's `loggerOptions`, checked. */
export interface ResolvedPinoOptions {
  /** `stderr`, `stdout` or an absolute file path; empty when every destination is `none`. */
  readonly streams: readonly string[];
  readonly redact: readonly string[];
}

/** Where the options came from, for the error that refuses them. */
export type OptionsSource = 'loggerOptions' | 'plugin options';

/** `fallback`: the host's destinations for when neither layer names one (LoggerOptions.defaultDestinations). */
export function resolvePinoOptions(defaults: Readonly<Record<string, unknown>>, given: Readonly<Record<string, unknown>>, fallback?: readonly string[]): ResolvedPinoOptions {
  checkPinoOptions(defaults, 'plugin options');
  checkPinoOptions(given, 'loggerOptions');
  const merged = { ...defaults, ...given };
  const fileName = String(merged.fileName ?? 'log.bucardo.json');
  // the nearer layer decides, whichever of the two keys it uses: the CLI's --log-destination (given)
  // beats a file the plugin's options name
  const streams = streamsOf(given, fileName) ?? streamsOf(defaults, fileName) ?? (fallback && streamsOf({ destinations: fallback }, fileName)) ?? ['stderr'];
  const redact = (merged.redact ?? defaultRedact) as string[];
  return { streams: streams.filter((stream) => stream !== 'none'), redact: [...redact] };
}

/** Refuses unknown keys (a typo would otherwise be ignored silently) and values of the wrong type. */
export function checkPinoOptions(options: Readonly<Record<string, unknown>>, source: OptionsSource): void {
  const unknown = unknownOption(options, KNOWN);
  if (unknown) throw invalid(`${source} has an ${unknown.message}`, unknown.key);
  const { destination, destinations, fileName, redact } = options;
  if (destination !== undefined && !nonEmpty(destination)) {
    throw invalid(`destination must be 'stderr', 'stdout', 'none' or a file path, not ${JSON.stringify(destination)}`, 'destination');
  }
  if (destinations !== undefined && !(Array.isArray(destinations) && destinations.every(nonEmpty))) {
    throw invalid(`destinations must be a list of 'stderr', 'stdout', 'none' or directories, not ${JSON.stringify(destinations)}`, 'destinations');
  }
  if (fileName !== undefined && !nonEmpty(fileName)) throw invalid(`fileName must be a file name, not ${JSON.stringify(fileName)}`, 'fileName');
  if (redact !== undefined && !(Array.isArray(redact) && redact.every(nonEmpty))) {
    throw invalid(`redact must be a list of paths, not ${JSON.stringify(redact)}`, 'redact');
  }
}

function streamsOf(layer: Readonly<Record<string, unknown>>, fileName: string): string[] | undefined {
  if (Array.isArray(layer.destinations)) return (layer.destinations as string[]).map((dir) => (isStandard(dir) ? dir : destinationPath(join(dir, fileName))));
  if (typeof layer.destination === 'string') return [isStandard(layer.destination) ? layer.destination : destinationPath(layer.destination)];
  return undefined;
}

const isStandard = (destination: string): boolean => destination === 'stderr' || destination === 'stdout' || destination === 'none';

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value !== '';

/** A file destination as an absolute path, so that loggers on the same file share one stream. */
export function destinationPath(destination: string): string {
  return isAbsolute(destination) ? destination : resolve(destination);
}

function invalid(message: string, option: string): BucardoError {
  return new BucardoError('CONFIG_INVALID', `logger "pino": ${message}`, { plugin: 'logger-pino', item: option });
}
