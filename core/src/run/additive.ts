import { RowBatch, type TextValue } from '@bucardo/plugin-sdk';

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

/** Exact decimal addition of two numbers in PostgreSQL's text form (integers or numeric). */
export function addDecimal(a: string, b: string): string {
  const [ai, af = ''] = a.split('.');
  const [bi, bf = ''] = b.split('.');
  const scale = Math.max(af.length, bf.length);
  const scaled = (integer: string, fraction: string) => {
    const negative = integer.startsWith('-');
    const digits = BigInt(`${integer.replace('-', '') || '0'}${fraction.padEnd(scale, '0')}`);
    return negative ? -digits : digits;
  };
  const sum = scaled(ai!, af) + scaled(bi!, bf);
  if (scale === 0) return sum.toString();
  const negative = sum < 0n;
  const digits = (negative ? -sum : sum).toString().padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}
