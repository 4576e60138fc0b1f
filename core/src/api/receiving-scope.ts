import { BucardoError, formatTable } from '@bucardo/plugin-sdk';
import type { Catalog } from '../control/catalog.js';
import type { DbGroupRow, RelationRow, SyncRow } from '../control/catalog-rows.js';

/** Where a per-table setting for receiving databases applies (customname, customcols): one database, one sync, both, or neither (all). */
export interface ReceivingScope {
  readonly db?: string;
  readonly sync?: string;
}

/**
 * Checks the scope of a setting for receiving databases of table `relation` (`what`: "a custom name"),
 * refusing, naming it: a database or sync never added, a sync the table is not in, a database not in the
 * sync, and a database that is a source where it would apply (a source's rows are captured as they are).
 * Returns the syncs and dbgroups read, for more checks.
 */
export async function checkReceivingScope(catalog: Catalog, relation: RelationRow, scope: ReceivingScope, what: string, why: string): Promise<{ syncs: SyncRow[]; dbgroups: DbGroupRow[] }> {
  const table = relation.table;
  if (scope.db !== undefined) await catalog.database(scope.db);
  const [syncs, dbgroups] = await Promise.all([catalog.syncs(), catalog.dbgroups()]);
  const sync = scope.sync === undefined ? undefined : await catalog.sync(scope.sync);
  if (sync && !relation.syncs.includes(sync.name)) {
    throw new BucardoError('TABLE_NOT_FOUND', `Table "${formatTable(table)}" is not in sync "${sync.name}" (relgroup "${sync.herd}")`, { table: formatTable(table), sync: sync.name, herd: sync.herd });
  }
  if (scope.db !== undefined) {
    const members = (name: string) => dbgroups.find((group) => group.name === syncs.find((row) => row.name === name)?.dbgroup)?.members ?? [];
    if (sync && !members(sync.name).some((member) => member.db === scope.db)) {
      throw new BucardoError('DB_NOT_FOUND', `Database "${scope.db}" is not in sync "${sync.name}" (dbgroup "${sync.dbgroup}")`, { db: scope.db, sync: sync.name, dbgroup: sync.dbgroup });
    }
    const asSource = (sync ? [sync.name] : relation.syncs).find((name) => members(name).some((member) => member.db === scope.db && member.role === 'source'));
    if (asSource !== undefined) {
      const narrower = sync ? '' : `, or name a sync where it receives the table (sync=…)`;
      throw new BucardoError('DB_ROLE_UNSUPPORTED',
        `Database "${scope.db}" is a source in sync "${asSource}": ${why}; ${what} is for receiving databases (targets, fullcopy members)${narrower}`,
        { db: scope.db, sync: asSource, table: formatTable(table) });
    }
  }
  return { syncs, dbgroups };
}
