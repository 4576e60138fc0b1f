import type { TableRef } from './table.js';

/**
 * What a foreign key does to the rows pointing at a row that is deleted: `restrict` (`NO ACTION`,
 * `RESTRICT`: the delete fails while they are there), or `cascade`, `set null`, `set default` (the
 * database changes them itself).
 */
export type ForeignKeyOnDelete = 'restrict' | 'cascade' | 'set null' | 'set default';

/** One foreign key, as `SourceSession.foreignKeys` reads it from a database's catalog. */
export interface ForeignKey {
  /** The constraint's name, e.g. `child_parent_id_fkey`. */
  readonly name: string;
  /** The table holding the key (the child). */
  readonly table: TableRef;
  /** The table it points at (the parent); the same as `table` for a table pointing at itself. */
  readonly references: TableRef;
  /** What deleting a row of `references` does to the rows of `table` pointing at it. */
  readonly onDelete: ForeignKeyOnDelete;
}
