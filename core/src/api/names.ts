import { BucardoError } from '@bucardo/plugin-sdk';

const validName = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Bucardo's rule for the names of databases, herds, dbgroups and syncs: a letter, then letters, digits, underscores. */
export function checkName(kind: string, name: string): string {
  if (!validName.test(name)) {
    throw new BucardoError('INVALID_NAME', `Invalid ${kind} name "${name}": use a letter, then letters, digits or underscores`, { item: name });
  }
  return name;
}

const truthy = new Set(['1', 't', 'true', 'y', 'yes', 'on']);
const falsy = new Set(['0', 'f', 'false', 'n', 'no', 'off']);

/** One of Bucardo's boolean words (1/0, t/f, true/false, yes/no, on/off), or undefined when it is none. */
export function booleanWord(value: string): boolean | undefined {
  const lower = value.toLowerCase();
  return truthy.has(lower) ? true : falsy.has(lower) ? false : undefined;
}

/** Bucardo's booleans: 1/0, t/f, true/false, yes/no, on/off. */
export function parseBoolean(option: string, value: string): boolean {
  const word = booleanWord(value);
  if (word !== undefined) return word;
  throw new BucardoError('INVALID_ARGUMENT', `Option ${option} must be true or false (1/0, yes/no, on/off), not "${value}"`, { item: option });
}
