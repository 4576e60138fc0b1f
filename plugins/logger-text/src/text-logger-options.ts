/**
 * Where lines go: `stderr` (default), `stdout`, `none`, or a directory, which gets the file `log.bucardo`.
 * Several destinations may be listed.
 */
export type Destination = 'stderr' | 'stdout' | 'none' | (string & {});

export interface TextLoggerOptions {
  readonly destinations?: readonly Destination[];
  /** The log file's name inside a directory destination. Default `log.bucardo`. */
  readonly fileName?: string;
}

export function destinationsOf(options: Readonly<Record<string, unknown>>): Destination[] {
  const given = options.destinations ?? options.destination;
  if (given === undefined) return ['stderr'];
  return (Array.isArray(given) ? given : [given]).map(String);
}
