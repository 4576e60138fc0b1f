/** A plugin's wrong answer as a message says it. */

/** A value as JSON for a message, whatever it holds (a BigInt, a cycle). */
export function shownValue(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** What a value that should have been a Map is: `null`, `an array`, else its `typeof`. */
export function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
