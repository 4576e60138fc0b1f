import { formatTable, type ChangeSet, type KeyChange, type KeyText, type SourceChanges, type TableChanges } from '@bucardo/plugin-sdk';

/** The source whose truncate of a table wins, and when it truncated it (µs since the epoch). */
export interface TruncateWinner {
  readonly db: string;
  readonly at: number;
}

/**
 * Per truncated table (by `tableId`), the latest truncate among the sources; on a tie, the first source
 * by name, so that every run (and every partition) picks the same one.
 */
export function truncateWinners(changeSet: ChangeSet): Map<string, TruncateWinner> {
  const winners = new Map<string, TruncateWinner>();
  for (const source of changeSet.sources) {
    for (const [id, changes] of source.tables) {
      if (changes.truncatedAt === undefined) continue;
      const best = winners.get(id);
      if (!best || changes.truncatedAt > best.at || (changes.truncatedAt === best.at && source.db < best.db)) winners.set(id, { db: source.db, at: changes.truncatedAt });
    }
  }
  return winners;
}

/**
 * The changes to truncated tables that the winning truncate does not undo: the keys other sources changed
 * after it. The winner's own changes after its truncate are in its table, which is copied whole; they are
 * kept here only for keys another source changed after the truncate too, as the candidates of a conflict.
 * Empty (no source) when there are none.
 */
export function changesAfterTruncates(changeSet: ChangeSet, winners: ReadonlyMap<string, TruncateWinner>): ChangeSet {
  const later = (changes: TableChanges, at: number): Map<KeyText, KeyChange> => {
    const kept = new Map<KeyText, KeyChange>();
    for (const [key, change] of changes.changes) if (change.changedAt > at) kept.set(key, change);
    return kept;
  };
  const othersKeys = new Map<string, Set<KeyText>>();
  const sources: SourceChanges[] = [];
  const byOthers = changeSet.sources.map((source) => {
    const tables = new Map<string, TableChanges>();
    for (const [id, changes] of source.tables) {
      const winner = winners.get(id);
      if (!winner || winner.db === source.db) continue;
      const kept = later(changes, winner.at);
      if (kept.size === 0) continue;
      tables.set(id, { table: changes.table, changes: kept });
      let keys = othersKeys.get(id);
      if (!keys) othersKeys.set(id, (keys = new Set()));
      for (const key of kept.keys()) keys.add(key);
    }
    return { source, tables };
  });
  for (const { source, tables } of byOthers) {
    for (const [id, changes] of source.tables) {
      const winner = winners.get(id);
      const contested = othersKeys.get(id);
      if (!winner || winner.db !== source.db || !contested) continue;
      const kept = new Map([...later(changes, winner.at)].filter(([key]) => contested.has(key)));
      if (kept.size > 0) tables.set(id, { table: changes.table, changes: kept });
    }
    if (tables.size > 0) sources.push({ ...source, tables });
  }
  return { sources };
}

/**
 * For the log: per truncated table, how many of its keys each source other than the winner changed, of
 * those `counted` (e.g. `B: 2, C: 1`); tables with none left out.
 */
export function keysOfOthers(changeSet: ChangeSet, winners: ReadonlyMap<string, TruncateWinner>, counted: (change: KeyChange, winner: TruncateWinner) => boolean): Array<{ table: string; winner: TruncateWinner; counts: string }> {
  const said: Array<{ table: string; winner: TruncateWinner; counts: string }> = [];
  for (const [id, winner] of winners) {
    const counts: string[] = [];
    let table: string | undefined;
    for (const source of changeSet.sources) {
      const changes = source.tables.get(id);
      if (source.db === winner.db || !changes) continue;
      let keys = 0;
      for (const change of changes.changes.values()) if (counted(change, winner)) keys++;
      if (keys === 0) continue;
      table = formatTable(changes.table);
      counts.push(`${source.db}: ${keys}`);
    }
    if (table !== undefined) said.push({ table, winner, counts: counts.join(', ') });
  }
  return said;
}
