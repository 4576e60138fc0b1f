/** Whether a name on the command line is a wildcard (`%` or `*`, Bucardo's list and kick patterns). */
export function isWildcard(pattern: string): boolean {
  return /[%*]/.test(pattern);
}

/** The names a pattern stands for: `%` and `*` match any run of characters, everything else itself. */
export function namePattern(pattern: string): (name: string) => boolean {
  if (!isWildcard(pattern)) return (name) => name === pattern;
  const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/[%*]/g, '.*')}$`);
  return (name) => regex.test(name);
}
