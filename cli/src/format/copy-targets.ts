/** `database "T4"`, `databases "T4", "T5"`: the targets an initial copy asked with `db=` goes to. */
export function copyTargetsText(targets: readonly string[]): string {
  return `${targets.length === 1 ? 'database' : 'databases'} ${targets.map((db) => `"${db}"`).join(', ')}`;
}
