import { tableId, type TableRef } from '@bucardo/plugin-sdk';

/**
 * The first two tables that would go to one collection, or undefined. Documents are keyed by the row's key
 * alone, so two tables in one collection overwrite and delete each other's documents: a public table named
 * "a.b" and table b of schema a both default to "a.b", and `collections=` can send two tables to one name.
 */
export function sharedCollection(tables: readonly TableRef[], collectionFor: (table: TableRef) => string): { collection: string; tables: [TableRef, TableRef] } | undefined {
  const owners = new Map<string, TableRef>();
  for (const table of tables) {
    const collection = collectionFor(table);
    const owner = owners.get(collection);
    if (owner && tableId(owner) !== tableId(table)) return { collection, tables: [owner, table] };
    owners.set(collection, table);
  }
  return undefined;
}
