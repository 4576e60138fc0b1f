import { addTableCommand, type HerdInspection, type TableInspection } from '@bucardo/core';
import { formatTable } from '@bucardo/plugin-sdk';

/**
 * What `bucardo inspect` prints of one table: the herds it is in and their syncs, then under each herd the
 * tables its foreign keys point at that the herd lacks (Bucardo's "Table a is in relgroup R, but b (used as
 * FK) is not", with the constraint and the way out), and the tables outside the herd that point at it and
 * refuse deletes (a warning: Bucardo does not say it).
 */
export function formatInspection(inspection: TableInspection): string {
  const table = formatTable(inspection.table);
  const lines = [`Table ${table} (DB: ${inspection.db ?? 'removed'})`];
  if (inspection.herds.length === 0) lines.push('  In no relgroup');
  if (inspection.unchecked !== undefined) lines.push(`  Foreign keys not inspected: ${inspection.unchecked}`);
  for (const herd of inspection.herds) {
    lines.push(`  In relgroup "${herd.herd}", ${replicatedBy(herd)}`);
    if (inspection.unchecked !== undefined) continue;
    const parents = herd.gaps.filter((gap) => gap.missing === 'parent');
    if (parents.length === 0) lines.push(`    Every table its foreign keys point at is in relgroup "${herd.herd}"`);
    for (const gap of parents) {
      lines.push(`    Table ${table} is in relgroup "${herd.herd}", but ${formatTable(gap.other)} (used as FK ${gap.constraint}) is not: ${addTableCommand(gap.other, herd.herd)}, or every database its syncs write to must have the rows it points at itself`);
    }
    for (const gap of herd.gaps.filter((candidate) => candidate.missing === 'child')) {
      const other = formatTable(gap.other);
      lines.push(`    Warning: ${other} (not in relgroup "${herd.herd}") points at ${table} (FK ${gap.constraint}): a delete its syncs replicate fails on a database where ${other} has rows pointing at the deleted row; ${addTableCommand(gap.other, herd.herd)}`);
    }
  }
  return lines.join('\n');
}

/** Whether a table misses a table its foreign keys point at in any herd: what `inspect` exits 2 for. */
export function missesParents(inspection: TableInspection): boolean {
  return inspection.herds.some((herd) => herd.gaps.some((gap) => gap.missing === 'parent'));
}

function replicatedBy(herd: HerdInspection): string {
  if (herd.syncs.length === 0) return 'which no sync replicates';
  return `replicated by ${herd.syncs.length === 1 ? 'sync' : 'syncs'} ${herd.syncs.map((sync) => `"${sync}"`).join(', ')}`;
}
