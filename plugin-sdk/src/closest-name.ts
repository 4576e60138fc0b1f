/**
 * The known name a typo most likely meant: the same but for case, or at most two edits away (and not most
 * of the word). Shared by the CLI's config checks and the plugins' option checks, so that every
 * "did you mean" of the project picks the same way.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  return best && best.distance <= Math.min(2, Math.floor(best.name.length / 3)) ? best.name : undefined;
}

/** Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`: a swap is one typo, as `hots` for `host`. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, rows[i - 2]![j - 2]! + 1);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/**
 * The first key of `options` that is not in `known`, said as a plugin refuses it (`unknown option
 * "destnation": did you mean "destination"?`, the others named after it), or undefined when all are known.
 */
export function unknownOption(options: Readonly<Record<string, unknown>>, known: readonly string[]): { key: string; message: string } | undefined {
  const [unknown, ...more] = unknownKeys(options, known);
  if (!unknown) return undefined;
  const hint = unknown.closest ? `did you mean "${unknown.closest}"?` : `the known options are ${known.join(', ')}`;
  const also = more.length ? ` (also unknown: ${more.map((entry) => `"${entry.key}"`).join(', ')})` : '';
  return { key: unknown.key, message: `unknown option "${unknown.key}": ${hint}${also}` };
}

/**
 * The keys of `options` that are not in `known`, each with the known key it most likely meant: a plugin
 * refuses these rather than ignore a typo.
 */
export function unknownKeys(options: Readonly<Record<string, unknown>>, known: readonly string[]): Array<{ key: string; closest?: string }> {
  return Object.keys(options).filter((key) => !known.includes(key)).map((key) => {
    const closest = closestName(key, known);
    return closest ? { key, closest } : { key };
  });
}
