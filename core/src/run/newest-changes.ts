import { ChangeLog, type ChangeSet } from '@bucardo/plugin-sdk';

/**
 * Per table (by `tableId`) and source, the source's newest change to the table in this run; only for
 * tables changed on several sources, the only ones with conflicts to settle. A partition's capture gives
 * the newest of the whole run (`newestOverall`), so every partition settles a table's conflicts alike.
 */
export function newestChanges(changeSet: ChangeSet): Map<string, Map<string, number>> {
  const changedOn = new Map<string, number>();
  for (const source of changeSet.sources) for (const id of source.tables.keys()) changedOn.set(id, (changedOn.get(id) ?? 0) + 1);
  const newest = new Map<string, Map<string, number>>();
  for (const source of changeSet.sources) {
    for (const [id, table] of source.tables) {
      if ((changedOn.get(id) ?? 0) < 2) continue;
      let max = -Infinity;
      if (table.newestOverall !== undefined) max = table.newestOverall;
      else if (table.changes instanceof ChangeLog) max = table.changes.newestChangedAt;
      else for (const change of table.changes.values()) if (change.changedAt > max) max = change.changedAt;
      let perSource = newest.get(id);
      if (!perSource) newest.set(id, (perSource = new Map()));
      perSource.set(source.db, max);
    }
  }
  return newest;
}
