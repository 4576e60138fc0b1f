import { RowBatch, addDecimal, type TextValue } from '@bucardo/plugin-sdk';

export { addDecimal };

/**
 * Additive merge (Spock's delta-apply, on an unpatched PostgreSQL): for columns declared additive, every
 * database gets base + the sum of every source's (new - old), which equals the winner's value plus the
 * other candidates' deltas. Candidates that deleted the row contribute nothing.
 */
export function mergeAdditive(
  winnerRows: RowBatch, winners: ReadonlyMap<string, string>,
  deltas: ReadonlyMap<string, ReadonlyArray<{ db: string; additive?: Readonly<Record<string, string>> }>>,
  columns: readonly string[],
): RowBatch {
  const positions = columns.map((name) => winnerRows.columns.findIndex((column) => column.name === name));
  const merged: TextValue[][] = [];
  for (const row of winnerRows.rows()) {
    const key = winnerRows.keyOf(row);
    const winner = winners.get(key);
    const others = (deltas.get(key) ?? []).filter((candidate) => candidate.db !== winner);
    const next = [...row];
    positions.forEach((position, index) => {
      if (position < 0 || next[position] === null) return;
      let value = next[position]!;
      for (const candidate of others) {
        const delta = candidate.additive?.[columns[index]!];
        if (delta !== undefined) value = addDecimal(value, delta);
      }
      next[position] = value;
    });
    merged.push(next);
  }
  return RowBatch.fromRows('merged', winnerRows.shape, merged);
}
