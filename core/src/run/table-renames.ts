import { tableId, type TableRef, type TableShape } from '@bucardo/plugin-sdk';

/** One table written under another name on a receiving database (`bucardo add customname`). */
export interface TableRename {
  /** The table as the sync knows it (the herd's name, the sources' name). */
  readonly table: TableRef;
  /** The table as it is on that database. */
  readonly as: TableRef;
}

/**
 * The names of a sync's tables on one receiving database, both ways: the core speaks of every table by
 * the sync's name, and only what crosses to that database's session is renamed (`renamed-sessions.ts`),
 * so neither the rest of the core nor any plugin needs to know.
 */
export class TableRenames {
  readonly #db: { readonly customNames: readonly TableRename[] };
  readonly #back: Map<string, TableRef>;

  constructor(renames: readonly TableRename[]) {
    this.#db = { customNames: renames };
    this.#back = new Map(renames.map((rename) => [tableId(rename.as), rename.table]));
  }

  get size(): number {
    return this.#db.customNames.length;
  }

  /** The table as it is on the database. */
  out(table: TableRef): TableRef {
    return nameOn(this.#db, table);
  }

  /** The table as the sync knows it, from its name on the database. */
  back(table: TableRef): TableRef {
    return this.#back.get(tableId(table)) ?? table;
  }

  /** A shape to give the database: the table and the tables it points at, by their names there. */
  shapeOut<S extends TableShape>(shape: S): S {
    return this.#shape(shape, (table) => this.out(table));
  }

  /**
   * The database's description of `asked` (by its name there), by the sync's names: the table is the one
   * asked about (the database answered for its name there), the tables it points at renamed back.
   */
  answerFor(asked: TableRef, shape: TableShape | undefined): TableShape | undefined {
    if (!shape) return undefined;
    return { ...this.#shape(shape, (table) => this.back(table)), table: asked };
  }

  #shape<S extends TableShape>(shape: S, rename: (table: TableRef) => TableRef): S {
    return { ...shape, table: rename(shape.table), ...(shape.references ? { references: shape.references.map(rename) } : {}) };
  }
}

/**
 * Table `table` of the sync as it is named on database `db` of the plan (its own name where it has no
 * custom name there): the one lookup behind what the renamed sessions write to, what messages name and
 * what `compare` and `status` show.
 */
export function nameOn(db: { readonly customNames?: readonly TableRename[] }, table: TableRef): TableRef {
  const id = tableId(table);
  return db.customNames?.find((rename) => tableId(rename.table) === id)?.as ?? table;
}
