import { BucardoError, unknownOption } from '@bucardo/plugin-sdk';

/**
 * Where lines go: `stderr` (default), `stdout`, `none`, or a directory, which gets the file `log.bucardo`.
 * Several destinations may be listed.
 */
export type Destination = 'stderr' | 'stdout' | 'none' | (string & {});

export interface TextLoggerOptions {
  /** Destinations as every logger takes them (`bucardo start --log-destination` arrives here). */
  readonly destinations?: readonly Destination[];
  /** One destination, the same as `destinations: [destination]`. */
  readonly destination?: Destination;
  /** The log file's name inside a directory destination. Default `log.bucardo`. */
  readonly fileName?: string;
}

const KNOWN: readonly (keyof TextLoggerOptions)[] = ['destinations', 'destination', 'fileName'];

/** The options in effect, checked: unknown keys are refused (a typo would otherwise be ignored silently). */
export interface ResolvedTextOptions {
  readonly destinations: readonly Destination[];
  readonly fileName: string;
}

/** `fallback`: the host's destinations for when the options name none (LoggerOptions.defaultDestinations). */
export function resolveTextOptions(options: Readonly<Record<string, unknown>>, fallback?: readonly string[]): ResolvedTextOptions {
  const unknown = unknownOption(options, KNOWN);
  if (unknown) throw invalid(`loggerOptions has an ${unknown.message}`, unknown.key);
  const { destinations, destination, fileName } = options;
  if (destinations !== undefined && !(Array.isArray(destinations) && destinations.every(nonEmpty))) {
    throw invalid(`destinations must be a list of 'stderr', 'stdout', 'none' or directories, not ${JSON.stringify(destinations)}`, 'destinations');
  }
  if (destination !== undefined && !nonEmpty(destination)) {
    throw invalid(`destination must be 'stderr', 'stdout', 'none' or a directory, not ${JSON.stringify(destination)}`, 'destination');
  }
  if (fileName !== undefined && !nonEmpty(fileName)) throw invalid(`fileName must be a file name, not ${JSON.stringify(fileName)}`, 'fileName');
  const given = (destinations ?? (destination === undefined ? undefined : [destination])) as Destination[] | undefined;
  return { destinations: given ?? fallback ?? ['stderr'], fileName: (fileName as string | undefined) ?? 'log.bucardo' };
}

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value !== '';

function invalid(message: string, option: string): BucardoError {
  return new BucardoError('CONFIG_INVALID', `logger "text": ${message}`, { plugin: 'logger-text', item: option });
}
