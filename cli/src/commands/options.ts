import { BucardoError } from '@bucardo/plugin-sdk';

/** Refuses the first `key=value` a command does not know, naming it and the ones it knows. */
export function rejectUnknown(unknown: Readonly<Record<string, string>>, command: string, known: readonly string[]): void {
  const [key] = Object.keys(unknown);
  if (key !== undefined) throw new BucardoError('INVALID_ARGUMENT', `Unknown option "${key}" for ${command} (known: ${known.join(', ')})`, { item: key });
}
